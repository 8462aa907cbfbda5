"""Gaussian sampling of a feature map at flow-displaced positions (Ren et al., ICCV 2019,
Sec. 3.2), in PyTorch for the CPU and the GPU (the official code is a CUDA extension).

For output pixel ``(y, x)`` with flow ``(dx, dy)`` the sampling point is
``(yf, xf) = (y + dy, x + dx)``. Its ``k x k`` integer neighbours ``floor(xf) + o``,
``o = -(k/2 - 1) ... k/2`` (and the same in y) are averaged with the separable Gaussian
weights ``exp(-d^2 / (2 sigma^2))`` of their distances ``d`` to the point, normalised by the
sum of all ``k^2`` weights. Neighbours outside the map are clamped to its border (each
still counts with its own weight), as in the official kernel. With ``k = 2`` this is a
smoothed bilinear sampling; the paper uses ``k = 16, sigma = 4`` and ``k = 4, sigma = 2``.

The backward pass is written out (the derivative of the weights with respect to the flow,
and the scatter of the output gradient onto the neighbours), so memory stays that of the
inputs and not of ``k^2`` gathered copies. It is the exact derivative of the forward pass
almost everywhere: where ``xf`` or ``yf`` is an integer the window jumps by one pixel and
the function is discontinuous, as the official one.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ['gaussian_sample', 'GaussianSampler']


def _axis(coord: Tensor, k: int, sigma: float, size: int):
    """Per neighbour ``o`` along one axis: clamped index, weight, d weight / d coord."""
    base = torch.floor(coord)
    out = []
    for o in range(-(k // 2 - 1), k // 2 + 1):
        pos = base + o
        dist = coord - pos
        w = torch.exp(-dist * dist / (2 * sigma * sigma))
        out.append((pos.clamp(0, size - 1).long(), w, -dist / (sigma * sigma) * w))
    return out


def _taps(flow: Tensor, k: int, sigma: float, h_in: int, w_in: int):
    b, _, h, w = flow.shape
    ys = torch.arange(h, device=flow.device, dtype=flow.dtype).view(1, h, 1)
    xs = torch.arange(w, device=flow.device, dtype=flow.dtype).view(1, 1, w)
    xf = (xs + flow[:, 0]).reshape(b, 1, h * w)                   # [B, 1, HW]
    yf = (ys + flow[:, 1]).reshape(b, 1, h * w)
    return _axis(yf, k, sigma, h_in), _axis(xf, k, sigma, w_in)


class _GaussianSample(torch.autograd.Function):

    @staticmethod
    def forward(ctx, image: Tensor, flow: Tensor, k: int, sigma: float) -> Tensor:
        b, c, h_in, w_in = image.shape
        h, w = flow.shape[-2:]
        flat = image.reshape(b, c, h_in * w_in)
        ty, tx = _taps(flow, k, sigma, h_in, w_in)
        val = image.new_zeros(b, c, h * w)
        total = image.new_zeros(b, 1, h * w)
        for iy, wy, _ in ty:
            for ix, wx, _ in tx:
                weight = wy * wx                                   # [B, 1, HW]
                index = (iy * w_in + ix).expand(b, c, h * w)
                val += weight * flat.gather(2, index)
                total += weight
        out = val / total
        ctx.save_for_backward(image, flow, out, total)
        ctx.k, ctx.sigma = k, sigma
        return out.view(b, c, h, w)

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        image, flow, out, total = ctx.saved_tensors
        k, sigma = ctx.k, ctx.sigma
        b, c, h_in, w_in = image.shape
        h, w = flow.shape[-2:]
        flat = image.reshape(b, c, h_in * w_in)
        g = grad_out.reshape(b, c, h * w)
        ty, tx = _taps(flow, k, sigma, h_in, w_in)
        grad_image = torch.zeros_like(flat) if ctx.needs_input_grad[0] else None
        want_flow = ctx.needs_input_grad[1]
        # d out / d xf = (sum_t dw_t/dxf I_t - out * dS/dxf) / S, contracted with g over C
        gx = image.new_zeros(b, 1, h * w)
        gy = image.new_zeros(b, 1, h * w)
        dsx = image.new_zeros(b, 1, h * w)
        dsy = image.new_zeros(b, 1, h * w)
        scaled = g / total
        for iy, wy, dwy in ty:
            for ix, wx, dwx in tx:
                index = (iy * w_in + ix).expand(b, c, h * w)
                if grad_image is not None:
                    grad_image.scatter_add_(2, index, wy * wx * scaled)
                if want_flow:
                    gi = (g * flat.gather(2, index)).sum(1, keepdim=True)
                    gx += wy * dwx * gi
                    gy += dwy * wx * gi
                    dsx += wy * dwx
                    dsy += dwy * wx
        grad_flow = None
        if want_flow:
            go = (g * out).sum(1, keepdim=True)
            grad_flow = torch.cat([(gx - go * dsx) / total, (gy - go * dsy) / total], 1)
            grad_flow = grad_flow.view(b, 2, h, w)
        if grad_image is not None:
            grad_image = grad_image.view(b, c, h_in, w_in)
        return grad_image, grad_flow, None, None


def gaussian_sample(image: Tensor, flow: Tensor, kernel_size: int = 4,
                    sigma: float = 2.0) -> Tensor:
    """Sample ``image`` [B, C, Hi, Wi] at the points ``flow`` [B, 2, H, W] points to
    (channel 0: x offset, channel 1: y offset, in pixels of ``image``) -> [B, C, H, W]."""
    if image.ndim != 4 or flow.ndim != 4 or flow.shape[1] != 2 or \
            flow.shape[0] != image.shape[0]:
        raise ValueError(f'gaussian_sample: image must be [B, C, H, W] and flow [B, 2, H, W]'
                         f', got {list(image.shape)} and {list(flow.shape)}')
    if kernel_size < 2 or kernel_size % 2:
        raise ValueError(f'gaussian_sample: kernel_size must be even and >= 2, got '
                         f'{kernel_size}')
    if not sigma > 0:
        raise ValueError(f'gaussian_sample: sigma must be > 0, got {sigma}')
    flow = flow.to(image.dtype)
    return _GaussianSample.apply(image.contiguous(), flow.contiguous(), int(kernel_size),
                                 float(sigma))


class GaussianSampler(nn.Module):
    """:func:`gaussian_sample` with a fixed ``kernel_size`` and ``sigma``."""

    def __init__(self, kernel_size: int = 4, sigma: float = 2.0) -> None:
        super().__init__()
        self.kernel_size, self.sigma = int(kernel_size), float(sigma)

    def forward(self, image: Tensor, flow: Tensor) -> Tensor:
        return gaussian_sample(image, flow, self.kernel_size, self.sigma)

    def extra_repr(self) -> str:
        return f'kernel_size={self.kernel_size}, sigma={self.sigma}'
