"""The flow targets of one clip for DIP-Vid-Flow, computed once before the optimisation.

For every frame stride ``s`` the generator predicts (1, 3, 5 in the paper), the forward flow
of each frame ``t`` to ``t + s`` and the backward flow of ``t + s`` to ``t``; their
forward-backward check; the region a flow's consistency loss looks at (the frame's hole and
the other frame's hole brought onto it by the flow), outside which the flow itself is a
target; and the largest flow value, by which the generator's flow outputs are scaled.

Differences from the official code, which used PWC-Net on the full frames:

* the flow is OpenCV's DIS flow (:func:`toolbox.video.flow.dis_flow`), no learned network,
  computed on frames whose holes were filled by Telea, so that what lies under a hole never
  reaches the model (the official code estimated it on the frames as loaded, hole content
  included, and masked it afterwards);
* the forward-backward check and the warping follow the official ones
  (``exp(-|f + b(x + f)|^2 / 2) > 0.5``; ``grid_sample`` with corner-aligned coordinates,
  zeros outside), not the check of :func:`toolbox.video.flow.occlusion_mask`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from toolbox.video.flow import dis_flow

__all__ = ['warp', 'forward_backward_check', 'ClipFlows', 'clip_flows']

#: |f + b(x + f)|^2 below this passes the check: exp(-d / 2) > 0.5
_CHECK = 2 * math.log(2)


def warp(x: Tensor, flow: Tensor) -> tuple[Tensor, Tensor]:
    """``(warped, inside)``: ``x`` ``[N, C, H, W]`` sampled at ``(x, y) + flow`` (``flow``
    ``[N, 2, H, W]`` in pixels; bilinear, zeros outside) and the float map ``[N, 1, H, W]``
    of pixels whose four neighbours all lie inside the frame (1) or not (0)."""
    n, _, h, w = x.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=x.dtype, device=x.device),
                            torch.arange(w, dtype=x.dtype, device=x.device), indexing='ij')
    gx = 2 * (xs + flow[:, 0]) / max(w - 1, 1) - 1
    gy = 2 * (ys + flow[:, 1]) / max(h - 1, 1) - 1
    grid = torch.stack([gx, gy], -1)
    warped = F.grid_sample(x, grid, mode='bilinear', padding_mode='zeros', align_corners=True)
    ones = torch.ones(n, 1, h, w, dtype=x.dtype, device=x.device)
    inside = F.grid_sample(ones, grid, mode='bilinear', padding_mode='zeros',
                           align_corners=True)
    return warped, (inside >= 0.999).to(x.dtype)


def forward_backward_check(forward: Tensor, backward: Tensor) -> Tensor:
    """Float ``[N, 1, H, W]``: 1 where ``forward`` (``[N, 2, H, W]``, a -> b) is trusted,
    i.e. the ``backward`` flow (b -> a) at its target leads back within the official
    tolerance."""
    back, _ = warp(backward, forward)
    return (((forward + back) ** 2).sum(1, keepdim=True) < _CHECK).to(forward.dtype)


@dataclass
class ClipFlows:
    """Per stride ``s`` (keys of the dicts), tensors over the ``T - s`` frame pairs
    ``(t, t + s)``: ``forward[s][t]`` (t -> t + s) and ``backward[s][t]`` (t + s -> t), in
    pixels ``[T - s, 2, H, W]``; ``forward_ok``/``backward_ok`` ``[T - s, 1, H, W]``: the
    check passed; ``forward_region``/``backward_region``: the hole of the flow's own frame
    united with the other frame's hole brought onto it; ``scale[s]``: the largest absolute
    flow value of the stride (at least 1), by which the generator's outputs are scaled."""
    forward: dict[int, Tensor] = field(default_factory=dict)
    backward: dict[int, Tensor] = field(default_factory=dict)
    forward_ok: dict[int, Tensor] = field(default_factory=dict)
    backward_ok: dict[int, Tensor] = field(default_factory=dict)
    forward_region: dict[int, Tensor] = field(default_factory=dict)
    backward_region: dict[int, Tensor] = field(default_factory=dict)
    scale: dict[int, float] = field(default_factory=dict)


def _telea_filled(frames: np.ndarray, holes: np.ndarray) -> np.ndarray:
    return np.stack([cv2.inpaint(f, h.astype(np.uint8), 3, cv2.INPAINT_TELEA) if h.any()
                     else f for f, h in zip(frames, holes)])


def clip_flows(frames: np.ndarray, holes: np.ndarray, strides, preset: str = 'medium'
               ) -> ClipFlows:
    """The :class:`ClipFlows` of RGB uint8 ``frames`` ``(T, H, W, 3)`` with bool ``holes``
    ``(T, H, W)``, for each stride in ``strides`` smaller than ``T``."""
    filled = _telea_filled(np.ascontiguousarray(frames), holes)
    hole = torch.from_numpy(holes.astype(np.float32))[:, None]
    out = ClipFlows()
    for s in strides:
        if s >= len(frames):
            continue
        fwd = np.stack([dis_flow(filled[t], filled[t + s], preset)
                        for t in range(len(frames) - s)])
        bwd = np.stack([dis_flow(filled[t + s], filled[t], preset)
                        for t in range(len(frames) - s)])
        fwd = torch.from_numpy(fwd).permute(0, 3, 1, 2).contiguous()
        bwd = torch.from_numpy(bwd).permute(0, 3, 1, 2).contiguous()
        out.forward[s], out.backward[s] = fwd, bwd
        out.forward_ok[s] = forward_backward_check(fwd, bwd)
        out.backward_ok[s] = forward_backward_check(bwd, fwd)
        # any overlap with the other frame's hole counts (the official '> 0')
        out.forward_region[s] = torch.maximum(hole[:-s], (warp(hole[s:], fwd)[0] > 0).float())
        out.backward_region[s] = torch.maximum(hole[s:], (warp(hole[:-s], bwd)[0] > 0).float())
        out.scale[s] = max(1.0, float(fwd.abs().max()), float(bwd.abs().max()))
    return out
