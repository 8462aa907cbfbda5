"""Poisson blending of a generated hole into the known pixels (Pérez et al., 2003), the
post-processing of Iizuka et al. (Globally and Locally Consistent Image Completion, 2017).

Inside the hole the result ``f`` keeps the gradients of the generator's output ``g``
and meets the known pixels at the hole's border: for each hole pixel ``p`` with the
neighbours ``N(p)`` inside the image (4-connected),

    |N(p)| f_p - sum_{q in N(p), q in hole} f_q
        = sum_{q in N(p)} (g_p - g_q) + sum_{q in N(p), q known} image_q.

The system is symmetric positive definite when every hole component touches a known
pixel; it is solved per channel by conjugate gradients in float64. Our own solver, so
that no OpenCV is needed (``cv2.seamlessClone`` also moves the source, and refuses holes
touching the image border).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ['poisson_blend']


def _neighbour_sum(x: Tensor) -> Tensor:
    """Sum of the 4 neighbours inside the image, ``x`` [N, 1, H, W] (zero padding)."""
    p = F.pad(x, (1, 1, 1, 1))
    return p[..., :-2, 1:-1] + p[..., 2:, 1:-1] + p[..., 1:-1, :-2] + p[..., 1:-1, 2:]


def poisson_blend(output: Tensor, image: Tensor, mask: Tensor, iters: int = 2000,
                  tol: float = 1e-7) -> Tensor:
    """``image`` [B, C, H, W] with its holes (``mask`` [B, 1, H, W], 1 = hole) filled by
    the Poisson blend of ``output``; known pixels are returned exactly, the hole clamped to [-1, 1]. A sample whose
    mask has no known pixel gets ``output`` as it is (nothing to blend into)."""
    dtype = output.dtype
    b, c, h, w = output.shape
    hole = (mask > 0.5).to(torch.float64).expand(b, c, h, w).reshape(b * c, 1, h, w)
    g = output.detach().to(torch.float64).reshape(b * c, 1, h, w)
    known_img = image.detach().to(torch.float64).reshape(b * c, 1, h, w) * (1 - hole)
    degree = _neighbour_sum(torch.ones_like(hole[:1]))                  # |N(p)|
    rhs = (degree * g - _neighbour_sum(g) + _neighbour_sum(known_img)) * hole

    def apply(x: Tensor) -> Tensor:                                      # A x on the hole
        x = x * hole
        return (degree * x - _neighbour_sum(x)) * hole

    x = g * hole                                                         # start: the output
    r = rhs - apply(x)
    p = r.clone()
    rr = (r * r).sum(dim=(1, 2, 3), keepdim=True)
    scale = (rhs * rhs).sum(dim=(1, 2, 3), keepdim=True).clamp_min(1e-30)
    for _ in range(int(iters)):
        if bool((rr / scale <= tol ** 2).all()):
            break
        ap = apply(p)
        alpha = rr / (p * ap).sum(dim=(1, 2, 3), keepdim=True).clamp_min(1e-30)
        x = x + alpha * p
        r = r - alpha * ap
        rr_new = (r * r).sum(dim=(1, 2, 3), keepdim=True)
        p = r + (rr_new / rr.clamp_min(1e-30)) * p
        rr = rr_new
    x = x.reshape(b, c, h, w)
    no_known = (mask > 0.5).flatten(1).all(dim=1).view(b, 1, 1, 1)
    x = torch.where(no_known, output.detach().to(torch.float64), x)
    m = (mask > 0.5).expand_as(image)
    return torch.where(m, x.clamp(-1, 1).to(dtype), image)
