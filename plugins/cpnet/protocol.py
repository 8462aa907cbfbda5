"""The released inference protocol of CPNet (``CPNet_test.py``): which frames serve as
references, two passes over the clip, and the blend of the passes."""
from __future__ import annotations

import torch
from torch import Tensor

from .networks import CopyPasteNet

__all__ = ['reference_indices', 'complete_clip']


def reference_indices(f: int, num_frames: int, radius: int = 120, step: int = 2) -> list[int]:
    """The reference frames of frame ``f``: every ``step``-th frame of a window of
    ``2 * radius`` frames around ``f`` (shifted to stay inside the clip), ``f`` left out.

    The official window arithmetic, edges included: where the window is cut by the clip's
    end, it stops one frame before the last frame (``range(start, T - 1, step)``).
    """
    start, end = f - radius, f + radius
    if f - radius < 0:
        end = (f + radius) - (f - radius)
        if end > num_frames:
            end = num_frames - 1
        start = 0
    elif f + radius > num_frames:
        start = max((f - radius) - (f + radius - num_frames), 0)
        end = num_frames - 1
    return [i for i in range(start, end, step) if i != f]


def complete_clip(net: CopyPasteNet, frames: Tensor, holes: Tensor, radius: int = 120,
                  step: int = 2) -> Tensor:
    """Complete a clip ``frames`` ``[B, T, 3, H, W]`` in [0, 1] with ``holes``
    ``[B, T, 1, H, W]`` (1 = hole) as the official test script does.

    The alignment features of every frame are computed once. A first pass runs from the
    last frame to the first, a second from the first to the last; in each, a completed
    frame replaces its input (frame, an empty hole, new alignment features) for the frames
    after it. The second pass restarts from the input frames but keeps the first pass's
    alignment features (as released). Frame ``f`` of ``T`` is ``(T - f) / T`` of the first
    pass plus ``f / T`` of the second: each end of the clip comes from the pass that
    reached it last, with the most completed references.
    """
    t = frames.shape[1]
    frames = frames.transpose(1, 2)            # [B, 3, T, H, W], the official layout
    holes = holes.transpose(1, 2)
    known = frames
    feats = torch.stack([net.encode(frames[:, :, i], holes[:, :, i]) for i in range(t)], 2)
    passes = []
    for order in (reversed(range(t)), range(t)):
        current, current_holes = frames.clone(), holes.clone()
        for f in order:
            refs = reference_indices(f, t, radius, step)
            comp = net.complete(feats[:, :, refs], current[:, :, refs],
                                current_holes[:, :, refs], current[:, :, f],
                                current_holes[:, :, f], known[:, :, f])
            current[:, :, f] = comp
            current_holes[:, :, f] = 0
            feats[:, :, f] = net.encode(comp, torch.zeros_like(comp[:, :1]))
        passes.append(current)
    weight = (torch.arange(t, dtype=frames.dtype, device=frames.device) / t).view(1, 1, t, 1, 1)
    blended = passes[0] * (1 - weight) + passes[1] * weight
    return blended.transpose(1, 2)
