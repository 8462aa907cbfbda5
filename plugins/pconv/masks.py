"""Irregular masks binned by hole ratio, as the evaluation masks of Partial Convolutions.

Liu et al. (ECCV 2018, Sec. 4.1) evaluate on 12,000 irregular masks in six bins of hole
ratio, (0.01, 0.1], (0.1, 0.2], ..., (0.5, 0.6], each bin with and without holes near the
image border (1,000 masks each); the masks came from occlusion estimates between video
frames, dilated. That dataset is not downloadable here; it can be used as a file list with
the masks plugin's file-based generator. :class:`BinnedIrregularMask` draws masks of the
same kind of statistics: thick random-walk strokes of random width (the dilation), added
one short segment at a time until the hole ratio passes a value drawn uniformly in the
requested bin (a segment that would leave the bin is undone), so every mask lies in its
bin exactly; ``margin`` keeps the holes away from the border, as the
"border-free" half of the dataset.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from toolbox import BaseMaskGenerator
from toolbox.registry import MASK_GENERATORS

__all__ = ['BinnedIrregularMask', 'PCONV_BINS']

#: The paper's hole-ratio bins.
PCONV_BINS = ((0.01, 0.1), (0.1, 0.2), (0.2, 0.3), (0.3, 0.4), (0.4, 0.5), (0.5, 0.6))


def _patch(inner: np.ndarray, points, width: int):
    """The view of ``inner`` a stroke through ``points`` of ``width`` can touch, and a copy."""
    pad = width + 2
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    patch = inner[max(0, min(ys) - pad):max(ys) + pad + 1, max(0, min(xs) - pad):max(xs) + pad + 1]
    return patch, patch.copy()


@MASK_GENERATORS.register_module()
class BinnedIrregularMask(BaseMaskGenerator):
    """Irregular masks whose hole ratio lies in one of ``bins`` (chosen uniformly per mask).

    Args:
        bins: ``(low, high]`` hole-ratio bins (default: the paper's six); one pair for one
            bin.
        margin: fraction of each side kept free of holes (0; ~0.1 for the paper's
            "without border" masks, 50 px at 512).
        max_width: largest stroke width as a fraction of the shorter side (0.08).

    Each segment adds at most ``max_width * max_seg`` of the shorter side squared, so with
    bins wider than that a mask never jumps over its bin; a mask that would is redrawn.
    """

    tiny_cfg = dict(bins=((0.1, 0.2), (0.3, 0.4)))
    min_shape = (32, 32)

    def __init__(self, bins: Sequence[Sequence[float]] = PCONV_BINS, margin: float = 0.0,
                 max_width: float = 0.08) -> None:
        name = type(self).__name__
        if len(bins) == 2 and all(isinstance(b, (int, float)) for b in bins):
            bins = (tuple(bins),)
        self.bins = tuple((float(lo), float(hi)) for lo, hi in bins)
        if not self.bins or any(not 0 <= lo < hi <= 1 for lo, hi in self.bins):
            raise ValueError(f'{name}: bins must be (low, high) pairs with 0 <= low < high '
                             f'<= 1, got {bins!r}')
        if not 0 <= margin < 0.5:
            raise ValueError(f'{name}: margin must be in [0, 0.5), got {margin}')
        if (1 - 2 * margin) ** 2 < max(hi for _, hi in self.bins):
            raise ValueError(f'{name}: margin {margin} leaves less area than the largest '
                             'bin needs')
        if not 0 < max_width <= 0.25:
            raise ValueError(f'{name}: max_width must be in (0, 0.25], got {max_width}')
        self.margin, self.max_width = float(margin), float(max_width)

    @property
    def hole_ratio_range(self) -> tuple[float, float]:   # type: ignore[override]
        return min(lo for lo, _ in self.bins), max(hi for _, hi in self.bins)

    def generate_in_bin(self, shape: tuple[int, int], rng: np.random.Generator,
                        low: float, high: float) -> np.ndarray:
        h, w = shape
        side = min(h, w)
        my, mx = int(round(self.margin * h)), int(round(self.margin * w))
        floor, ceiling = low * h * w, high * h * w
        # stop past a ratio drawn uniformly in the bin, so masks spread over it
        target = rng.uniform(low, high) * h * w
        mask = np.zeros((h, w), np.uint8)
        inner = mask[my:h - my, mx:w - mx]              # a view: strokes stay inside
        ih, iw = inner.shape
        count, misses = 0, 0
        while count <= target:
            # a new stroke: random start, width (the dilation) and a few segments
            y, x = int(rng.integers(0, ih)), int(rng.integers(0, iw))
            width = int(rng.integers(max(1, side // 64),
                                     max(2, int(self.max_width * side)) + 1))
            points = [(x, y)]
            for _ in range(int(rng.integers(2, 8))):
                angle = rng.uniform(0, 2 * np.pi)
                length = rng.uniform(0.02, 0.08) * side
                y = int(min(max(y + length * math.sin(angle), 0), ih - 1))
                x = int(min(max(x + length * math.cos(angle), 0), iw - 1))
                points.append((x, y))
            # Draw the whole stroke and count only around it: per-segment Python work
            # made a 256² mask take ~2 ms. A stroke that would leave the bin is undone and
            # replayed segment by segment, so the bin still holds.
            patch, before = _patch(inner, points, width)
            cv2.polylines(inner, [np.array(points, np.int32)], False, 1, width)
            grown = count + int(patch.sum()) - int(before.sum())
            if grown <= ceiling:
                count = grown
                continue
            patch[:] = before
            for start, end in zip(points, points[1:]):
                patch, before = _patch(inner, [start, end], width)
                cv2.line(inner, start, end, 1, width)
                grown = count + int(patch.sum()) - int(before.sum())
                if grown > ceiling:
                    # the segment would leave the bin: undo it; done if already in the bin
                    patch[:] = before
                    if count > floor:
                        return mask
                    misses += 1
                    if misses > 1000:
                        raise RuntimeError(f'{type(self).__name__}: strokes too wide for '
                                           f'the bin ({low}, {high}] at {shape}')
                    break
                count = grown
                if count > target:
                    break
        return mask                                     # floor < target < count <= ceiling

    def generate(self, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        low, high = self.bins[int(rng.integers(len(self.bins)))]
        return self.generate_in_bin(shape, rng, low, high)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(bins={self.bins}, margin={self.margin})'
