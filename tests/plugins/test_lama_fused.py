"""LaMa's inference rewrites (plugins/lama/fused.py): batch norms folded into the
convolutions, 1x1 convolutions on oneDNN. The same function as the plain layers to float
rounding, used only in eval mode without gradients, refreshed when the weights change."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from toolbox.registry import GENERATORS
from toolbox_plugins.lama.ffc import SpectralTransform

pytestmark = pytest.mark.usefixtures('one_thread')


def _pair(**kw):
    """A fused and a plain tiny generator with the same weights and non-trivial BN
    statistics (identity statistics would hide a wrong fold)."""
    torch.manual_seed(0)
    cfg = dict(type='FFCResNetGenerator', preset=None, base_channels=8, num_blocks=2, **kw)
    plain = GENERATORS.build(dict(cfg, fused=False)).eval()
    for m in plain.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    fused = GENERATORS.build(cfg).eval()
    fused.load_state_dict(plain.state_dict())
    return fused, plain


def _inputs():
    g = torch.Generator().manual_seed(1)
    mask = torch.zeros(1, 1, 32, 40)
    mask[..., 8:20, 10:30] = 1
    return torch.rand(1, 3, 32, 40, generator=g) * 2 - 1, mask


def _bn_calls(gen):
    calls = []
    for m in gen.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.register_forward_hook(lambda *_: calls.append(1))
    return calls


@pytest.mark.parametrize('channels_last', [None, False, True])
def test_fused_inference_equals_the_plain_layers(channels_last):
    fused, plain = _pair(channels_last=channels_last)
    calls = _bn_calls(fused)
    x, mask = _inputs()
    with torch.no_grad():
        want = plain(x, mask)['output']
    with torch.inference_mode():
        got = fused(x, mask)['output']
    assert not calls, 'a batch norm ran: the fused path was not taken'
    assert got.is_contiguous()
    # measured 6e-8 (contiguous) and 1.8e-7 (channels-last)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-6)


def test_spectral_transform_alone_folds_its_batch_norms():
    torch.manual_seed(0)
    st = SpectralTransform(8, 16, stride=2, enable_lfu=True).eval()
    for m in st.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    calls = _bn_calls(st)
    x = torch.randn(2, 8, 16, 12)
    want = st(x).detach()                       # gradients on: the plain layers
    assert len(calls) == 3
    with torch.no_grad():
        got = st(x)
    assert len(calls) == 3
    torch.testing.assert_close(got, want, rtol=0, atol=1e-6)


def test_training_and_eval_with_gradients_use_the_plain_layers():
    fused, plain = _pair()
    x, mask = _inputs()
    for mode in (True, False):                  # train(); eval() with autograd on
        fused.train(mode)
        plain.train(mode)
        out = fused(x, mask)['output']
        torch.testing.assert_close(out, plain(x, mask)['output'], rtol=0, atol=0)
        fused.zero_grad()
        out.square().mean().backward()
        block = fused.encoder[5].conv1
        for p in (block.ffc.l2l.weight, block.bn_l.weight, block.ffc.g2g.fu.conv.weight,
                  fused.decoder[1].weight):
            assert p.grad is not None and p.grad.abs().sum() > 0


def test_folded_weights_refresh_after_an_optimizer_step_and_a_weight_load():
    fused, plain = _pair()
    x, mask = _inputs()
    with torch.no_grad():
        before = fused(x, mask)['output']
    opt = torch.optim.SGD(fused.parameters(), lr=0.5)
    fused.train()
    fused(x, mask)['output'].square().mean().backward()
    opt.step()                                  # in place: parameters keep their storage
    fused.eval()                                # new running statistics too
    plain.load_state_dict(fused.state_dict())
    with torch.no_grad():
        after = fused(x, mask)['output']
        torch.testing.assert_close(after, plain(x, mask)['output'], rtol=0, atol=1e-6)
        assert (after - before).abs().max() > 1e-3
        # an in-place change in eval mode, no train() in between
        fused.decoder[1].weight.mul_(2)
        plain.decoder[1].weight.mul_(2)
        torch.testing.assert_close(fused(x, mask)['output'], plain(x, mask)['output'],
                                   rtol=0, atol=1e-6)


def test_fused_path_under_bf16_autocast_stays_close_to_fp32():
    fused, plain = _pair()
    x, mask = _inputs()
    with torch.inference_mode():
        want = plain(x, mask)['output']
        with torch.autocast('cpu', dtype=torch.bfloat16):
            got = fused(x, mask)['output']
    assert torch.isfinite(got.float()).all()
    assert (got.float() - want).abs().max() < 0.05
