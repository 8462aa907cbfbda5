"""Context Encoders' "random block" masks: several smaller, possibly overlapping
rectangles covering up to a quarter of the image.

Paper: D. Pathak et al., "Context Encoders: Feature Learning by Inpainting", CVPR 2016,
section 3.3: "we remove a number of smaller possibly overlapping masks, covering up to
1/4 of the image". (Its "random region" masks, shapes of PASCAL VOC 2012 segmentations
placed at random, need that data set: make a mask folder of them and use ``MaskFiles``.)
"""
from __future__ import annotations

import numpy as np

from toolbox import BaseMaskGenerator
from toolbox.registry import MASK_GENERATORS

from .checks import check_real


@MASK_GENERATORS.register_module()
class RandomBlocks(BaseMaskGenerator):
    """Rectangles with sides drawn uniformly in ``[min_side, max_side]`` (fractions of
    the image's height and width) at uniform positions, added until the hole covers a
    target fraction drawn uniformly in ``[min_ratio, max_ratio - max_side**2]``.

    Hole ratio: in ``[min_ratio, max_ratio]`` (0.1 to 0.25 by default): a block is
    added only while the cover is under the target, and one block covers at most
    ``max_side**2`` of the image.

    Args:
        min_side, max_side: block side bounds as fractions, ``0 < min <= max``.
        min_ratio, max_ratio: bounds of the covered fraction.
    """

    tiny_cfg = {}

    def __init__(self, min_side: float = 0.0625, max_side: float = 0.25,
                 min_ratio: float = 0.1, max_ratio: float = 0.25) -> None:
        name = type(self).__name__
        self.min_side = check_real(name, 'min_side', min_side, 0.0, 1.0, low_open=True)
        self.max_side = check_real(name, 'max_side', max_side, 0.0, 1.0, low_open=True)
        self.min_ratio = check_real(name, 'min_ratio', min_ratio, 0.0, 1.0, low_open=True)
        self.max_ratio = check_real(name, 'max_ratio', max_ratio, 0.0, 1.0, low_open=True)
        if self.min_side > self.max_side:
            raise ValueError(f'{name}: min_side {min_side} exceeds max_side {max_side}')
        if self.min_ratio > self.max_ratio - self.max_side ** 2:
            raise ValueError(f'{name}: min_ratio must be at most max_ratio - max_side**2 '
                             f'= {self.max_ratio - self.max_side ** 2:g}, got {min_ratio}')
        self.min_shape = (int(np.ceil(1 / self.min_side)),) * 2
        self.hole_ratio_range = (self.min_ratio, self.max_ratio)

    def generate(self, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        h, w = shape
        target = rng.uniform(self.min_ratio, self.max_ratio - self.max_side ** 2)
        mask = np.zeros(shape, np.uint8)
        lo = (max(1, int(self.min_side * h)), max(1, int(self.min_side * w)))
        hi = (max(lo[0], int(self.max_side * h)), max(lo[1], int(self.max_side * w)))
        while mask.mean() < target:
            bh = int(rng.integers(lo[0], hi[0] + 1))
            bw = int(rng.integers(lo[1], hi[1] + 1))
            top, left = int(rng.integers(0, h - bh + 1)), int(rng.integers(0, w - bw + 1))
            mask[top:top + bh, left:left + bw] = 1
        return mask

    def __repr__(self) -> str:
        return (f'RandomBlocks(min_side={self.min_side}, max_side={self.max_side}, '
                f'min_ratio={self.min_ratio}, max_ratio={self.max_ratio})')
