"""Contextual attention: fill holes in a feature map with known-region patches.

Paper: J. Yu, Z. Lin, J. Yang, X. Shen, X. Lu, T. Huang, "Generative Image Inpainting with
Contextual Attention", CVPR 2018 (Sec. 3.2), as used in DeepFill v2's refinement network.

1. Background patches are extracted as convolution kernels: 3x3 patches of the background
   map *downscaled by* ``rate`` (2), i.e. one patch every ``rate`` pixels of the input, and
   for pasting back the matching raw ``2*rate x 2*rate`` patches of the full-resolution map.
2. Every foreground position is matched against every background patch by cosine
   similarity ``<f / |f|, b / |b|>``. The patch inner products are computed as one batched
   matrix product of *pixel* features (``C`` deep, not ``9 C``) whose 3x3 diagonal sums
   give the patch products exactly; patch norms come from a 3x3 box sum.
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

Cost: with ``n = H W / rate^2`` positions, matching is ``n^2 C`` multiply-adds plus four
passes over the ``n x n`` scores, and pasting ``n K (2 rate)^2 C`` for the ``K`` known
patches: patches touching a hole get exactly zero weight, so the softmax and the pasting
skip them (the bigger the hole, the cheaper). At 512² input in DeepFill v2 (``n = 4096``,
``C = 96``) that is 3 GFLOP for matching (29 with 3x3-deep patch vectors) and up to 52 for
pasting. Large maps are processed in chunks of foreground rows (``max_elements``), so
memory stays bounded, but time grows with the square of the pixel count: see the DeepFill v2
plugin README for the strategy for very large images.

``formulation='mmagic'`` computes MMagic's ``ContextualAttentionModule`` instead (the
layer its released DeepFill v1/v2 weights were trained with): the foreground patch is not
normalised; a background patch is valid when its 3x3 neighbourhood on the mask sampled
every ``rate`` pixels (nearest neighbour) has no hole; propagation runs along the
flattened row-major and then column-major position indices, so it wraps from the end of
one row (column) into the next, as MMagic's 2-D convolution over the flattened score map
does. Masking before the softmax and division by the overlap count are as here (MMagic
does both). That variant is not chunked: its scores take ``B (H W / rate^2)^2`` floats.

``formulation='tf'`` computes the authors' TensorFlow layer (``contextual_attention`` of
``inpaint_ops.py``, DeepFill v1): as ``'mmagic'`` (unnormalised foreground, L2-normalised
background patches, the mask sampled every ``rate`` pixels, wrapping propagation), and in
addition the scores of patches touching a hole are *multiplied by zero* and take part in
the softmax (``softmax(scale * s * mm) * mm``, so the weights of the known patches sum to
less than one), and the pasted patches are divided by the constant 4 (darker along the
border, where fewer patches overlap). The TF code uses the first sample's mask for the
whole batch; here each sample has its own (the same when the masks are).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .precision import at_least_float32

__all__ = ['ContextualAttention', 'contextual_attention', 'offsets_to_rgb', 'FORMULATIONS']

#: ``'toolbox'`` (the cosine formulation above), ``'mmagic'`` (MMagic's layer) or ``'tf'``
#: (the authors' TensorFlow layer).
FORMULATIONS = ('toolbox', 'mmagic', 'tf')


def _propagate(scores: Tensor, dims: tuple[int, int], radius: int) -> Tensor:
    """``out(p, q) = sum_{|k| <= radius} scores(p + k, q + k)`` along one axis of both the
    background (``dims[0]``) and foreground (``dims[1]``) positions; zero outside."""
    if torch.compiler.is_exporting():
        return _propagate_padded(scores, dims, radius)
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


def _propagate_flat(scores: Tensor, hw: tuple[int, int], radius: int) -> Tensor:
    """MMagic's propagation of ``scores [B, hb, wb, hf, wf]``: diagonal sums along the
    row-major flattened indices of both maps, then along the column-major ones; a shift
    past the end of a row (column) continues on the next one."""
    bsz, (h, w) = scores.shape[0], hw
    n = h * w
    out = _propagate(scores.reshape(bsz, n, n), (1, 2), radius)
    out = out.view(bsz, h, w, h, w).permute(0, 2, 1, 4, 3).reshape(bsz, n, n)
    out = _propagate(out, (1, 2), radius)
    return out.view(bsz, w, h, w, h).permute(0, 2, 1, 4, 3).contiguous()


def _propagate_padded(scores: Tensor, dims: tuple[int, int], radius: int) -> Tensor:
    """:func:`_propagate` without in-place slice updates: zero-pad both axes by ``radius``
    and add the shifted views. Exported, slice updates become ScatterND with one index per
    element (gigabytes of indices at 512²); this becomes Pad, Slice and Add."""
    lo = min(dims)
    pad = []
    for d in range(scores.ndim - 1, lo - 1, -1):     # F.pad lists the last dim first
        pad += [radius, radius] if d in dims else [0, 0]
    padded = F.pad(scores, pad)
    out = scores
    for k in range(-radius, radius + 1):
        if k == 0:
            continue
        shifted = padded
        for d in range(lo, scores.ndim):
            start = radius + k if d in dims else 0
            shifted = shifted.narrow(d, start, scores.shape[d])
        out = out + shifted
    return out


def _patch_norms(x: Tensor, k: int) -> Tensor:
    """L2 norm of every zero-padded ``k x k`` patch of ``x [B, C, h, w]``: ``[B, h*w]``,
    at least 1e-4 (a patch of zeros matches nothing rather than dividing by zero)."""
    sq = at_least_float32(x).pow(2).sum(dim=1, keepdim=True)   # [B, 1, h, w]; bf16 in fp32
    box = torch.ones(1, 1, k, k, dtype=sq.dtype, device=sq.device)
    sums = F.conv2d(sq, box, padding=k // 2).clamp_min(0)      # [B, 1, h, w]
    return sums.sqrt().clamp_min(1e-4).to(x.dtype).flatten(1)


def contextual_attention(foreground: Tensor,
                         background: Tensor,
                         mask: Tensor | None = None,
                         *,
                         patch_size: int = 3,
                         rate: int = 2,
                         fuse_size: int = 3,
                         softmax_scale: float = 10.0,
                         return_offsets: bool = True,
                         max_elements: int = 1 << 26,
                         formulation: str = 'toolbox') -> tuple[Tensor, Tensor | None]:
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
        formulation: ``'toolbox'`` (cosine similarity, max-pooled mask, zero borders) or
            ``'mmagic'`` (MMagic's layer) or ``'tf'`` (the authors' TensorFlow layer); see
            the module docstring.

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
    if formulation not in FORMULATIONS:
        raise ValueError(f'contextual_attention: formulation must be one of {FORMULATIONS}, '
                         f'got {formulation!r}')
    # 'mmagic' and 'tf' share the unnormalised foreground, the sampled mask and the
    # wrapping propagation; 'tf' also softmaxes over every patch and pastes divided by 4.
    mmagic = formulation in ('mmagic', 'tf')
    tf_softmax = formulation == 'tf'
    r, k, p, e = rate, patch_size, patch_size // 2, fuse_size // 2
    h, w = H // r, W // r
    n = h * w                                                  # background patches L

    # Raw patches for pasting back: [B, C*(2r)^2, L]
    raw = F.unfold(b, kernel_size=2 * r, stride=r, padding=r // 2)
    # Matching happens on the maps downscaled by ``rate``. The inner product of two k x k
    # patches is the sum, along the diagonals of the pixel-by-pixel Gram matrix, of k x k
    # pixel inner products (zero outside the map, like unfold's padding): one C-deep
    # product per pixel pair instead of one C*k*k-deep product per patch pair.
    bd = b[:, :, ::r, ::r]                                     # [B, C, h, w]
    bv = bd.reshape(bsz, c, n)
    bnorm = _patch_norms(bd, k)                                # [B, L]
    if f is b:
        fv, fnorm = bv, bnorm
    else:
        fd = f[:, :, ::r, ::r]
        fv, fnorm = fd.reshape(bsz, c, n), _patch_norms(fd, k)
    if mmagic:
        fnorm = torch.ones_like(bnorm)                         # foreground not normalised
    bvt = bv.transpose(1, 2)                                   # [B, L, C]
    # the softmax scale goes with the background norms (propagation is linear)
    bscale = (softmax_scale / bnorm).view(bsz, h, w, 1, 1)

    # torch.export (ONNX) traces one graph for every mask: no branch on the mask's values,
    # no chunks (a graph of symbolic size); invalid patches are masked, not skipped.
    exporting = torch.compiler.is_exporting()
    any_valid = torch.ones(bsz, 1, dtype=torch.bool, device=f.device)
    keep = pick = None
    if mask is not None:
        md = (mask.to(f.dtype)[:, :, ::r, ::r] if mmagic      # [B, 1, h, w]
              else F.max_pool2d(mask.to(f.dtype), r))
        md = F.max_pool2d(md, k, stride=1, padding=p)
        valid = (md == 0).reshape(bsz, n)                      # [B, L]
        any_valid = valid.any(dim=1, keepdim=True)             # [B, 1]
        most = n if exporting else int(valid.sum(dim=1).max())
        if exporting or tf_softmax:
            keep = valid         # every patch takes part (tf: in the softmax, as TF does)
        elif most < n:
            # Patches touching a hole get exactly zero weight, so the softmax and the
            # pasting run over the known patches only (padded to the largest count in
            # the batch; the padding is masked out like an invalid patch).
            pick = torch.argsort((~valid).to(torch.uint8), dim=1, stable=True)[:, :max(1, most)]
            keep = valid.gather(1, pick)                       # [B, K]
            raw = raw.gather(2, pick[:, None, :].expand(-1, raw.shape[1], -1))
        elif not bool(valid.all()):                            # one sample has no hole
            keep = valid

    # some sample: no known patch
    none_known = exporting or not bool(any_valid.all())
    halo = p + e
    rows = h if exporting else max(1, min(h, max_elements // max(1, bsz * n * w) - 2 * halo))
    if mmagic:
        rows = h                       # its propagation wraps between rows: one chunk
    cols, best = [], []
    for y0 in range(0, h, rows):
        y1 = min(h, y0 + rows)
        a0, a1 = max(0, y0 - halo), min(h, y1 + halo)          # with a halo for the sums
        # bf16 (autocast) products summed in float32: the diagonal sums below add up to
        # 3 x 3 x 3 x 3 products and feed a softmax of scale 10 (same time at 512², and the
        # bf16 output's PSNR against fp32 went from 56.0 to 56.6 dB)
        s = at_least_float32(torch.bmm(bvt, fv[:, :, a0 * w:a1 * w]))   # [B, L, (a1-a0)*w]
        s = s.view(bsz, h, w, a1 - a0, w)                      # [B, hb, wb, hf, wf]
        if p:
            s = _propagate(_propagate(s, (2, 4), p), (1, 3), p)    # patch inner products
        s = s.mul_(bscale).mul_(1.0 / fnorm[:, a0 * w:a1 * w].view(bsz, 1, 1, a1 - a0, w))
        if e and mmagic:
            s = _propagate_flat(s, (h, w), e)
        elif e:
            s = _propagate(_propagate(s, (2, 4), e), (1, 3), e)    # attention propagation
        s = at_least_float32(s[:, :, :, y0 - a0:y1 - a0].reshape(bsz, n, (y1 - y0) * w))
        if pick is not None:
            s = s.gather(1, pick[:, :, None].expand(-1, -1, s.shape[2]))
        if keep is not None and tf_softmax:
            # the TF code: scores of invalid patches zeroed, softmax, weights zeroed
            s = s.mul_(keep[:, :, None].to(s.dtype))
            attn = torch.softmax(s, dim=1) * keep[:, :, None].to(s.dtype)
        else:
            if keep is not None:
                # exp(min - max) underflows to exactly 0: invalid patches get no weight
                s = s.masked_fill_(~keep[:, :, None], torch.finfo(torch.float32).min)
            attn = torch.softmax(s, dim=1)                     # [B, K, rows*w]
        if none_known:
            attn = attn * any_valid[:, :, None]                # paste nothing there
        if return_offsets:
            top = attn.argmax(dim=1)                           # [B, rows*w]
            best.append(top if pick is None else pick.gather(1, top))
        cols.append(torch.bmm(raw, attn.to(raw.dtype)))        # [B, C*(2r)^2, rows*w]
    cols = cols[0] if len(cols) == 1 else torch.cat(cols, dim=2)
    out = F.fold(cols, (H, W), kernel_size=2 * r, stride=r, padding=r // 2)
    if tf_softmax:
        out = out / 4.0                        # the TF code divides by 4 whatever the rate
    else:
        cover = F.fold(torch.ones(1, (2 * r) ** 2, n, dtype=out.dtype, device=out.device),
                       (H, W), kernel_size=2 * r, stride=r, padding=r // 2)
        out = out / cover                                      # [B, C, H, W]

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
                 max_elements: int = 1 << 26,
                 formulation: str = 'toolbox') -> None:
        super().__init__()
        if formulation not in FORMULATIONS:
            raise ValueError(f'ContextualAttention: formulation must be one of {FORMULATIONS}, '
                             f'got {formulation!r}')
        self.formulation = formulation
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
                                    max_elements=self.max_elements,
                                    formulation=self.formulation)

    def extra_repr(self) -> str:
        return (f'patch_size={self.patch_size}, rate={self.rate}, fuse_size={self.fuse_size}, '
                f'softmax_scale={self.softmax_scale}, formulation={self.formulation!r}')


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
