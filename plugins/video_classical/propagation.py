"""Flow-guided propagation: the classical video baseline, the video counterpart of Telea.

Known pixels of neighbouring frames are copied into each hole along optical flow, from the
nearest frame (forward or backward in time) where they are visible; what no frame shows is
filled with Telea inpainting per frame. The scheme is that of flow-guided video completion
(e.g. Xu et al., "Deep Flow-Guided Video Inpainting", CVPR 2019; Gao et al., "Flow-edge
Guided Video Completion", ECCV 2020) with every learned part replaced by a classical one:

* flow: OpenCV's DIS flow between neighbouring frames, computed on frames whose holes were
  filled by Telea (so that the holes' content does not drive the matching);
* flow completion: the flow inside the holes (grown by two pixels) is replaced by a smooth
  interpolation of the flow around them (Telea on each flow channel), not a learned
  completion network;
* propagation: two sequential passes, forward and backward in time, each carrying known and
  already propagated pixels one frame further along the completed flow (bilinear); a hole
  pixel takes the value of the pass that reached it from the nearer frame, the mean of both
  at equal distance; no Poisson blending of gradients;
* the rest: Telea (radius 3) on each frame, with the propagated pixels as known ones.
"""
from __future__ import annotations

import cv2
import numpy as np

from toolbox.video.flow import complete_flow, dis_flow, warp

__all__ = ['propagate']


def _telea(frames: np.ndarray, holes: np.ndarray, radius: float) -> np.ndarray:
    return np.stack([cv2.inpaint(f, h.astype(np.uint8), radius, cv2.INPAINT_TELEA)
                     if h.any() else f for f, h in zip(frames, holes)])


def _pass(frames: np.ndarray, holes: np.ndarray, flows: list, order: range):
    """One sequential pass: ``flows[t]`` maps frame ``t`` to the previous frame of the pass.
    Returns float values ``(T, H, W, 3)`` and the distance in frames to the frame the value
    came from (``inf``: not reached)."""
    values = frames.astype(np.float32)
    dist = np.where(holes, np.inf, 0).astype(np.float32)
    reached = (~holes).astype(np.float32)
    for prev, t in zip(order[:-1], order[1:]):
        flow = flows[t]
        val, inside = warp(values[prev], flow)
        # a value is trusted where all four bilinear neighbours were known or reached
        ok, _ = warp(reached[prev], flow)
        d, _ = warp(dist[prev], flow, cv2.INTER_NEAREST)
        take = holes[t] & inside & (ok > 0.999)
        values[t][take] = val[take]
        dist[t][take] = d[take] + 1
        reached[t][take] = 1
    return values, dist


def propagate(frames: np.ndarray, holes: np.ndarray, radius: float = 3.0,
              preset: str = 'medium') -> tuple[np.ndarray, np.ndarray]:
    """Fill ``holes`` (bool ``(T, H, W)``) of RGB uint8 ``frames`` ``(T, H, W, 3)``.

    Returns the filled frames (uint8; known pixels unchanged) and bool ``(T, H, W)``: the hole
    pixels that no frame showed, filled by Telea.
    """
    holes = np.asarray(holes, bool)
    if not holes.any():
        return frames.copy(), holes.copy()
    t_len = len(frames)
    guide = _telea(frames, holes, radius)           # only for the flow
    to_prev = [None] + [complete_flow(dis_flow(guide[t], guide[t - 1], preset), holes[t])
                        for t in range(1, t_len)]
    to_next = [complete_flow(dis_flow(guide[t], guide[t + 1], preset), holes[t])
               for t in range(t_len - 1)] + [None]
    fwd, dist_f = _pass(frames, holes, to_prev, range(t_len))
    bwd, dist_b = _pass(frames, holes, to_next, range(t_len - 1, -1, -1))
    both = np.isfinite(dist_f) & np.isfinite(dist_b)
    out = np.where((dist_f < dist_b)[..., None], fwd, bwd)
    tie = both & (dist_f == dist_b)
    out[tie] = (fwd[tie] + bwd[tie]) / 2
    unseen = holes & ~np.isfinite(dist_f) & ~np.isfinite(dist_b)
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    out = _telea(out, unseen, radius)
    out[~holes] = frames[~holes]
    return out, unseen
