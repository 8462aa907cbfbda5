"""Spectral normalisation iterates in the paper's order (Miyato et al., Algorithm 1:
v from u, then u from v), as the authors' code and MMagic do; torch's parametrisation,
which the discriminators used before, runs half an iteration ahead and fails the check."""
from __future__ import annotations

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
