"""Random polyline strokes and boxes: the Thick, Medium and Thin masks.

Paper: J. Cai et al., "Image Multi-Inpainting via Progressive Generative Adversarial
Networks", CVPR Workshops (NTIRE) 2022. It evaluates on the seven mask types of the NTIRE
2022 Image Inpainting Challenge, whose stroke masks are LaMa's random irregular masks
(R. Suvorov et al., "Resolution-robust Large Mask Inpainting with Fourier Convolutions",
WACV 2022) with the parameters of LaMa's ``random_{thick,medium,thin}_{256,512}`` presets. LaMa draws
one stroke more than its configs' ``max_times`` (its generator passes ``max_times + 1`` on,
then draws ``randint(min_times, max_times + 2)``), and so do the presets here;
``tools/compare_lama_masks.py`` compares the hole ratios with LaMa's own generator.

A mask is either strokes or boxes, never both: LaMa's mixed generator picks one recipe per
mask with the normalised weights ``strokes 1 : boxes 0.3``, so "box probability 0.3" is a
probability of ``0.3 / 1.3`` that the mask is boxes. Masks covering more than
``max_hole_ratio`` of the image are redrawn (the challenge discards masks over 50 %).

Sizes other than the presets' (see the plugin README): below the smallest preset the
smallest is scaled linearly by ``short side / preset size``; between two presets every
parameter is interpolated linearly; above the largest the largest is scaled linearly.
Counts (strokes, boxes) are interpolated but never scaled. The short side of the image
decides.
"""
from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from typing import NamedTuple

import cv2
import numpy as np

from toolbox import BaseMaskGenerator
from toolbox.registry import MASK_GENERATORS

from .checks import check_int, check_int_range, check_prob, check_real

#: LaMa weighs strokes 1 and boxes 0.3, then normalises: the chance that a mask is boxes.
BOX_SHARE = 0.3 / 1.3

_REQUIRED = ('min_strokes', 'max_strokes', 'max_width', 'max_len')
_DEFAULTS = dict(min_width=5, min_len=10, box_prob=0.0, box_margin=0, min_box=1, max_box=1,
                 min_boxes=1, max_boxes=1)
#: Pixel measures: scaled with the image outside the presets' range.
_LENGTHS = ('min_width', 'max_width', 'min_len', 'max_len', 'box_margin', 'min_box', 'max_box')

# LaMa's ``random_<kind>_<size>.yaml`` parameters. Its stroke generator raises the
# configured ``max_times`` by one before drawing ``randint(min_times, max_times + 1)``, so a
# config's ``max_times: 5`` draws 1-6 strokes: ``max_strokes`` (inclusive) is ``max_times + 1``.
# Box counts and sides are inclusive in LaMa as here.
THICK_PRESETS = {
    256: dict(min_strokes=1, max_strokes=5 + 1, max_width=100, max_len=200, box_prob=BOX_SHARE,
              box_margin=10, min_box=30, max_box=150, min_boxes=1, max_boxes=3),
    512: dict(min_strokes=1, max_strokes=5 + 1, max_width=250, max_len=450, box_prob=BOX_SHARE,
              box_margin=10, min_box=30, max_box=300, min_boxes=1, max_boxes=4),
}
MEDIUM_PRESETS = {
    256: dict(min_strokes=4, max_strokes=5 + 1, max_width=50, max_len=100, box_prob=BOX_SHARE,
              box_margin=0, min_box=10, max_box=50, min_boxes=1, max_boxes=5),
    512: dict(min_strokes=4, max_strokes=10 + 1, max_width=100, max_len=200, box_prob=BOX_SHARE,
              box_margin=0, min_box=30, max_box=150, min_boxes=1, max_boxes=5),
}
THIN_PRESETS = {
    256: dict(min_strokes=4, max_strokes=50 + 1, max_width=10, max_len=40),
    512: dict(min_strokes=4, max_strokes=70 + 1, max_width=20, max_len=100),
}


class _Resolved(NamedTuple):
    min_strokes: int
    max_strokes: int
    min_width: int
    max_width: int
    min_len: int
    max_len: int
    box_prob: float
    box_margin: int
    min_box: int
    max_box: int
    min_boxes: int
    max_boxes: int


@MASK_GENERATORS.register_module()
class Strokes(BaseMaskGenerator):
    """LaMa-style random strokes or boxes, from per-size parameter presets.

    Each stroke starts at a uniform pixel and has ``1 + randint(5)`` segments; segment
    ``j`` of stroke ``i`` has angle ``0.01 + randint(max_angle)`` radians (mirrored to
    ``2 pi - angle`` for even ``i``), length ``min_len + randint(max_len)`` and width
    ``min_width + randint(max_width)``; OpenCV draws it as a thick line (round caps).
    Boxes: ``min_boxes..max_boxes`` axis-aligned boxes with sides in
    ``min_box..max_box`` kept ``box_margin`` pixels from the border.

    Hole ratio: ``(0, max_hole_ratio]``.

    Args:
        presets: ``{size: params}``; ``size`` is the image short side the params were
            published for, ``params`` a dict with ``min_strokes``, ``max_strokes``,
            ``max_width``, ``max_len`` and optionally ``min_width`` (default 5),
            ``min_len`` (10), ``box_prob`` (0: never boxes), ``box_margin`` (0),
            ``min_box``/``max_box`` (box sides in pixels), ``min_boxes``/``max_boxes``.
        box_prob: probability that a mask is boxes instead of strokes, for every size;
            ``None`` keeps each preset's own. Presets without ``max_box`` allow only 0.
        max_angle: segment angles are ``0.01 + randint(max_angle)`` radians.
        max_hole_ratio: masks with a larger hole fraction are redrawn (after
            :attr:`max_attempts` draws the holes past the limit are erased in raster order,
            so the bound always holds).
    """

    tiny_cfg = dict(presets={64: dict(min_strokes=1, max_strokes=4, max_width=20, max_len=40,
                                      box_prob=0.3, min_box=8, max_box=24, max_boxes=2)})
    min_shape = (16, 16)
    #: Draws before the hole-ratio limit is enforced by erasing.
    max_attempts = 100

    def __init__(self,
                 presets: Mapping[int, Mapping[str, float]],
                 box_prob: float | None = None,
                 max_angle: int = 4,
                 max_hole_ratio: float = 0.5) -> None:
        name = type(self).__name__
        if not isinstance(presets, Mapping) or not presets:
            raise ValueError(f'{name}: presets must be a non-empty {{size: params}} dict, '
                             f'got {presets!r}')
        self.presets = {}
        for size, params in presets.items():
            size = check_int(name, 'presets size', size)
            self.presets[size] = self._check_preset(name, size, params)
        self.box_prob = None if box_prob is None else check_prob(name, 'box_prob', box_prob)
        if self.box_prob and any('max_box' not in p for p in presets.values()):
            raise ValueError(f'{name}: box_prob={box_prob} but the presets set no box sizes '
                             '(max_box); boxes would be one pixel')
        self.max_angle = check_int(name, 'max_angle', max_angle)
        self.max_hole_ratio = check_real(name, 'max_hole_ratio', max_hole_ratio, 0.0, 1.0,
                                         low_open=True)
        self.hole_ratio_range = (0.0, self.max_hole_ratio)
        self._sizes = sorted(self.presets)
        angles = 0.01 + np.arange(self.max_angle)
        self._directions = np.stack([np.sin(angles), np.cos(angles)], axis=1)
        self._resolved: dict[int, _Resolved] = {}

    @staticmethod
    def _check_preset(name: str, size: int, params: object) -> dict:
        where = f'presets[{size}]'
        if not isinstance(params, Mapping):
            raise ValueError(f'{name}: {where} must be a dict of parameters, got {params!r}')
        unknown = set(params) - set(_REQUIRED) - set(_DEFAULTS)
        missing = [k for k in _REQUIRED if k not in params]
        if unknown or missing:
            raise ValueError(f'{name}: {where} has unknown keys {sorted(unknown)} or lacks '
                             f'{missing}; keys are {list(_REQUIRED) + list(_DEFAULTS)}')
        p = {**_DEFAULTS, **params}
        check_int_range(name, (f'{where}.min_strokes', f'{where}.max_strokes'),
                        p['min_strokes'], p['max_strokes'])
        check_int(name, f'{where}.min_width', p['min_width'])
        check_int(name, f'{where}.max_width', p['max_width'])
        check_int(name, f'{where}.min_len', p['min_len'], 0)
        check_int(name, f'{where}.max_len', p['max_len'])
        check_prob(name, f'{where}.box_prob', p['box_prob'])
        check_int(name, f'{where}.box_margin', p['box_margin'], 0)
        check_int_range(name, (f'{where}.min_box', f'{where}.max_box'), p['min_box'],
                        p['max_box'])
        check_int_range(name, (f'{where}.min_boxes', f'{where}.max_boxes'), p['min_boxes'],
                        p['max_boxes'])
        return {k: p[k] for k in _Resolved._fields}

    def params_at(self, short_side: int) -> _Resolved:
        """The parameters used for images whose short side is ``short_side``."""
        cached = self._resolved.get(short_side)
        if cached is not None:
            return cached
        sizes = self._sizes
        if short_side <= sizes[0] or short_side >= sizes[-1]:
            ref = sizes[0] if short_side <= sizes[0] else sizes[-1]
            values = dict(self.presets[ref])
            for key in _LENGTHS:
                values[key] = values[key] * short_side / ref
        else:
            i = bisect.bisect_right(sizes, short_side)
            a, b = sizes[i - 1], sizes[i]
            t = (short_side - a) / (b - a)
            values = {k: (1 - t) * self.presets[a][k] + t * self.presets[b][k]
                      for k in _Resolved._fields}
        r = {k: v if k == 'box_prob' else round(v) for k, v in values.items()}
        if self.box_prob is not None:
            r['box_prob'] = self.box_prob
        for key in ('min_strokes', 'max_width', 'min_width', 'min_box', 'max_box',
                    'min_boxes', 'max_len'):
            r[key] = max(1, r[key])
        r['max_strokes'] = max(r['max_strokes'], r['min_strokes'])
        r['max_boxes'] = max(r['max_boxes'], r['min_boxes'])
        r['max_box'] = max(r['max_box'], r['min_box'])
        resolved = _Resolved(**r)
        self._resolved[short_side] = resolved
        return resolved

    def generate(self, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        h, w = shape
        p = self.params_at(min(h, w))
        limit = math.floor(self.max_hole_ratio * h * w + 1e-9)
        best, best_count = None, None
        for _ in range(self.max_attempts):
            if p.box_prob > 0 and rng.random() < p.box_prob:
                mask = self._boxes(p, h, w, rng)
            else:
                mask = self._strokes(shape, rng)
            count = cv2.countNonZero(mask)
            if count <= limit:
                return mask
            if best_count is None or count < best_count:
                best, best_count = mask, count
        flat = best.reshape(-1)
        flat[np.flatnonzero(flat)[limit:]] = 0
        return best

    def sample_strokes(self, shape: tuple[int, int], rng: np.random.Generator
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Draw the strokes of one stroke mask: ``(points, segments, widths)`` with
        ``points`` (6, n, 2) int32 the ``(x, y)`` vertices of the ``n`` strokes,
        ``segments`` (n,) how many of their 5 segments each stroke uses and ``widths``
        (5, n) the segments' widths. A stroke mask of :meth:`generate` renders exactly
        these (one thick line per used segment)."""
        h, w = shape
        p = self.params_at(min(h, w))
        n = int(rng.integers(p.min_strokes, p.max_strokes + 1))
        start = rng.integers(0, (w, h), size=(n, 2))
        segments = rng.integers(1, 6, size=n)
        # Five segments' numbers for every stroke, used or not, so one call draws them all.
        r = rng.integers(0, (self.max_angle, p.max_len, p.max_width), size=(5, n, 3))
        # (sin, cos) of the angle 0.01 + k; mirroring to 2 pi - angle negates the sine.
        step = self._directions[r[..., 0]] * (p.min_len + r[..., 1])[..., None]  # (5, n, 2)
        step[:, ::2, 0] *= -1
        points = np.empty((6, n, 2))
        points[0] = start
        limit = np.array([w - 1, h - 1], np.float64)
        for j in range(5):
            # LaMa truncates the end point to int before clipping it into the image.
            end = np.trunc(points[j] + step[j], out=points[j + 1])
            np.maximum(end, 0, out=end)
            np.minimum(end, limit, out=end)
        return points.astype(np.int32), segments, p.min_width + r[..., 2]

    def _strokes(self, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        points, segments, widths = self.sample_strokes(shape, rng)
        mask = np.zeros(shape, np.uint8)
        used = np.arange(5)[:, None] < segments  # (5, n): segment j of stroke i exists
        lines = np.stack([points[:-1][used], points[1:][used]], axis=1)  # (m, 2, 2)
        widths = widths[used]
        # One polylines call per width draws the same pixels as one cv2.line per segment.
        order = np.argsort(widths, kind='stable')
        lines, widths = lines[order], widths[order]
        bounds = [0, *(np.flatnonzero(widths[1:] != widths[:-1]) + 1).tolist(), len(widths)]
        for a, b in zip(bounds[:-1], bounds[1:]):
            cv2.polylines(mask, lines[a:b], False, 1, int(widths[a]))
        return mask

    @staticmethod
    def _boxes(p: _Resolved, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
        mask = np.zeros((h, w), np.uint8)
        margin = min(p.box_margin, (min(h, w) - 1) // 2)
        largest = max(1, min(p.max_box, h - 2 * margin, w - 2 * margin))
        smallest = min(p.min_box, largest)
        k = int(rng.integers(p.min_boxes, p.max_boxes + 1))
        sides = rng.integers(smallest, largest + 1, size=(k, 2))  # (width, height)
        x0 = rng.integers(margin, w - margin - sides[:, 0] + 1)
        y0 = rng.integers(margin, h - margin - sides[:, 1] + 1)
        for (bw, bh), x, y in zip(sides.tolist(), x0.tolist(), y0.tolist()):
            mask[y:y + bh, x:x + bw] = 1
        return mask

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(presets={self.presets}, box_prob={self.box_prob}, '
                f'max_angle={self.max_angle}, max_hole_ratio={self.max_hole_ratio})')


class _PaperStrokes(Strokes):
    """A :class:`Strokes` with fixed presets; only the overrides are arguments."""

    PRESETS: dict = {}
    tiny_cfg = {}

    def __init__(self,
                 box_prob: float | None = None,
                 max_angle: int = 4,
                 max_hole_ratio: float = 0.5) -> None:
        super().__init__(self.PRESETS, box_prob, max_angle, max_hole_ratio)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(box_prob={self.box_prob}, max_angle={self.max_angle}, '
                f'max_hole_ratio={self.max_hole_ratio})')


@MASK_GENERATORS.register_module()
class ThickStrokes(_PaperStrokes):
    """NTIRE 2022 / LaMa thick strokes: at 256, 1-6 strokes (LaMa's ``max_times: 5``,
    see the module) of width 5-104 and segment length 10-209, or (probability 0.3/1.3)
    1-3 boxes of side 30-150 kept 10 px from the border; at 512, width 5-254, length
    10-459, 1-4 boxes of side 30-300.

    Hole ratio ``(0, max_hole_ratio]``; see :class:`Strokes` for the arguments:

    Args:
        box_prob: probability of a box mask instead of strokes; ``None``: 0.3/1.3.
        max_angle: segment angles are ``0.01 + randint(max_angle)`` radians.
        max_hole_ratio: masks with more holes than this are redrawn.
    """

    PRESETS = THICK_PRESETS


@MASK_GENERATORS.register_module()
class MediumStrokes(_PaperStrokes):
    """NTIRE 2022 / LaMa medium strokes: at 256, 4-6 strokes (LaMa's ``max_times: 5``)
    of width 5-54 and length 10-109, or (probability 0.3/1.3) 1-5 boxes of side 10-50; at
    512, 4-11 strokes of width 5-104 and length 10-209, or 1-5 boxes of side 30-150.

    Args:
        box_prob: probability of a box mask instead of strokes; ``None``: 0.3/1.3.
        max_angle: segment angles are ``0.01 + randint(max_angle)`` radians.
        max_hole_ratio: masks with more holes than this are redrawn.
    """

    PRESETS = MEDIUM_PRESETS


@MASK_GENERATORS.register_module()
class ThinStrokes(_PaperStrokes):
    """NTIRE 2022 / LaMa thin strokes: at 256, 4-51 strokes (LaMa's ``max_times: 50``) of
    width 5-14 and length 10-49; at 512, 4-71 strokes of width 5-24 and length 10-109. No
    boxes.

    Args:
        box_prob: ``None`` or 0: never boxes (the presets define none, so any other
            value is an error).
        max_angle: segment angles are ``0.01 + randint(max_angle)`` radians.
        max_hole_ratio: masks with more holes than this are redrawn.
    """

    PRESETS = THIN_PRESETS
