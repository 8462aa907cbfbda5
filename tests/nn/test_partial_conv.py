"""The engine's partial convolution against an explicit float64 loop over every window,
with one shared mask, per-channel masks and NVIDIA's ``multi_channel`` option."""
import itertools

import pytest
import torch
import torch.nn.functional as F

from toolbox.nn.partial_conv import PartialConv2d


def reference(conv: PartialConv2d, x: torch.Tensor, mask: torch.Tensor):
    """``x'`` and ``m'`` window by window: ``W^T (X*M) * sum(1) / sum(M) + b`` where any
    input of the window is valid, else 0; ``sum(1) = C_in k^2`` (the padding counts as
    hole). Plain Python floats, no convolution."""
    xs, ms = x.double().tolist(), mask.double().expand_as(x).tolist()
    w = conv.weight.double().tolist()
    bias = None if conv.bias is None else conv.bias.double().tolist()
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (conv.kernel_size, conv.stride, conv.padding,
                                              conv.dilation)
    n, cin, h, wd = x.shape
    cout = conv.out_channels
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = torch.zeros(n, cout, ho, wo, dtype=torch.float64)
    new = torch.zeros(n, 1, ho, wo, dtype=torch.float64)
    for b, i, j in itertools.product(range(n), range(ho), range(wo)):
        inside = [(c, u, v, i * sh - ph + u * dh, j * sw - pw + v * dw)
                  for c, u, v in itertools.product(range(cin), range(kh), range(kw))]
        inside = [(c, u, v, r, q) for c, u, v, r, q in inside if 0 <= r < h and 0 <= q < wd]
        valid = sum(ms[b][c][r][q] for c, _, _, r, q in inside)
        if valid == 0:
            continue
        new[b, 0, i, j] = 1
        for o in range(cout):
            s = sum(w[o][c][u][v] * xs[b][c][r][q] * ms[b][c][r][q] for c, u, v, r, q in inside)
            out[b, o, i, j] = s * (cin * kh * kw) / valid + (bias[o] if bias else 0.0)
    return out, new


CASES = [  # multi_channel, per-channel mask, bias, conv arguments
    (False, False, True, dict(kernel_size=3, padding=1)),
    (False, True, False, dict(kernel_size=3, stride=2, padding=1)),
    (True, True, True, dict(kernel_size=3, padding=2, dilation=2)),
    (True, True, False, dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0))),
]


@pytest.mark.parametrize('multi_channel, per_channel, bias, kwargs', CASES)
def test_partial_conv_equals_the_window_loop(multi_channel, per_channel, bias, kwargs):
    torch.manual_seed(0)
    conv = PartialConv2d(3, 4, bias=bias, multi_channel=multi_channel, **kwargs).double()
    if bias:
        torch.nn.init.uniform_(conv.bias, -1, 1)      # a bias the test can see
    x = torch.randn(2, 3, 7, 8, dtype=torch.float64)
    # holes of every size, including windows with no valid input at all
    mask = (torch.rand(2, 3 if per_channel else 1, 7, 8) > 0.55).double()
    mask[0, :, 1:6, 1:7] = 0
    out, new = conv(x, mask)
    expected, expected_mask = reference(conv, x, mask)
    assert (expected_mask == 0).any() and (expected_mask == 1).any()
    torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)
    channels = 4 if multi_channel else 1            # NVIDIA's: one map per output channel
    assert new.shape == (2, channels, *expected.shape[2:])
    assert torch.equal(new, expected_mask.expand_as(new))


def test_multi_channel_float32_matches_the_loop_and_gradients_reach_x():
    torch.manual_seed(1)
    conv = PartialConv2d(2, 3, 3, padding=1, multi_channel=True)
    x = torch.randn(1, 2, 6, 6, requires_grad=True)
    mask = torch.ones(1, 2, 6, 6)
    mask[:, 0, :3] = 0                                   # a hole in one channel only
    out, new = conv(x, mask)
    expected, _ = reference(conv, x.detach(), mask)
    torch.testing.assert_close(out.double(), expected, rtol=1e-5, atol=1e-5)
    assert new.eq(1).all()                               # every window sees channel 1
    out.sum().backward()
    assert x.grad[:, 0, :3].eq(0).all() and x.grad[:, 1].ne(0).any()


def test_all_valid_is_a_plain_convolution_inside():
    conv = PartialConv2d(3, 4, 5, stride=2, padding=2, bias=False)
    x = torch.randn(2, 3, 8, 8)
    out, _ = conv(x, torch.ones(2, 1, 8, 8))
    plain = F.conv2d(x, conv.weight, stride=2, padding=2)
    torch.testing.assert_close(out[..., 1:-1, 1:-1], plain[..., 1:-1, 1:-1])


@pytest.mark.parametrize('multi_channel, shape', [
    (True, (1, 1, 6, 6)),      # multi_channel needs one mask per input channel
    (False, (1, 2, 6, 6)),     # neither 1 nor C_in channels
    (False, (1, 1, 5, 6)),     # another size than x
])
def test_a_mask_of_the_wrong_shape_is_one_clear_error(multi_channel, shape):
    conv = PartialConv2d(3, 4, 3, padding=1, multi_channel=multi_channel)
    with pytest.raises(ValueError, match=r'PartialConv2d\(multi_channel=.*mask must be'):
        conv(torch.randn(1, 3, 6, 6), torch.ones(shape))


def test_groups_are_refused():
    with pytest.raises(ValueError, match='groups=1'):
        PartialConv2d(4, 4, 3, groups=2)
