"""Optical flow for video: OpenCV's DIS flow, backward warping, the forward-backward
occlusion check and flow completion inside holes.

Used by the temporal metrics (:func:`toolbox.evaluation.video.warping_error`) and by the
flow-guided baselines. DIS (Kroeger et al., ECCV 2016) ships with opencv-python and needs no
weights; the video-inpainting papers used FlowNet2, whose weights cannot be had offline, so
numbers computed with this flow are not comparable to theirs.

Convention: ``flow = dis_flow(a, b)`` has ``a[y, x] ~ b[y + flow[y, x, 1], x + flow[y, x, 0]]``,
so ``warp(b, flow)`` brings ``b`` onto ``a``.
"""
from __future__ import annotations

import cv2
import numpy as np

__all__ = ['dis_flow', 'warp', 'occlusion_mask', 'complete_flow']

_PRESETS = {'ultrafast': cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
            'fast': cv2.DISOPTICAL_FLOW_PRESET_FAST,
            'medium': cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}


def _gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        image = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    if image.dtype != np.uint8:
        raise TypeError(f'dis_flow: frames must be uint8, got {image.dtype}')
    return np.ascontiguousarray(image)


def dis_flow(a: np.ndarray, b: np.ndarray, preset: str = 'medium') -> np.ndarray:
    """Dense flow float32 ``(H, W, 2)`` (x, y) from uint8 frame ``a`` to frame ``b`` (RGB
    ``(H, W, 3)`` or gray ``(H, W)``)."""
    if preset not in _PRESETS:
        raise ValueError(f'dis_flow: preset must be one of {sorted(_PRESETS)}, got {preset!r}')
    dis = cv2.DISOpticalFlow_create(_PRESETS[preset])
    return dis.calc(_gray(a), _gray(b), None)


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return xs, ys


def warp(image: np.ndarray, flow: np.ndarray,
         interpolation: int = cv2.INTER_LINEAR) -> tuple[np.ndarray, np.ndarray]:
    """``(warped, inside)``: ``warped[y, x] = image[(y, x) + flow[y, x]]`` (bilinear) and the
    bool ``(H, W)`` of pixels whose source lies inside ``image``."""
    h, w = flow.shape[:2]
    xs, ys = _grid(h, w)
    map_x, map_y = xs + flow[..., 0], ys + flow[..., 1]
    warped = cv2.remap(image, map_x, map_y, interpolation, borderMode=cv2.BORDER_CONSTANT)
    inside = (map_x >= 0) & (map_x <= w - 1) & (map_y >= 0) & (map_y <= h - 1)
    return warped, inside


def occlusion_mask(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Bool ``(H, W)``, True where ``forward`` (a -> b) is trusted: its target lies inside the
    frame and the ``backward`` flow (b -> a) there leads back, by the forward-backward check
    of Sundaram et al. (ECCV 2010) that Lai et al. use:
    ``|f + b(x + f)|^2 < 0.01 (|f|^2 + |b(x + f)|^2) + 0.5``."""
    back, inside = warp(backward, forward)
    total = forward + back
    bound = 0.01 * ((forward ** 2).sum(-1) + (back ** 2).sum(-1)) + 0.5
    return inside & ((total ** 2).sum(-1) < bound)


def _pull_push(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """``values`` (H, W, C) float32 with the pixels where ``known`` (H, W) is False replaced
    by a smooth interpolation of the known ones: the pull-push scheme of Gortler et al.
    ("The Lumigraph", SIGGRAPH 1996) -- known-weighted averages over a pyramid, each level's
    unknown pixels taken from the bilinearly upsampled coarser level."""
    h, w = known.shape
    if known.all() or (h <= 1 and w <= 1):
        return values
    weight = known.astype(np.float32)
    size = (max(1, (w + 1) // 2), max(1, (h + 1) // 2))
    small_w = cv2.resize(weight, size, interpolation=cv2.INTER_AREA)
    small_v = cv2.resize(values * weight[..., None], size, interpolation=cv2.INTER_AREA)
    small_v = small_v.reshape(size[1], size[0], -1)
    coarse = small_v / np.maximum(small_w, 1e-6)[..., None]
    coarse = _pull_push(coarse, small_w > 1e-6)
    up = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_LINEAR).reshape(h, w, -1)
    return np.where(known[..., None], values, up)


def complete_flow(flow: np.ndarray, hole: np.ndarray, dilate: int = 2) -> np.ndarray:
    """``flow`` with the values inside ``hole`` (bool/uint8 ``(H, W)``, grown by ``dilate``
    pixels: flow at a hole's edge mixes the hole's content in) replaced by a smooth
    interpolation of the surrounding flow (pull-push, :func:`_pull_push`). OpenCV's
    ``inpaint`` is not used: on float32 input it lets the values inside the hole leak
    into the result."""
    hole = np.asarray(hole).astype(np.uint8)
    if dilate > 0:
        hole = cv2.dilate(hole, np.ones((2 * dilate + 1, 2 * dilate + 1), np.uint8))
    if not hole.any():
        return flow
    if hole.all():              # nothing to interpolate from: no motion
        return np.zeros_like(flow)
    return _pull_push(np.ascontiguousarray(flow, dtype=np.float32), hole == 0)
