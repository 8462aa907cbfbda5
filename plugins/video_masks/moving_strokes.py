"""Free-form moving strokes: the video masks of Chang et al., "Free-Form Video Inpainting
with 3D Gated Convolution and Temporal PatchGAN" (ICCV 2019).

The first frame holds free-form strokes drawn like DeepFill v2's (Yu et al., ICCV 2019): a
random walk of control points whose heading and speed change by a random acceleration at
every vertex, drawn as a thick polyline. Every later frame moves each whole stroke by its
velocity, which itself changes by a random (Gaussian) acceleration, and jitters a random
half of its control points. Written from the paper's description and the parameter names
of the official ``mask_generators.py``/``gen_masks.py``; the presets copy its numbers.

What differs from the official code:

* the stroke's velocity is accelerated from frame to frame and the new velocity is kept;
  the official code computes the acceleration but drops it, so its strokes move at a
  constant velocity;
* lines are drawn by OpenCV (thick lines have round ends, which replaces the official
  circles at the vertices) rather than PIL, so edges differ by a pixel;
* the number of strokes is drawn from ``strokes`` (inclusive; the official script takes it
  on its command line);
* the official script bins masks by hole ratio into folders afterwards and erases a border
  band in a copy; here both are options of the generator (``hole_ratio_bin``,
  ``keep_border``);
* there is no ``rand_curve_middle`` preset in the official script, so there is none here.

The stroke renderer is this folder's own (a plugin imports no other plugin); it draws the
same kind of stroke as the image masks' DeepFill v2 strokes.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from toolbox.registry import MASK_GENERATORS
from toolbox.video import BaseVideoMaskGenerator

__all__ = ['MovingStrokes', 'PRESETS', 'hole_ratio_bin']

#: The official presets (gen_masks.py), with our parameter names:
#: vertices [lo, hi), brush width [lo, hi), head speed and acceleration (speed, angle) of the
#: random walk, initial stroke speed, stroke acceleration (speed, angle), the fraction of
#: control points moved per frame and their largest move.
PRESETS = {
    'object_like': dict(vertices=(5, 30), brush=(20, 50), head_speed=15, head_accel=(10, 1.5),
                        init_speed=10, line_accel=(5, 0.5), move_ratio=0.5, point_move=10),
    'object_like_middle': dict(vertices=(5, 15), brush=(20, 50), head_speed=8,
                               head_accel=(4, 1.5), init_speed=10, line_accel=(5, 0.5),
                               move_ratio=0.5, point_move=5),
    'object_like_small': dict(vertices=(5, 20), brush=(10, 30), head_speed=7,
                              head_accel=(3.5, 1.5), init_speed=4, line_accel=(3, 0.5),
                              move_ratio=0.5, point_move=5),
    'rand_curve': dict(vertices=(10, 30), brush=(3, 10), head_speed=20, head_accel=(15, 0.5),
                       init_speed=6, line_accel=(5, 0.5), move_ratio=0.5, point_move=3),
    'rand_curve_small': dict(vertices=(6, 22), brush=(2.5, 5), head_speed=12,
                             head_accel=(8, 0.5), init_speed=3, line_accel=(3, 0.5),
                             move_ratio=0.5, point_move=1.5),
}


@MASK_GENERATORS.register_module()
class MovingStrokes(BaseVideoMaskGenerator):
    """Free-form strokes that move over time (Chang et al. 2019).

    Args:
        preset: one of :data:`PRESETS`; any of its keys may be overridden by keyword.
        strokes: (min, max) number of strokes per clip, inclusive.
        border_gap: control points stay this many pixels away from the frame's edges
            (``None``: anywhere; the official presets use ``None``).
        keep_border: the outer ``keep_border`` pixels of every frame are never a hole (the
            official ``leave_boarder_unmasked``, its "noBoarder" masks); 0: off.
        hole_ratio_bin: ``(lo, hi)``: redraw until the clip's hole ratio (all frames) lies
            in ``[lo, hi)`` (the official clusters masks into 10 % bins); ``None``: any.
        max_tries: redraws before a bin that cannot be met raises.
    """

    min_shape = (1, 8, 8)
    tiny_cfg = dict(preset='rand_curve')

    def __init__(self, preset: str = 'object_like', strokes: tuple[int, int] = (1, 5),
                 border_gap: int | None = None, keep_border: int = 0,
                 hole_ratio_bin: tuple[float, float] | None = None, max_tries: int = 200,
                 **overrides) -> None:
        if preset not in PRESETS:
            raise ValueError(f'MovingStrokes: preset must be one of {sorted(PRESETS)}, '
                             f'got {preset!r}')
        unknown = sorted(set(overrides) - set(PRESETS[preset]))
        if unknown:
            raise TypeError(f'MovingStrokes: unknown argument(s) {unknown}; a preset has '
                            f'{sorted(PRESETS[preset])}')
        self.preset = preset
        self.params = {**PRESETS[preset], **overrides}
        if not 1 <= strokes[0] <= strokes[1]:
            raise ValueError(f'MovingStrokes: strokes must be (min, max) with 1 <= min <= max, '
                             f'got {strokes}')
        self.strokes = (int(strokes[0]), int(strokes[1]))
        self.border_gap = border_gap
        self.keep_border = int(keep_border)
        if hole_ratio_bin is not None:
            lo, hi = hole_ratio_bin
            if not 0 <= lo < hi <= 1:
                raise ValueError(f'MovingStrokes: hole_ratio_bin must be (lo, hi) with '
                                 f'0 <= lo < hi <= 1, got {hole_ratio_bin}')
            # the contract tests check the documented range against this
            self.hole_ratio_range = (float(lo), float(hi))
        self.hole_ratio_bin = hole_ratio_bin
        self.max_tries = int(max_tries)

    # -- drawing ---------------------------------------------------------------------------
    def _walk(self, h: int, w: int, n: int, rng: np.random.Generator):
        """Control points ``(n, V, 2)`` (x, y; padded), their counts ``(n,)``."""
        p = self.params
        counts = rng.integers(p['vertices'][0], p['vertices'][1], size=n)
        vmax = int(counts.max()) + 1            # the start point plus one per vertex
        points = np.empty((n, vmax, 2))
        points[:, 0] = rng.random((n, 2)) * (w, h)
        angle = rng.uniform(0, 2 * math.pi, n)
        speed = rng.uniform(0, p['head_speed'], n)
        dv, da = p['head_accel']
        accel = rng.uniform(-1, 1, (vmax - 1, n, 2)) * (dv, da)
        # The speed is clipped at every vertex, a sequential recurrence: plain floats are
        # faster than numpy for these few hundred numbers.
        cap = float(p['head_speed'])
        steps = accel[..., 0].T.tolist()            # (n, V-1)
        speeds = np.empty((n, vmax - 1))
        for i, (s, row) in enumerate(zip(speed.tolist(), steps)):
            out = speeds[i]
            for j, a in enumerate(row):
                s = min(max(s + a, 0.0), cap)
                out[j] = s
        angles = angle[:, None] + np.cumsum(accel[..., 1].T, 1)            # (n, V-1)
        moves = np.stack([speeds * np.cos(angles), speeds * np.sin(angles)], -1)
        if self.border_gap is None:
            points[:, 1:] = points[:, :1] + np.cumsum(moves, 1)
        else:                       # clipped at every vertex, as the walk goes
            g = self.border_gap
            for j in range(1, vmax):
                points[:, j] = np.clip(points[:, j - 1] + moves[:, j - 1], (g, g),
                                       (w - g, h - g))
        return points, counts + 1

    def _clip(self, shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
        t, h, w = shape
        p = self.params
        n = int(rng.integers(self.strokes[0], self.strokes[1] + 1))
        points, counts = self._walk(h, w, n, rng)
        vmax = points.shape[1]
        widths = rng.uniform(p['brush'][0], p['brush'][1], n).astype(int).clip(1)
        # The stroke velocity: |N(0, s/2)| at a uniform angle, then a Gaussian acceleration
        # per frame (kept, so strokes speed up, slow down and turn).
        speed0 = np.abs(rng.normal(0, p['init_speed'] / 2, n))
        angle0 = rng.uniform(0, 2 * math.pi, n)
        dv, da = p['line_accel']
        accel = rng.normal(0, 0.5, (max(t - 1, 0), n, 2)) * (dv, da)
        speed = speed0 + np.concatenate([np.zeros((1, n)), np.cumsum(accel[..., 0], 0)])[:-1]
        angle = angle0 + np.concatenate([np.zeros((1, n)), np.cumsum(accel[..., 1], 0)])[:-1]
        # int() of the step, as the official code moves by whole pixels
        step = np.trunc(np.stack([speed * np.cos(angle), speed * np.sin(angle)], -1))
        shift = np.concatenate([np.zeros((1, n, 2)), np.cumsum(step, 0)])     # (t, n, 2)
        # A random half (move_ratio) of each stroke's valid control points moves per frame.
        keys = rng.random((max(t - 1, 0), n, vmax))
        keys[:, np.arange(vmax)[None, :] >= counts[:, None]] = np.inf
        rank = keys.argsort(-1).argsort(-1)
        chosen = rank < np.floor(counts * p['move_ratio'])[None, :, None]
        m = p['point_move']
        jitter = rng.uniform(-m, m, (max(t - 1, 0), n, vmax, 2)) * chosen[..., None]
        jitter = np.concatenate([np.zeros((1, n, vmax, 2)), np.cumsum(jitter, 0)])
        pts = np.rint(points[None] + shift[:, :, None] + jitter).astype(np.int32)
        masks = np.zeros((t, h, w), np.uint8)
        for f in range(t):
            for i in range(n):
                cv2.polylines(masks[f], [pts[f, i, :counts[i]]], False, 1, int(widths[i]))
        if self.keep_border > 0:
            b = self.keep_border
            masks[:, :b] = 0
            masks[:, -b:] = 0
            masks[:, :, :b] = 0
            masks[:, :, -b:] = 0
        return masks

    def generate(self, shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
        if self.hole_ratio_bin is None:
            return self._clip(shape, rng)
        lo, hi = self.hole_ratio_bin
        for _ in range(self.max_tries):
            masks = self._clip(shape, rng)
            if lo <= masks.mean() < hi:
                return masks
        raise RuntimeError(f'MovingStrokes({self.preset!r}): no clip of shape {shape} with a '
                           f'hole ratio in [{lo}, {hi}) in {self.max_tries} draws; widen '
                           f'the bin or change the preset')

    def __repr__(self) -> str:
        return (f'MovingStrokes(preset={self.preset!r}, strokes={self.strokes}, '
                f'keep_border={self.keep_border}, hole_ratio_bin={self.hole_ratio_bin})')


def hole_ratio_bin(masks: np.ndarray, width: float = 0.1) -> tuple[float, float]:
    """The ``width``-wide bin ``[lo, hi)`` holding the hole ratio of ``masks``; the official
    script clusters its masks into 10 % bins like this."""
    k = min(int(float(np.mean(masks)) / width), int(round(1 / width)) - 1)
    return (round(k * width, 10), round((k + 1) * width, 10))
