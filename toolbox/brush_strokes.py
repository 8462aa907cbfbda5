"""DeepFill v2's free-form brush strokes: drawing the random strokes and rendering them.

Paper: J. Yu et al., "Free-Form Image Inpainting with Gated Convolution" (DeepFill v2),
ICCV 2019, Algorithm 1 and its reference code (``brush_stroke_mask``). A stroke is a
polyline of ``n`` steps from a uniform start pixel; step ``i`` turns by an angle drawn
uniformly from the stroke's interval ``[mean_angle - U(0, angle_range), mean_angle +
U(0, angle_range)]``, mirrored to ``2 pi - angle`` for even ``i`` so the stroke zigzags; its
length is ``N(r, r / 2)`` clipped to ``[0, 2 r]`` with ``r`` the image diagonal / 8. Every
vertex is truncated to whole pixels and clipped into the image. One width per stroke; joints
are rounded by discs of that diameter.

The sampling (:func:`sample_brush_strokes`, numpy's ``Generator`` only) and the rendering
(:func:`draw_brush_strokes`, OpenCV) are separate so that a caller can move or reuse the
same strokes -- e.g. video masks that drift a stroke from frame to frame. The image mask
generator ``FreeFormBrush`` (masks plugin) is these two calls plus its optional box.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

__all__ = ['sample_brush_strokes', 'draw_brush_strokes']

#: one stroke: its vertices ``(k, 2)`` int32 as ``(x, y)`` and its width in pixels
Stroke = tuple[np.ndarray, int]


def sample_brush_strokes(shape: tuple[int, int], rng: np.random.Generator, *,
                         strokes: tuple[int, int] = (1, 3),
                         vertices: tuple[int, int] = (4, 11),
                         mean_angle: float = 2 * math.pi / 5,
                         angle_range: float = 2 * math.pi / 15,
                         widths: tuple[int, int] = (12, 39),
                         flip_prob: float = 0.5) -> tuple[list[Stroke], bool, bool]:
    """Draw the strokes of one mask of ``shape`` ``(H, W)``.

    Args:
        strokes: fewest and most strokes, both inclusive.
        vertices: fewest and most steps (segments) per stroke, both inclusive.
        mean_angle: mean turning direction in radians.
        angle_range: the stroke's angle interval is ``mean_angle`` -/+ ``U(0, angle_range)``.
        widths: narrowest and widest brush in pixels, both inclusive.
        flip_prob: probability of a horizontal flip and, independently, of a vertical flip.

    Returns:
        ``([(vertices, width), ...], flip_horizontal, flip_vertical)``.
    """
    h, w = shape
    radius = math.hypot(h, w) / 8
    drawn = []
    for _ in range(int(rng.integers(strokes[0], strokes[1] + 1))):
        n = int(rng.integers(vertices[0], vertices[1] + 1))
        angle_min = mean_angle - rng.uniform(0, angle_range)
        angle_max = mean_angle + rng.uniform(0, angle_range)
        angles = rng.uniform(angle_min, angle_max, size=n)
        angles[::2] = 2 * math.pi - angles[::2]
        steps = np.clip(rng.normal(radius, radius / 2, size=n), 0, 2 * radius)
        dx = (steps * np.cos(angles)).tolist()
        dy = (steps * np.sin(angles)).tolist()
        x, y = (int(v) for v in rng.integers(0, (w, h)))
        points = [(x, y)]
        for i in range(n):
            # Truncate every vertex to whole pixels as the reference does.
            x = int(min(max(x + dx[i], 0), w - 1))
            y = int(min(max(y + dy[i], 0), h - 1))
            points.append((x, y))
        width = int(rng.integers(widths[0], widths[1] + 1))
        drawn.append((np.array(points, np.int32), width))
    flip_h = bool(rng.random() < flip_prob)
    flip_v = bool(rng.random() < flip_prob)
    return drawn, flip_h, flip_v


def draw_brush_strokes(shape: tuple[int, int], strokes: Sequence[Stroke],
                       flip_h: bool = False, flip_v: bool = False) -> np.ndarray:
    """Render ``strokes`` into a ``uint8`` mask of ``shape`` (1 = hole): each a thick
    polyline with discs at its vertices, then the flips. C-contiguous."""
    mask = np.zeros(shape, np.uint8)
    for points, width in strokes:
        cv2.polylines(mask, [points], False, 1, width)
        for x, y in points.tolist():
            cv2.circle(mask, (x, y), width // 2, 1, -1)
    if flip_h:
        mask = mask[:, ::-1]
    if flip_v:
        mask = mask[::-1]
    return np.ascontiguousarray(mask)
