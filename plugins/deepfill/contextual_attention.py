"""Contextual attention: fill holes in a feature map with known-region patches.

Paper: J. Yu, Z. Lin, J. Yang, X. Shen, X. Lu, T. Huang, "Generative Image Inpainting with
Contextual Attention", CVPR 2018 (Sec. 3.2), as used in DeepFill v2's refinement network.

1. Background patches are extracted as convolution kernels: 3x3 patches of the background
   map *downscaled by* ``rate`` (2), i.e. one patch every ``rate`` pixels of the input, and
   for pasting back the matching raw ``2*rate x 2*rate`` patches of the full-resolution map.
2. Every foreground position is matched against every background patch by cosine
   similarity ``<f / |f|, b / |b|>`` (one batched matrix product).
3. Attention propagation: scores are summed over a 3x3 neighbourhood along the diagonals
   ``s'(p, q) = sum_k s(p + k, q + k)`` (the 3x3 identity kernel, once along x and once
   along y), which favours coherent shifts.
4. A softmax with scale 10 over the background patches that lie entirely in the known
   region (patches touching a hole get zero weight).
5. The attended raw patches are pasted back with a transposed convolution (``fold``) and
   averaged where they overlap.

Everything is batched: no Python loop over the batch or over patches. The batch is done by
batched matrix products (``bmm``) instead of the reference's per-sample ``conv2d`` loops.

What differs from the reference implementation (the authors' TensorFlow code):

* the foreground patch is normalised too, as the paper's equation (1) states (the code
  normalises only the background kernels, so there the softmax temperature varies with the
  feature magnitude);
* the softmax is restricted to known patches by masking *before* it (the code multiplies
  the scores of invalid patches by zero, lets them take part in the softmax, then zeroes
  their weights, so the weights do not sum to one);
* a background patch is valid when its full receptive field at input resolution is known
  (the mask is downscaled by max-pooling, not by nearest-neighbour sampling);
* propagation treats image borders as zero (the code's flattened-index convolution wraps
  from the end of one row to the start of the next);
* pasted patches are divided by how many of them overlap each pixel (4 inside, fewer at
  the image border) instead of by a constant 4, so borders are not darkened.

Cost: matching and pasting are ``O((H W / rate^2)^2 C)``. Large maps are processed in
chunks of foreground rows (``max_elements``), so memory stays bounded, but time grows with
the square of the pixel count: see the plugin README for the strategy for very large images.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ['ContextualAttention', 'contextual_attention', 'offsets_to_rgb']


def _propagate(scores: Tensor, dims: tuple[int, int], radius: int) -> Tensor:
    """``out(p, q) = sum_{|k| <= radius} scores(p + k, q + k)`` along one axis of both the
    background (``dims[0]``) and foreground (``dims[1]``) positions; zero outside."""
    out = scores.clone()
    for k in range(1, radius + 1):
        lead = [slice(None)] * scores.ndim
        lag = [slice(None)] * scores.ndim
        for d in dims:
            lead[d] = slice(k, None)
            lag[d] = slice(None, -k)
        out[tuple(lead)] += scores[tuple(lag)]   # neighbour at -k
        out[tuple(lag)] += scores[tuple(lead)]   # neighbour at +k
    return out


def contextual_attention(foreground: Tensor,
                         background: Tensor,
                         mask: Tensor | None = None,
                         *,
                         patch_size: int = 3,
                         rate: int = 2,
                         fuse_size: int = 3,
                         softmax_scale: float = 10.0,
                         return_offsets: bool = True,
                         max_elements: int = 1 << 26) -> tuple[Tensor, Tensor | None]:
    """Reconstruct ``foreground`` from known patches of ``background``.

    Args:
        foreground: ``[B, C, H, W]`` features to fill (H, W multiples of ``rate``).
        background: ``[B, C, H, W]`` features whose known patches are copied (usually the
            same tensor as ``foreground``).
        mask: ``[B, 1, H, W]``, 1 = hole; background patches touching a hole are not used.
            ``None``: every patch is usable.
        patch_size: odd size of the matching patches on the downscaled map (3).
        rate: downscaling factor for matching (2, even); pasted patches are
            ``2 * rate`` pixels wide, ``rate`` apart.
        fuse_size: attention propagation window (3); 1 switches propagation off.
        softmax_scale: multiplies the cosine similarities before the softmax (10).
        return_offsets: also return the offset to each position's best patch.
        max_elements: largest score tensor (``B * L * rows * W / rate``) computed at
            once; bigger maps are processed in chunks of foreground rows.

    Returns:
        ``(out [B, C, H, W], offsets [B, 2, H/rate, W/rate] or None)`` where ``offsets``
        holds ``(dy, dx)`` from each downscaled position to its most attended patch, in
        downscaled pixels (zero where no known patch exists).
    """
    f, b = foreground, background
    if f.ndim != 4 or b.shape != f.shape:
        raise ValueError('contextual_attention: foreground and background must be '
                         f'[B, C, H, W] of one shape, got {list(f.shape)} and {list(b.shape)}')
    bsz, c, H, W = f.shape
    if rate < 2 or rate % 2:
        raise ValueError(f'contextual_attention: rate must be even and >= 2, got {rate}')
    if H % rate or W % rate:
        raise ValueError(f'contextual_attention: height and width must be multiples of rate '
                         f'{rate}, got {H}x{W}')
    if patch_size % 2 != 1 or fuse_size % 2 != 1:
        raise ValueError('contextual_attention: patch_size and fuse_size must be odd')
    if mask is not None and (mask.ndim != 4 or mask.shape[1] != 1 or mask.shape[0] != bsz
                             or mask.shape[2:] != f.shape[2:]):
        raise ValueError(f'contextual_attention: mask must be [B, 1, H, W] = '
                         f'[{bsz}, 1, {H}, {W}], got {list(mask.shape)}')
    r, k, p = rate, patch_size, patch_size // 2
    h, w = H // r, W // r
    n = h * w                                                  # background patches L

    # Raw patches for pasting back: [B, C*(2r)^2, L]
    raw = F.unfold(b, kernel_size=2 * r, stride=r, padding=r // 2)
    # Matching patches on the downscaled maps, L2-normalised: [B, C*k*k, L]
    bd = b[:, :, ::r, ::r]                                     # [B, C, h, w]
    bp = F.unfold(bd, kernel_size=k, padding=p)
    bp = bp / bp.norm(dim=1, keepdim=True).clamp_min(1e-4)
    if f is b:
        fp = bp
    else:
        fp = F.unfold(f[:, :, ::r, ::r], kernel_size=k, padding=p)
        fp = fp / fp.norm(dim=1, keepdim=True).clamp_min(1e-4)
    # The softmax scale is applied to the kernels (propagation is linear), which is cheaper
    # than scaling the L x (h*w) score matrix.
    bpt = bp.transpose(1, 2) * softmax_scale                   # [B, L, C*k*k]

    if mask is None:
        valid = torch.ones(bsz, n, 1, dtype=torch.bool, device=f.device)
    else:
        md = F.max_pool2d(mask.to(f.dtype), r)                 # [B, 1, h, w]
        md = F.max_pool2d(md, k, stride=1, padding=p)
        valid = (md == 0).reshape(bsz, n, 1)                   # [B, L, 1]
    any_valid = valid.any(dim=1)                               # [B, 1]
    all_valid = bool(valid.all())

    e = fuse_size // 2
    rows = max(1, min(h, max_elements // max(1, bsz * n * w) - 2 * e))
    cols, best = [], []
    for y0 in range(0, h, rows):
        y1 = min(h, y0 + rows)
        a0, a1 = max(0, y0 - e), min(h, y1 + e)                # with a halo for propagation
        s = torch.bmm(bpt, fp[:, :, a0 * w:a1 * w])            # [B, L, (a1-a0)*w]
        if e:
            s = s.view(bsz, h, w, a1 - a0, w)                  # [B, hb, wb, hf, wf]
            s = _propagate(s, (2, 4), e)                       # along x
            s = _propagate(s, (1, 3), e)                       # along y
            s = s[:, :, :, y0 - a0:y1 - a0].reshape(bsz, n, (y1 - y0) * w)
        s = s.float()
        if not all_valid:
            # exp(min - max) underflows to exactly 0: invalid patches get no weight
            s = s.masked_fill_(~valid, torch.finfo(torch.float32).min)
        attn = torch.softmax(s, dim=1)                         # [B, L, rows*w]
        if not bool(any_valid.all()):                          # no known patch at all:
            attn = attn * any_valid[:, :, None]                # paste nothing
        if return_offsets:
            best.append(attn.argmax(dim=1))                    # [B, rows*w]
        cols.append(torch.bmm(raw, attn.to(raw.dtype)))        # [B, C*(2r)^2, rows*w]
    cols = cols[0] if len(cols) == 1 else torch.cat(cols, dim=2)
    out = F.fold(cols, (H, W), kernel_size=2 * r, stride=r, padding=r // 2)
    cover = F.fold(torch.ones(1, (2 * r) ** 2, n, dtype=out.dtype, device=out.device),
                   (H, W), kernel_size=2 * r, stride=r, padding=r // 2)
    out = out / cover                                          # [B, C, H, W]

    offsets = None
    if return_offsets:
        idx = torch.cat(best, dim=1)                           # [B, h*w]
        pos = torch.arange(n, device=f.device)
        dy = torch.div(idx, w, rounding_mode='floor') - torch.div(pos, w, rounding_mode='floor')
        dx = idx % w - pos % w
        offsets = torch.stack([dy, dx], dim=1) * any_valid[:, :, None]
        offsets = offsets.view(bsz, 2, h, w)
    return out, offsets


class ContextualAttention(nn.Module):
    """Module form of :func:`contextual_attention` (no parameters)."""

    def __init__(self,
                 patch_size: int = 3,
                 rate: int = 2,
                 fuse_size: int = 3,
                 softmax_scale: float = 10.0,
                 max_elements: int = 1 << 26) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.rate = rate
        self.fuse_size = fuse_size
        self.softmax_scale = softmax_scale
        self.max_elements = max_elements

    def forward(self, foreground: Tensor, background: Tensor, mask: Tensor | None = None,
                return_offsets: bool = True) -> tuple[Tensor, Tensor | None]:
        return contextual_attention(foreground, background, mask, patch_size=self.patch_size,
                                    rate=self.rate, fuse_size=self.fuse_size,
                                    softmax_scale=self.softmax_scale,
                                    return_offsets=return_offsets,
                                    max_elements=self.max_elements)

    def extra_repr(self) -> str:
        return (f'patch_size={self.patch_size}, rate={self.rate}, fuse_size={self.fuse_size}, '
                f'softmax_scale={self.softmax_scale}')


def offsets_to_rgb(offsets: Tensor, max_norm: float | None = None) -> Tensor:
    """Colour-code an offset field ``[B, 2, h, w]`` as RGB ``[B, 3, h, w]`` in [0, 1].

    White: the position attends to itself; the hue gives the direction of the attended
    patch and the saturation its distance (relative to ``max_norm``, by default the
    largest offset of each image).
    """
    off = offsets.float()
    dy, dx = off[:, 0], off[:, 1]
    mag = torch.sqrt(dy ** 2 + dx ** 2)                        # [B, h, w]
    if max_norm is None:
        norm = mag.flatten(1).amax(dim=1).clamp_min(1e-6)[:, None, None]
    else:
        norm = torch.as_tensor(float(max_norm))
    sat = (mag / norm).clamp(0, 1)
    angle = torch.atan2(dy, dx)
    phases = torch.tensor([0.0, 2 * math.pi / 3, 4 * math.pi / 3], device=off.device)
    wheel = 0.5 + 0.5 * torch.cos(angle[:, None] - phases[None, :, None, None])  # [B,3,h,w]
    return 1.0 - sat[:, None] * (1.0 - wheel)
