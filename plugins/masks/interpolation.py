"""Regular-grid masks for interpolation: EveryNLines and NearestNeighbor.

Paper: J. Cai et al., "Image Multi-Inpainting via Progressive Generative Adversarial
Networks", CVPR Workshops (NTIRE) 2022, on the NTIRE 2022 Image Inpainting Challenge's
"Every N Lines" (every n-th row or column missing, n in {2, 3, 4, 5}) and "Nearest
Neighbor" (only every s-th pixel of every s-th row known, s in {2, 3, 4}: the input of a
x s nearest-neighbour upsampling) masks.
"""
from __future__ import annotations

import math

import numpy as np

from toolbox import BaseMaskGenerator
from toolbox.registry import MASK_GENERATORS

from .checks import check_choices, check_int_choices


def line_fraction_bounds(period: int, min_length: int, random_offset: bool) -> tuple[float, float]:
    """Bounds on the fraction of the lines ``offset, offset + period, ...`` among
    ``length >= min_length`` lines.

    With offset 0 there are ``ceil(L / p)`` of them, else ``floor`` or ``ceil``. The
    extremes over all ``L >= min_length`` lie in ``[min_length, min_length + p)``: adding
    a period adds one line to ``p`` more, which moves the fraction towards ``1 / p``.
    """
    lengths = range(min_length, min_length + period)
    high = max(math.ceil(n / period) / n for n in lengths)
    low = min(n // period / n for n in lengths) if random_offset else 1 / period
    return low, high


@MASK_GENERATORS.register_module()
class EveryNLines(BaseMaskGenerator):
    """Every ``n``-th row (horizontal lines) or column (vertical lines) is a hole.

    ``n`` is drawn uniformly from ``ns`` and the direction from ``directions``; the masked
    lines are ``offset, offset + n, offset + 2n, ...`` with ``offset = 0`` as in the
    challenge, or uniform in ``[0, n)`` with ``random_offset``.

    Hole ratio: about ``1 / n`` (from ``1/5`` to ``1/2`` by default); exactly
    ``ceil(L / n) / L`` for ``L`` rows or columns, so a little more when ``n`` does not
    divide ``L`` (up to 0.6 at the smallest shape, 5 x 5).

    Args:
        ns: the periods to draw from, each ``>= 2``.
        directions: ``'horizontal'`` (rows) and/or ``'vertical'`` (columns).
        random_offset: shift the pattern by a random phase (training variety); ``False``
            masks rows/columns ``0, n, 2n, ...``.
    """

    tiny_cfg = {}

    def __init__(self,
                 ns: tuple[int, ...] = (2, 3, 4, 5),
                 directions: tuple[str, ...] = ('horizontal', 'vertical'),
                 random_offset: bool = False) -> None:
        name = type(self).__name__
        self.ns = check_int_choices(name, 'ns', ns, 2)
        self.directions = check_choices(name, 'directions', directions,
                                        ('horizontal', 'vertical'))
        self.random_offset = bool(random_offset)
        # One full period in both directions, so every n draws its pattern.
        side = max(self.ns)
        self.min_shape = (side, side)
        bounds = [line_fraction_bounds(n, side, self.random_offset) for n in self.ns]
        self.hole_ratio_range = (min(b[0] for b in bounds), max(b[1] for b in bounds))

    def generate(self, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        n = self.ns[int(rng.integers(len(self.ns)))]
        direction = self.directions[int(rng.integers(len(self.directions)))]
        offset = int(rng.integers(n)) if self.random_offset else 0
        mask = np.zeros(shape, np.uint8)
        if direction == 'horizontal':
            mask[offset::n] = 1
        else:
            mask[:, offset::n] = 1
        return mask

    def __repr__(self) -> str:
        return (f'EveryNLines(ns={self.ns}, directions={self.directions}, '
                f'random_offset={self.random_offset})')


@MASK_GENERATORS.register_module()
class NearestNeighbor(BaseMaskGenerator):
    """Only the pixels ``(offset_y + i s, offset_x + j s)`` are known; the rest is hole.

    ``s`` is drawn uniformly from ``scales``; offsets are 0 as in the challenge, or uniform
    in ``[0, s)`` with ``random_offset``.

    Hole ratio: about ``1 - 1 / s**2`` (0.75 to 0.9375 by default), exactly
    ``1 - ceil(H / s) ceil(W / s) / (H W)``; down to 0.64 at the smallest shape, 4 x 4.

    Args:
        scales: the grid steps to draw from, each ``>= 2``.
        random_offset: shift the grid by a random phase in each direction.
    """

    tiny_cfg = {}

    def __init__(self,
                 scales: tuple[int, ...] = (2, 3, 4),
                 random_offset: bool = False) -> None:
        name = type(self).__name__
        self.scales = check_int_choices(name, 'scales', scales, 2)
        self.random_offset = bool(random_offset)
        side = max(self.scales)
        self.min_shape = (side, side)
        bounds = [line_fraction_bounds(s, side, self.random_offset) for s in self.scales]
        self.hole_ratio_range = (1 - max(b[1] for b in bounds) ** 2,
                                 1 - min(b[0] for b in bounds) ** 2)

    def generate(self, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        s = self.scales[int(rng.integers(len(self.scales)))]
        if self.random_offset:
            oy, ox = (int(v) for v in rng.integers(s, size=2))
        else:
            oy = ox = 0
        mask = np.ones(shape, np.uint8)
        mask[oy::s, ox::s] = 0
        return mask

    def __repr__(self) -> str:
        return f'NearestNeighbor(scales={self.scales}, random_offset={self.random_offset})'
