"""Outpainting masks: Completion (one side missing) and Expand (only a centre known).

Paper: J. Cai et al., "Image Multi-Inpainting via Progressive Generative Adversarial
Networks", CVPR Workshops (NTIRE) 2022, on the NTIRE 2022 Image Inpainting Challenge's
"Completion" (the top or left part up to a ratio in U(0.2, 0.8) missing, or the rest of
the image instead) and "Expand" (only a centred square of 1/4, 1/3 or 1/2 of the short
side known) masks. The exterior Expand, which pads the image instead, is the transform
:class:`~toolbox_plugins.masks.transforms.ExpandExterior`.
"""
from __future__ import annotations

import math

import numpy as np

from toolbox import BaseMaskGenerator
from toolbox.registry import MASK_GENERATORS

from .checks import check_choices, check_fractions, check_prob, check_real


@MASK_GENERATORS.register_module()
class Completion(BaseMaskGenerator):
    """One contiguous band along a side is a hole: the first ``round(r L)`` rows (side
    ``'top'``) or columns (``'left'``) of the ``L``, with ``r ~ U(min_ratio, max_ratio)``;
    with probability ``reverse_prob`` the band lies at the opposite side (bottom/right).

    The challenge reverses by inverting the mask, which leaves ``1 - r`` missing; as
    ``U(0.2, 0.8)`` is symmetric the two give the same distribution.

    Hole ratio: ``[min_ratio, max_ratio]``, exactly (the row count is clipped to it).

    Args:
        min_ratio: smallest fraction of rows/columns missing, in ``(0, 1]``.
        max_ratio: largest fraction missing, in ``[min_ratio, 1]``.
        sides: where the band starts, drawn uniformly: ``'top'`` and/or ``'left'``.
        reverse_prob: probability of moving the band to the bottom/right side; the
            challenge uses 0.5.
    """

    tiny_cfg = {}

    def __init__(self,
                 min_ratio: float = 0.2,
                 max_ratio: float = 0.8,
                 sides: tuple[str, ...] = ('top', 'left'),
                 reverse_prob: float = 0.5) -> None:
        name = type(self).__name__
        self.min_ratio = check_real(name, 'min_ratio', min_ratio, 0.0, 1.0, low_open=True)
        self.max_ratio = check_real(name, 'max_ratio', max_ratio, 0.0, 1.0, low_open=True)
        if self.min_ratio > self.max_ratio:
            raise ValueError(f'{name}: min_ratio ({min_ratio}) must not exceed max_ratio '
                             f'({max_ratio})')
        self.sides = check_choices(name, 'sides', sides, ('top', 'left'))
        self.reverse_prob = check_prob(name, 'reverse_prob', reverse_prob)
        self.hole_ratio_range = (self.min_ratio, self.max_ratio)
        # Enough lines that some whole count lies within [min_ratio, max_ratio] of them.
        width = self.max_ratio - self.min_ratio
        side = 2 if width >= 0.5 else math.ceil(1 / width) if width > 0 else 1
        while not self._line_counts(side):
            side += 1
        self.min_shape = (side, side)

    def _line_counts(self, length: int) -> tuple[int, int] | None:
        lo = math.ceil(self.min_ratio * length - 1e-9)
        hi = math.floor(self.max_ratio * length + 1e-9)
        return (lo, hi) if lo <= hi else None

    def generate(self, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        side = self.sides[int(rng.integers(len(self.sides)))]
        ratio = rng.uniform(self.min_ratio, self.max_ratio)
        reverse = rng.random() < self.reverse_prob
        length = shape[0] if side == 'top' else shape[1]
        counts = self._line_counts(length)
        if counts is None:
            raise ValueError(f'Completion: no whole number of the {length} lines of shape '
                             f'{shape} is between min_ratio={self.min_ratio} and '
                             f'max_ratio={self.max_ratio}; widen the range')
        k = min(max(round(ratio * length), counts[0]), counts[1])
        band = slice(length - k, length) if reverse else slice(0, k)
        mask = np.zeros(shape, np.uint8)
        if side == 'top':
            mask[band] = 1
        else:
            mask[:, band] = 1
        return mask

    def __repr__(self) -> str:
        return (f'Completion(min_ratio={self.min_ratio}, max_ratio={self.max_ratio}, '
                f'sides={self.sides}, reverse_prob={self.reverse_prob})')


def centred_square(shape: tuple[int, int], fraction: float, even: bool = False
                   ) -> tuple[int, int, int]:
    """``(top, left, side)`` of the centred square of side ``int(fraction * short side)``,
    rounded down to an even number if ``even``, and at least one pixel."""
    h, w = shape
    side = int(fraction * min(h, w) + 1e-9)
    if even:
        side -= side % 2
    side = max(1, side)
    return (h - side) // 2, (w - side) // 2, side


@MASK_GENERATORS.register_module()
class Expand(BaseMaskGenerator):
    """Everything but a centred square is a hole (interior Expand): the square's side is
    ``int(f * short side)`` with ``f`` drawn uniformly from ``fractions``, rounded down to
    an even number as the NTIRE 2022 challenge's mask code does (84 px for ``f = 1/3`` at
    256 x 256); ``even_side=False`` keeps ``int(f * short side)`` (85 px).

    Hole ratio: at least ``1 - max(fractions)**2``; for square images about
    ``1 - f**2`` (0.75, 0.892, 0.9375 by default at 256 x 256); wider images have more hole,
    up to all but one pixel, hence the documented upper bound 1.

    Args:
        fractions: side of the known square as fractions of the short side, in ``(0, 1]``.
        even_side: round the side down to an even number of pixels, as the challenge
            does (it keeps ``int(f * short) // 2`` pixels on each side of the centre);
            ``False``: the side is ``int(f * short)`` exactly.
    """

    tiny_cfg = {}

    def __init__(self,
                 fractions: tuple[float, ...] = (1 / 4, 1 / 3, 1 / 2),
                 even_side: bool = True) -> None:
        name = type(self).__name__
        self.fractions = check_fractions(name, 'fractions', fractions)
        if not isinstance(even_side, bool):
            raise ValueError(f'{name}: even_side must be True or False, got {even_side!r}')
        self.even_side = even_side
        side = math.ceil(1 / min(self.fractions) - 1e-9)
        self.min_shape = (side, side)
        self.hole_ratio_range = (1 - max(self.fractions) ** 2, 1.0)

    def generate(self, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        f = self.fractions[int(rng.integers(len(self.fractions)))]
        top, left, side = centred_square(shape, f, self.even_side)
        mask = np.ones(shape, np.uint8)
        mask[top:top + side, left:left + side] = 0
        return mask

    def __repr__(self) -> str:
        return f'Expand(fractions={self.fractions}, even_side={self.even_side})'
