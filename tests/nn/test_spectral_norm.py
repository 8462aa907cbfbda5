"""Spectral normalisation iterates in the paper's order (Miyato et al., Algorithm 1:
v from u, then u from v), as the authors' code and MMagic do; torch's parametrisation,
which the discriminators used before, runs half an iteration ahead and fails the check."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as torch_spectral_norm

from toolbox.nn.spectral_norm import spectral_norm


def paper_step(weight: torch.Tensor, u: torch.Tensor):
    """One training forward by Algorithm 1: the normalised weight and the new u, v."""
    mat = weight.flatten(1)
    v = F.normalize(mat.t() @ u, dim=0, eps=1e-12)
    u = F.normalize(mat @ v, dim=0, eps=1e-12)
    return weight / torch.dot(u, mat @ v), u, v


def one_training_forward(make):
    torch.manual_seed(0)
    conv = make(nn.Conv2d(3, 4, 3))
    u0 = conv.parametrizations.weight[0]._u.clone()
    weight = conv.parametrizations.weight.original.detach().clone()
    conv.train()
    return conv, conv.weight.detach(), paper_step(weight, u0)


def test_a_training_forward_follows_the_paper():
    conv, got, (expected, u, v) = one_training_forward(spectral_norm)
    torch.testing.assert_close(got, expected, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(conv.parametrizations.weight[0]._u, u)
    torch.testing.assert_close(conv.parametrizations.weight[0]._v, v)


def test_torch_parametrisation_is_not_the_papers_order():
    # the check above fails on what the discriminators used before
    _, got, (expected, _, _) = one_training_forward(torch_spectral_norm)
    assert not torch.allclose(got, expected, rtol=1e-6, atol=1e-7)


def test_state_dict_keys_and_eval_forward_equal_torchs():
    torch.manual_seed(0)
    ours = spectral_norm(nn.Conv2d(3, 4, 3))
    torch.manual_seed(0)
    theirs = torch_spectral_norm(nn.Conv2d(3, 4, 3))
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(1, 3, 8, 8)
    torch.testing.assert_close(ours.eval()(x), theirs.eval()(x))


def test_torchs_older_hook_follows_the_paper():
    # the older ``torch.nn.utils.spectral_norm`` (the authors' code, MMagic, mmcv's
    # ConvModule; PRVS, Pluralistic, StructureFlow and the 3D gated model keep it for their
    # released weights' keys) iterates in the paper's order: one training forward
    torch.manual_seed(0)
    conv = nn.utils.spectral_norm(nn.Conv2d(3, 4, 3))
    u0, weight = conv.weight_u.clone(), conv.weight_orig.detach().clone()
    conv.train()(torch.zeros(1, 3, 3, 3))
    expected, u, v = paper_step(weight, u0)
    torch.testing.assert_close(conv.weight.detach(), expected, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(conv.weight_u, u)


def _registered_networks():
    from toolbox import testing
    return [(key, name) for key in ('generators', 'discriminators')
            for name in testing.components(key)]


@pytest.mark.parametrize('key, name', _registered_networks())
def test_every_registered_network_iterates_in_the_papers_order(key, name):
    # torch's parametrisation (u before v) anywhere in a registered network would train it
    # differently from its paper and its authors' code; this caught the SA-PatchGAN, DMFN
    # and EdgeConnect discriminators, which used it
    from torch.nn.utils.parametrizations import _SpectralNorm

    from toolbox.nn.spectral_norm import _PaperOrderSpectralNorm
    from toolbox.plugins import load_plugins
    from toolbox.registry import DISCRIMINATORS, GENERATORS
    load_plugins()
    registry = GENERATORS if key == 'generators' else DISCRIMINATORS
    cls = registry.get(name)
    network = registry.build(dict(type=name, **dict(cls.tiny_cfg)))
    torch_order = [n for n, m in network.named_modules()
                   if isinstance(m, _SpectralNorm) and not isinstance(m, _PaperOrderSpectralNorm)]
    assert not torch_order, f'{name}: torch-order spectral norm at {torch_order[:3]}'
