"""StructureFlow's Gaussian sampler (plugins/structureflow/sampler.py) against a float64
reference written pixel by pixel from the sampling formula, with the derivatives worked
out by hand (the quotient rule on ``sum w I / sum w``): forward and both gradients, for
the paper's two kernels, with flows that point outside the map and fractional positions
just above an integer and just below the next."""
import math

import pytest
import torch

from toolbox_plugins.structureflow.sampler import GaussianSampler, gaussian_sample


def _reference(image, flow, grad_out, k, sigma):
    """Forward and hand-derived gradients, one output pixel and one neighbour at a time."""
    b, c, hi, wi = image.shape
    _, _, h, w = flow.shape
    out = torch.zeros(b, c, h, w, dtype=torch.float64)
    g_img = torch.zeros_like(image)
    g_flow = torch.zeros_like(flow)
    for n in range(b):
        for y in range(h):
            for x in range(w):
                xf, yf = x + float(flow[n, 0, y, x]), y + float(flow[n, 1, y, x])
                taps = []
                for oy in range(-(k // 2 - 1), k // 2 + 1):
                    for ox in range(-(k // 2 - 1), k // 2 + 1):
                        py, px = math.floor(yf) + oy, math.floor(xf) + ox
                        wt = math.exp(-((yf - py) ** 2 + (xf - px) ** 2) / (2 * sigma ** 2))
                        dwx = -(xf - px) / sigma ** 2 * wt         # d w / d xf
                        dwy = -(yf - py) / sigma ** 2 * wt
                        taps.append((min(max(py, 0), hi - 1), min(max(px, 0), wi - 1),
                                     wt, dwx, dwy))
                s = sum(t[2] for t in taps)
                dsx, dsy = sum(t[3] for t in taps), sum(t[4] for t in taps)
                for ch in range(c):
                    val = sum(wt * float(image[n, ch, iy, ix]) for iy, ix, wt, _, _ in taps)
                    dvx = sum(dx * float(image[n, ch, iy, ix]) for iy, ix, _, dx, _ in taps)
                    dvy = sum(dy * float(image[n, ch, iy, ix]) for iy, ix, _, _, dy in taps)
                    out[n, ch, y, x] = val / s
                    g = float(grad_out[n, ch, y, x])
                    g_flow[n, 0, y, x] += g * (dvx / s - val * dsx / s ** 2)
                    g_flow[n, 1, y, x] += g * (dvy / s - val * dsy / s ** 2)
                    for iy, ix, wt, _, _ in taps:
                        g_img[n, ch, iy, ix] += g * wt / s
    return out, g_img, g_flow


@pytest.mark.parametrize('k,sigma', [(4, 2.0), (16, 4.0), (2, 1.0)])
def test_forward_and_backward_equal_the_float64_reference(k, sigma):
    torch.manual_seed(0)
    b, c, h, w = 2, 3, 5, 6
    image = torch.randn(b, c, h, w, dtype=torch.float64)
    flow = torch.randn(b, 2, h, w, dtype=torch.float64) * 2
    # fractional parts just above 0 and just below 1 (positions next to an integer)
    flow[0, 0, 0, :3] = torch.tensor([1e-4, 0.9999, -0.9999])
    flow[0, 1, 1, :3] = torch.tensor([2.0001, -1.0001, 0.99999])
    # points far outside the map: every neighbour clamps to the border
    flow[1, 0, 2, :] = 40.0
    flow[1, 1, 3, :] = -25.5
    flow[1, :, 4, 5] = torch.tensor([-13.25, 17.75])
    grad_out = torch.randn(b, c, h, w, dtype=torch.float64)
    ref_out, ref_gi, ref_gf = _reference(image, flow, grad_out, k, sigma)
    img, fl = image.clone().requires_grad_(), flow.clone().requires_grad_()
    out = gaussian_sample(img, fl, k, sigma)
    out.backward(grad_out)
    torch.testing.assert_close(out, ref_out, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(img.grad, ref_gi, rtol=1e-11, atol=1e-11)
    torch.testing.assert_close(fl.grad, ref_gf, rtol=1e-10, atol=1e-10)
    # float32 gives the same to its precision
    out32 = gaussian_sample(image.float(), flow.float(), k, sigma)
    torch.testing.assert_close(out32.double(), ref_out, rtol=1e-4, atol=1e-5)


def test_gradcheck_away_from_integer_positions():
    torch.manual_seed(1)
    image = torch.randn(1, 2, 4, 5, dtype=torch.float64, requires_grad=True)
    # fractional parts in [0.2, 0.8]: finite differences never cross an integer
    flow = (torch.randint(-6, 6, (1, 2, 4, 5)) + 0.2 + 0.6 * torch.rand(1, 2, 4, 5)).double()
    flow.requires_grad_()
    assert torch.autograd.gradcheck(lambda i, f: gaussian_sample(i, f, 4, 2.0), (image, flow))


def test_zero_flow_integer_positions_and_identity_limit():
    torch.manual_seed(2)
    image = torch.randn(1, 2, 6, 7, dtype=torch.float64)
    zero = torch.zeros(1, 2, 6, 7, dtype=torch.float64)
    # a tiny sigma puts all weight on the nearest neighbour: zero flow returns the image
    torch.testing.assert_close(gaussian_sample(image, zero, 4, 0.05), image)
    # a whole-pixel shift moves the image (nearest-neighbour limit again)
    shift = zero.clone()
    shift[:, 0] = 1.0
    out = gaussian_sample(image, shift, 4, 0.05)
    torch.testing.assert_close(out[..., :-1], image[..., 1:])
    torch.testing.assert_close(out[..., -1], image[..., -1])   # clamped at the border
    # a constant map stays constant whatever the flow (the weights are normalised)
    const = torch.full((1, 3, 5, 5), 0.7, dtype=torch.float64)
    flow = torch.randn(1, 2, 5, 5, dtype=torch.float64) * 9
    torch.testing.assert_close(gaussian_sample(const, flow, 16, 4.0), const)


def test_output_takes_the_flow_size_and_module_and_errors():
    image = torch.randn(2, 4, 8, 8)
    flow = torch.zeros(2, 2, 3, 5)
    assert GaussianSampler(16, 4.0)(image, flow).shape == (2, 4, 3, 5)
    with pytest.raises(ValueError, match='kernel_size must be even'):
        gaussian_sample(image, flow, 3, 1.0)
    with pytest.raises(ValueError, match=r'flow \[B, 2, H, W\]'):
        gaussian_sample(image, torch.zeros(2, 3, 3, 5))


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_gpu_equals_cpu():
    torch.manual_seed(3)
    image = torch.randn(2, 8, 16, 16, dtype=torch.float64, requires_grad=True)
    flow = (torch.randn(2, 2, 16, 16, dtype=torch.float64) * 5).requires_grad_()
    grad = torch.randn(2, 8, 16, 16, dtype=torch.float64)
    out = gaussian_sample(image, flow, 16, 4.0)
    out.backward(grad)
    ic, fc = image.detach().cuda().requires_grad_(), flow.detach().cuda().requires_grad_()
    oc = gaussian_sample(ic, fc, 16, 4.0)
    oc.backward(grad.cuda())
    torch.testing.assert_close(oc.cpu(), out, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(ic.grad.cpu(), image.grad, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(fc.grad.cpu(), flow.grad, rtol=1e-10, atol=1e-10)
