"""The Fourier unit's 2-D real FFT and its inverse as products with DFT matrices.

``torch.fft`` exports to ONNX's ``DFT`` operator, which most runtimes other than
onnxruntime lack (TensorRT, OpenVINO, the web runtimes; LaMa issue #84). A DFT of length
``n`` is a product with an ``n x n`` matrix of cosines and sines, which every runtime runs
as a MatMul. On LaMa's bottleneck (``H/8 x W/8``, 32 x 32 at 256²) the matrices are small,
so the products cost little next to the convolutions.

The matrices are built from the input's shape inside the computation (``arange`` of the
size, angles ``2 pi (k j mod n) / n``), so an exported graph keeps dynamic height and width;
reducing ``k j`` modulo ``n`` in integers first keeps the angles exact in float32.

Both functions match ``torch.fft.rfftn`` / ``irfftn`` over the last two dimensions with
``norm='ortho'``, real and imaginary parts as separate tensors.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor


def _cos_sin(rows: int, cols: int, n: int, like: Tensor) -> tuple[Tensor, Tensor]:
    """``cos`` and ``sin`` of ``2 pi (r c mod n) / n`` for ``r < rows``, ``c < cols``."""
    r = torch.arange(rows, device=like.device)[:, None]
    c = torch.arange(cols, device=like.device)[None, :]
    # n as a tensor: the ONNX exporter cannot translate ``%`` by a symbolic Python int
    period = torch.full((), n, device=like.device)
    angle = torch.remainder(r * c, period).to(like.dtype) * (2 * math.pi / n)   # [rows, cols]
    return torch.cos(angle), torch.sin(angle)


def rfft2_ortho(x: Tensor) -> tuple[Tensor, Tensor]:
    """``torch.fft.rfftn(x, dim=(-2, -1), norm='ortho')`` of real ``x [..., H, W]`` as
    ``(real, imag)``, each ``[..., H, W // 2 + 1]``."""
    h, w = x.shape[-2], x.shape[-1]
    cw, sw = _cos_sin(w, w // 2 + 1, w, x)                         # [W, W']
    ch, sh = _cos_sin(h, h, h, x)                                  # [H, H], symmetric
    # along W (real input): e^{-i t} = cos t - i sin t
    re, im = x @ cw, -(x @ sw)                                     # [..., H, W']
    # along H (complex input)
    scale = 1.0 / (h * w) ** 0.5
    return (ch @ re + sh @ im) * scale, (ch @ im - sh @ re) * scale


def irfft2_ortho(re: Tensor, im: Tensor, w: int) -> Tensor:
    """``torch.fft.irfftn(re + i im, s=(H, w), dim=(-2, -1), norm='ortho')`` for the half
    spectrum ``[..., H, w // 2 + 1]``: real ``[..., H, w]``."""
    h, half = re.shape[-2], re.shape[-1]
    ch, sh = _cos_sin(h, h, h, re)                                 # [H, H]
    # inverse along H (complex): e^{+i t}
    zr, zi = ch @ re - sh @ im, ch @ im + sh @ re                  # [..., H, W']
    # complex-to-real along W: the bins 1 .. ceil(w/2)-1 stand for themselves and their
    # conjugate mirror (weight 2); DC and, for even w, the Nyquist bin once. The imaginary
    # part of those two is dropped, as by irfft: their sines vanish (the Nyquist bin's
    # sin(pi) is zeroed, not left at float32's -9e-8).
    cw, sw = _cos_sin(half, w, w, re)                              # [W', W]
    k = torch.arange(half, device=re.device)[:, None]
    nyquist = (2 * k == w).to(re.dtype)
    weight = 2 - (k == 0).to(re.dtype) - nyquist                   # [W', 1]
    sw = sw * (1 - nyquist)
    out = zr @ (weight * cw) - zi @ (weight * sw)                  # [..., H, w]
    return out / (h * w) ** 0.5
