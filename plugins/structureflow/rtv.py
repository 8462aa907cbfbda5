"""Relative Total Variation smoothing (Xu, Yan, Xia and Jia, "Structure Extraction from
Texture via Relative Total Variation", SIGGRAPH Asia 2012), as StructureFlow makes its
structure images: ``tsmooth(I, lambda=0.015, sigma=3, sharpness=0.001, iterations=3)``.

Each iteration weighs every horizontal and vertical pixel pair by
``1 / max(windowed |gradient| of a Gaussian-blurred copy, 0.001)`` (the inverse of the
"windowed inherent variation") times ``1 / max(mean over channels of the gradient
magnitude, sharpness)``, and solves ``(Id + lambda/2 L_w) S = I`` for every channel, where
``L_w`` is the weighted 5-point graph Laplacian. The blur's sigma halves each iteration
(not below 0.5); each solve starts again from the input ``I``. Pixels under the optional
``mask`` do not contribute gradients to the weights (the MATLAB script's inpainting
variant).

Two solvers: ``'direct'`` (a sparse LU solve, the exact minimiser; the default, several
times faster here), and ``'pcg'``, the
MATLAB script's own path: preconditioned conjugate gradients from zero with the relative
residual tolerance 0.1 and at most 100 iterations, preconditioned with the modified
incomplete Cholesky factorisation of zero fill (MATLAB's ``ichol(A, michol='on')``), in
MATLAB's column-major pixel order. The tolerance is loose, so the two differ; the
official structure images were made with the PCG path.
"""
from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from scipy.ndimage import convolve1d
from scipy.sparse.linalg import splu, spsolve_triangular

__all__ = ['rtv_smooth', 'rtv_smooth_tensor', 'SOLVERS']

SOLVERS = ('direct', 'pcg')


def _matlab_round(x: float) -> int:
    return int(math.floor(x + 0.5))        # half away from zero for x >= 0, as MATLAB


def _blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian of ``round(5 sigma) | 1`` taps, zero outside the image."""
    size = _matlab_round(5 * sigma) | 1
    x = np.arange(size) - (size - 1) / 2
    g = np.exp(-x * x / (2 * sigma * sigma))
    g /= g.sum()
    out = convolve1d(img, g, axis=1, mode='constant')
    return convolve1d(out, g, axis=0, mode='constant')


def _diff(a: np.ndarray, axis: int) -> np.ndarray:
    """Forward difference, zero in the last row/column."""
    d = np.zeros_like(a)
    if axis == 1:
        d[:, :-1] = a[:, 1:] - a[:, :-1]
    else:
        d[:-1] = a[1:] - a[:-1]
    return d


def _weights(x: np.ndarray, keep: np.ndarray, sigma: float, sharpness: float):
    """Edge weights ``(wx, wy)`` [H, W] of the pairs (y, x)-(y, x+1) and (y, x)-(y+1, x)."""
    ch = x.shape[2]
    fx, fy = _diff(x, 1) * keep, _diff(x, 0) * keep
    wto = 1.0 / np.maximum(np.sqrt(fx * fx + fy * fy).sum(2) / ch, sharpness)
    blurred = _blur(x, sigma)
    wx = wto / np.maximum(np.abs(_diff(blurred, 1)).sum(2) / ch, 0.001)
    wy = wto / np.maximum(np.abs(_diff(blurred, 0)).sum(2) / ch, 0.001)
    wx[:, -1] = 0
    wy[-1, :] = 0
    return wx, wy


def _system(wx: np.ndarray, wy: np.ndarray, lam: float):
    """``Id + lam L_w`` over pixels in column-major order, and its diagonals."""
    h, w = wx.shape
    k = h * w
    east = -lam * wx.ravel(order='F')     # coupling of pixel i and i + h (next column)
    south = -lam * wy.ravel(order='F')    # coupling of pixel i and i + 1 (next row)
    west = np.concatenate([np.zeros(h), east[:-h]])
    north = np.concatenate([np.zeros(1), south[:-1]])
    diag = 1.0 - (east + west + south + north)
    a = sp.diags([east[:k - h], south[:k - 1], diag, south[:k - 1], east[:k - h]],
                 [-h, -1, 0, 1, h], shape=(k, k), format='csr')
    return a, diag, south, east


def _mic0(diag: np.ndarray, south: np.ndarray, east: np.ndarray, h: int) -> np.ndarray:
    """The pivots ``d`` of the modified incomplete Cholesky factorisation without fill,
    ``A ~ (D + A_lower) D^-1 (D + A_upper)`` with ``A e = M e`` (row sums kept).

    For the 5-point matrix: ``d_i = a_i - b_i (b_i + c_{i+h-1}) / d_{i-1}
    - c_i (c_i + b_{i-h+1}) / d_{i-h}``, with ``b_i = A[i, i-1]`` and ``c_i = A[i, i-h]``;
    the products are the fill entries the factorisation drops, moved onto the diagonal."""
    k = diag.size
    a = diag.tolist()
    b = [0.0] + south[:-1].tolist()                     # b[i] = A[i, i-1]
    c = [0.0] * h + east[:-h].tolist()                  # c[i] = A[i, i-h]
    d = [0.0] * k
    for i in range(k):
        v = a[i]
        if i >= 1 and b[i]:
            c_up = c[i + h - 1] if i + h - 1 < k else 0.0
            v -= b[i] * (b[i] + c_up) / d[i - 1]
        if i >= h and c[i]:
            b_left = b[i - h + 1]
            v -= c[i] * (c[i] + b_left) / d[i - h]
        d[i] = v
    return np.asarray(d)


def _pcg(a, rhs: np.ndarray, lower, upper, d: np.ndarray, tol: float, maxiter: int):
    """MATLAB's ``pcg(A, b, tol, maxit, L, L')`` from ``x0 = 0`` (its stopping rule:
    ``|b - A x| <= tol |b|``); returns the last iterate."""
    def precond(r):
        y = spsolve_triangular(lower, r, lower=True)
        return spsolve_triangular(upper, d * y, lower=False)
    x = np.zeros_like(rhs)
    nb = np.linalg.norm(rhs)
    if nb == 0:
        return x
    r = rhs.copy()
    if np.linalg.norm(r) <= tol * nb:
        return x
    rho_old, p = None, None
    for _ in range(maxiter):
        z = precond(r)
        rho = r @ z
        p = z if p is None else z + (rho / rho_old) * p
        q = a @ p
        alpha = rho / (p @ q)
        x = x + alpha * p
        r = r - alpha * q
        rho_old = rho
        if np.linalg.norm(r) <= tol * nb:
            break
    return x


def _solve(image: np.ndarray, wx, wy, lam: float, solver: str, tol: float,
           maxiter: int) -> np.ndarray:
    h, w, ch = image.shape
    a, diag, south, east = _system(wx, wy, lam)
    rhs = image.reshape(h * w, ch, order='F')
    if solver == 'direct':
        out = splu(a.tocsc()).solve(rhs)
    else:
        d = _mic0(diag, south, east, h)
        lower = (sp.tril(a, -1) + sp.diags(d)).tocsr()
        upper = (sp.triu(a, 1) + sp.diags(d)).tocsr()
        out = np.stack([_pcg(a, rhs[:, c].copy(), lower, upper, d, tol, maxiter)
                        for c in range(ch)], 1)
    return out.reshape(h, w, ch, order='F')


def rtv_smooth(image: np.ndarray, lam: float = 0.015, sigma: float = 3.0,
               sharpness: float = 0.001, iterations: int = 3, mask: np.ndarray | None = None,
               solver: str = 'direct', tol: float = 0.1, maxiter: int = 100) -> np.ndarray:
    """RTV structure of ``image`` [H, W] or [H, W, C] in [0, 1] (uint8 is scaled) -> float64
    of the same shape. ``mask`` [H, W] (nonzero = hole) removes the hole's gradients from
    the weights. The defaults are StructureFlow's ``tsmooth(I, 0.015, 3, 0.001, 3)``."""
    if solver not in SOLVERS:
        raise ValueError(f'rtv_smooth: solver must be one of {list(SOLVERS)}, got {solver!r}')
    img = np.asarray(image)
    img = img / 255.0 if img.dtype == np.uint8 else img.astype(np.float64)
    gray = img.ndim == 2
    if gray:
        img = img[..., None]
    if img.ndim != 3 or min(img.shape[:2]) < 2:
        raise ValueError(f'rtv_smooth: image must be [H, W] or [H, W, C] with H, W >= 2, '
                         f'got {list(np.shape(image))}')
    keep = np.ones(img.shape[:2] + (1,))
    if mask is not None:
        keep = (np.asarray(mask).reshape(img.shape[:2]) <= 0).astype(np.float64)[..., None]
    x, s = img, float(sigma)
    for _ in range(int(iterations)):
        wx, wy = _weights(x, keep, s, sharpness)
        x = _solve(img, wx, wy, lam / 2.0, solver, tol, maxiter)
        s = max(s / 2.0, 0.5)
    return x[..., 0] if gray else x


def rtv_smooth_tensor(images, mask=None, **kwargs):
    """:func:`rtv_smooth` of each image of a batch [B, C, H, W] in [-1, 1] (the model's
    range), with each mask [B, 1, H, W] if given -> a tensor like ``images`` (no gradient)."""
    import torch
    out = []
    for i, img in enumerate(images.detach().double().cpu()):
        m = None if mask is None else mask[i, 0].detach().cpu().numpy()
        x = rtv_smooth(((img.permute(1, 2, 0).numpy() + 1) / 2).clip(0, 1), mask=m, **kwargs)
        out.append(torch.from_numpy(x).permute(2, 0, 1) * 2 - 1)
    return torch.stack(out).to(device=images.device, dtype=images.dtype)
