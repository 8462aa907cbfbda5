"""The simplest mask recipe: one random rectangle."""
from __future__ import annotations

import numpy as np

from toolbox import BaseMaskGenerator
from toolbox.registry import MASK_GENERATORS


@MASK_GENERATORS.register_module()
class RandomRectangle(BaseMaskGenerator):
    """One axis-aligned box whose height and width are uniform fractions in
    ``[min_size, max_size]`` of the image's; hole ratio in ``[min_size**2, max_size**2]``."""

    tiny_cfg = dict(min_size=0.2, max_size=0.6)
    min_shape = (2, 2)

    def __init__(self, min_size: float = 0.2, max_size: float = 0.5) -> None:
        if not 0.0 < min_size <= max_size <= 1.0:
            raise ValueError(f'RandomRectangle: need 0 < min_size <= max_size <= 1, got '
                             f'min_size={min_size}, max_size={max_size}')
        self.min_size = float(min_size)
        self.max_size = float(max_size)
        self.hole_ratio_range = (self.min_size ** 2 * 0.5, min(1.0, self.max_size ** 2 * 1.5))

    def generate(self, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        h, w = shape
        bh = max(1, round(h * rng.uniform(self.min_size, self.max_size)))
        bw = max(1, round(w * rng.uniform(self.min_size, self.max_size)))
        y = int(rng.integers(0, h - bh + 1))
        x = int(rng.integers(0, w - bw + 1))
        mask = np.zeros(shape, np.uint8)
        mask[y:y + bh, x:x + bw] = 1
        return mask

    def __repr__(self) -> str:
        return f'RandomRectangle(min_size={self.min_size}, max_size={self.max_size})'
