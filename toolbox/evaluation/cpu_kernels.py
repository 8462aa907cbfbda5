"""Float64 image-quality kernels for CPU tensors, compiled by numba: SSIM in one fused pass
per image plane, and sums of squared errors (for MSE and PSNR).

SSIM. Filtering its four maps (x, y, x^2 + y^2, x y) with torch operators takes ``k``
shifted multiply-adds per direction, each a pass over multi-megabyte planes: on the CPU that
is bound by memory, not arithmetic. Here each plane is walked row by row instead:

* the row's maps are formed (centred at ``offset``, see ``functional._SSIMKernel``) and
  filtered horizontally into a ring of the last ``k + 1`` filtered rows, which stays in
  cache;
* every second row, two output rows are filtered vertically from the ring (each ring row
  loaded once for both: this pass is bound by the cache's bandwidth), and the SSIM formula
  is applied and summed (times an optional weight per pixel) without storing the map,
  unless it is asked for.

Everything is float64, as in ``_SSIMKernel``'s default path, so the values are those of
scikit-image to rounding (about 1e-13). Taps are applied eleven at a time in one expression
(the window zero-padded to a multiple of eleven): the partial sum stays in a register,
where a loop over taps would load and store it once per tap. Measured on a Zen 5 core
(``tools/benchmark.py metrics``, 256 x 256 RGB): about 1.3 ms per pair (1.6 ms with one
output row at a time), against 5.2 ms for ``_SSIMKernel``'s float64 operators and 2.2 ms
for its float32 ones.

Squared errors: the differences of float32 inputs are exact in float64, and so are the
sums to rounding; torch would square and sum rows in float32 (a few 1e-8 of the MSE off),
and converting whole batches to float64 first costs more than the rest of PSNR.

Each image is computed alone, the same way whatever the batch, on one thread.
"""
from __future__ import annotations

import numba
import numpy as np
import torch
from torch import Tensor

#: taps applied per expression; the default window has exactly this many
TAPS = 11

# 'contract' only lets multiply-adds fuse (one rounding instead of two); no reordering.
_jit = numba.njit(cache=True, nogil=True, boundscheck=False, fastmath={'contract'})


@_jit
def _row_taps(dst, src, g, c0, add):
    """dst[j] (+)= sum over u < 11 of g[c0 + u] src[c0 + j + u]."""
    g0, g1, g2, g3, g4, g5 = g[c0], g[c0 + 1], g[c0 + 2], g[c0 + 3], g[c0 + 4], g[c0 + 5]
    g6, g7, g8, g9, g10 = g[c0 + 6], g[c0 + 7], g[c0 + 8], g[c0 + 9], g[c0 + 10]
    s = src[c0:]
    for j in range(dst.shape[0]):
        v = (g0 * s[j] + g1 * s[j + 1] + g2 * s[j + 2] + g3 * s[j + 3] + g4 * s[j + 4]
             + g5 * s[j + 5] + g6 * s[j + 6] + g7 * s[j + 7] + g8 * s[j + 8]
             + g9 * s[j + 9] + g10 * s[j + 10])
        if add:
            dst[j] += v
        else:
            dst[j] = v


@_jit
def _col_taps(dst, ring, idx, g, c0, add):
    """dst[j] (+)= sum over v < 11 of g[c0 + v] ring[idx[v], j]."""
    g0, g1, g2, g3, g4, g5 = g[c0], g[c0 + 1], g[c0 + 2], g[c0 + 3], g[c0 + 4], g[c0 + 5]
    g6, g7, g8, g9, g10 = g[c0 + 6], g[c0 + 7], g[c0 + 8], g[c0 + 9], g[c0 + 10]
    r0, r1, r2, r3 = ring[idx[0]], ring[idx[1]], ring[idx[2]], ring[idx[3]]
    r4, r5, r6, r7 = ring[idx[4]], ring[idx[5]], ring[idx[6]], ring[idx[7]]
    r8, r9, r10 = ring[idx[8]], ring[idx[9]], ring[idx[10]]
    for j in range(dst.shape[0]):
        v = (g0 * r0[j] + g1 * r1[j] + g2 * r2[j] + g3 * r3[j] + g4 * r4[j] + g5 * r5[j]
             + g6 * r6[j] + g7 * r7[j] + g8 * r8[j] + g9 * r9[j] + g10 * r10[j])
        if add:
            dst[j] += v
        else:
            dst[j] = v


@_jit
def _col_taps2(dst0, dst1, ring, idx, g, c0, add):
    """Two output rows from twelve ring rows: dst0 from rows 0-10, dst1 from rows 1-11
    (each row loaded once for both)."""
    g0, g1, g2, g3, g4, g5 = g[c0], g[c0 + 1], g[c0 + 2], g[c0 + 3], g[c0 + 4], g[c0 + 5]
    g6, g7, g8, g9, g10 = g[c0 + 6], g[c0 + 7], g[c0 + 8], g[c0 + 9], g[c0 + 10]
    r0, r1, r2, r3 = ring[idx[0]], ring[idx[1]], ring[idx[2]], ring[idx[3]]
    r4, r5, r6, r7 = ring[idx[4]], ring[idx[5]], ring[idx[6]], ring[idx[7]]
    r8, r9, r10, r11 = ring[idx[8]], ring[idx[9]], ring[idx[10]], ring[idx[11]]
    for j in range(dst0.shape[0]):
        a1, a2, a3, a4, a5, a6 = r1[j], r2[j], r3[j], r4[j], r5[j], r6[j]
        a7, a8, a9, a10 = r7[j], r8[j], r9[j], r10[j]
        v0 = (g0 * r0[j] + g1 * a1 + g2 * a2 + g3 * a3 + g4 * a4 + g5 * a5 + g6 * a6
              + g7 * a7 + g8 * a8 + g9 * a9 + g10 * a10)
        v1 = (g0 * a1 + g1 * a2 + g2 * a3 + g3 * a4 + g4 * a5 + g5 * a6 + g6 * a7
              + g7 * a8 + g8 * a9 + g9 * a10 + g10 * r11[j])
        if add:
            dst0[j] += v0
            dst1[j] += v1
        else:
            dst0[j] = v0
            dst1[j] = v1


@_jit
def _formula(acc, c1, c2, offset, val):
    """The SSIM of one row from its filtered maps (centred means, E[x^2 + y^2], E[x y])."""
    a0, a1, a2, a3 = acc[0], acc[1], acc[2], acc[3]
    for j in range(val.shape[0]):
        mx, my = a0[j], a1[j]            # means of the centred x and y
        cs_num = 2.0 * (a3[j] - mx * my) + c2           # 2 cov + C2
        cs_den = a2[j] - mx * mx - my * my + c2         # var_x + var_y + C2
        mx += offset
        my += offset
        val[j] = ((2.0 * mx * my + c1) * cs_num / ((mx * mx + my * my + c1) * cs_den))


@_jit
def _ssim_sums(x, y, g, k, c1, c2, offset, weight, out):
    """Per image, the sum over channels and positions of the SSIM map (times ``weight``
    [B, Ho, Wo] where that is not empty); the map goes to ``out`` [B, C, Ho, Wo] where that
    is not empty. ``g``: the window, zero-padded to a multiple of ``TAPS``; ``k``: its
    length."""
    n_img, n_ch, h, w = x.shape
    kp = g.shape[0]
    ho, wo = h - k + 1, w - k + 1
    weighted = weight.shape[0] > 0
    store = out.shape[0] > 0
    maps = np.zeros((4, w + kp))           # the padding is read by zero taps only
    slots = k + 1                          # the last k + 1 filtered rows per map
    ring = np.empty((4, slots + 1, wo))    # then a row of zeros
    ring[:, slots] = 0.0
    acc = np.empty((2, 4, wo))
    val = np.empty(wo)
    idx = np.empty(TAPS + 1, np.int64)
    sums = np.zeros(n_img)
    for b in range(n_img):
        for c in range(n_ch):
            total = 0.0
            for i in range(h):
                xr, yr = x[b, c, i], y[b, c, i]
                m0, m1, m2, m3 = maps[0], maps[1], maps[2], maps[3]
                for j in range(w):
                    p = xr[j] - offset
                    q = yr[j] - offset
                    m0[j] = p
                    m1[j] = q
                    m2[j] = p * p + q * q
                    m3[j] = p * q
                slot = i % slots
                for m in range(4):
                    for c0 in range(0, kp, TAPS):
                        _row_taps(ring[m, slot], maps[m], g, c0, c0 > 0)
                r = i - k + 1                   # the output row now complete
                if r < 0:
                    continue
                if r % 2 == 1:                  # rows r - 1 and r together
                    first = r - 1
                    for m in range(4):
                        for c0 in range(0, kp, TAPS):
                            for v in range(TAPS + 1):
                                t = c0 + v      # row first + k (the newest) serves row r only
                                idx[v] = (first + t) % slots if t <= k else slots
                            _col_taps2(acc[0, m], acc[1, m], ring[m], idx, g, c0, c0 > 0)
                elif r == ho - 1:               # a last row alone
                    first = r
                    for m in range(4):
                        for c0 in range(0, kp, TAPS):
                            for v in range(TAPS):
                                t = c0 + v
                                idx[v] = (r + t) % slots if t < k else slots
                            _col_taps(acc[0, m], ring[m], idx, g, c0, c0 > 0)
                else:
                    continue
                for row in range(first, r + 1):
                    _formula(acc[row - first], c1, c2, offset, val)
                    if store:
                        out[b, c, row] = val
                    if weighted:
                        wr = weight[b, row]
                        for j in range(wo):
                            total += val[j] * wr[j]
                    else:
                        for j in range(wo):
                            total += val[j]
            sums[b] += total
    return sums


@_jit
def _squared_error_sums(x, y, weight):
    """Per image, the sum over channels and pixels of (x - y)^2 (times ``weight``
    [B, H, W] where that is not empty)."""
    n_img, n_ch, h, w = x.shape
    weighted = weight.shape[0] > 0
    acc = np.empty(w)      # per column: the sum vectorises without reordering any terms
    sums = np.zeros(n_img)
    for b in range(n_img):
        acc[:] = 0.0
        for c in range(n_ch):
            for i in range(h):
                xr, yr = x[b, c, i], y[b, c, i]
                if weighted:
                    wr = weight[b, i]
                    for j in range(w):
                        d = np.float64(xr[j]) - np.float64(yr[j])
                        acc[j] += d * d * wr[j]
                else:
                    for j in range(w):
                        d = np.float64(xr[j]) - np.float64(yr[j])
                        acc[j] += d * d
        sums[b] = acc.sum()
    return sums


def _array(t: Tensor) -> np.ndarray:
    return t.detach().contiguous().numpy()


def _pair(pred: Tensor, target: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Both as arrays of one type the kernels are compiled for (float32 or float64)."""
    if pred.dtype != target.dtype or pred.dtype not in (torch.float32, torch.float64):
        pred, target = pred.double(), target.double()
    return _array(pred), _array(target)


def squared_error_sums(pred: Tensor, target: Tensor, weight: Tensor | None = None) -> Tensor:
    """Per image (``[B]`` float64), the sum of ``(pred - target)^2`` over channels and
    pixels of CPU tensors ``[B, C, H, W]``, each pixel times ``weight`` ``[B, H, W]`` if
    given."""
    w = np.empty((0, 0, 0)) if weight is None else _array(weight.double())
    return torch.from_numpy(_squared_error_sums(*_pair(pred, target), w))


def ssim_sums(pred: Tensor, target: Tensor, window: Tensor, c1: float, c2: float,
              offset: float, weight: Tensor | None = None,
              out: Tensor | None = None) -> Tensor:
    """Per image (``[B]`` float64), the SSIM map of CPU tensors ``[B, C, H, W]`` summed over
    channels and positions, each position times ``weight`` ``[B, H - k + 1, W - k + 1]``
    if given; the map itself is written to ``out`` (float64 ``[B, C, H - k + 1,
    W - k + 1]``, contiguous) if given. ``window``: the 1-D filter, length ``k``."""
    k = window.numel()
    g = np.zeros(-(-k // TAPS) * TAPS)
    g[:k] = window.double().cpu().numpy()
    empty_w = np.empty((0, 0, 0))
    empty_o = np.empty((0, 0, 0, 0))
    w = empty_w if weight is None else _array(weight.double())
    o = empty_o if out is None else out.numpy()
    return torch.from_numpy(_ssim_sums(*_pair(pred, target), g, k, float(c1), float(c2),
                                       float(offset), w, o))
