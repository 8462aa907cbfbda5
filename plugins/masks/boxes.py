"""Rectangular holes: the random box of Global&Local / DeepFill v1 training and the centre
square of the "center regular mask" results.

Papers: S. Iizuka et al., "Globally and Locally Consistent Image Completion", SIGGRAPH
2017; J. Yu et al., "Generative Image Inpainting with Contextual Attention" (DeepFill v1),
CVPR 2018, whose ``random_bbox`` + ``bbox2mask`` draw a box of fixed maximal size at a
random place inside a margin and shrink it by a random amount up to ``max_delta / 2`` on
each side; Z. Hui et al., "Image Fine-grained Inpainting" (DMFN), 2020, which reports a
centred 128 x 128 hole on 256 x 256 images ("center regular mask").

Sizes are fractions of the image here instead of pixels: DeepFill's 128 px box with a
32 px delta on 256 px images is ``max_shape=0.5, max_delta=0.125``.
"""
from __future__ import annotations

import math

import numpy as np

from toolbox import BaseMaskGenerator
from toolbox.registry import MASK_GENERATORS

from .checks import check_pair, check_real
from .outpainting import centred_square


@MASK_GENERATORS.register_module()
class RandomBox(BaseMaskGenerator):
    """One box of ``max_shape`` placed uniformly at least ``margin`` from the border, each
    pair of opposite sides pulled in by ``randint(delta // 2 + 1)`` pixels, where
    ``delta = int(max_delta * side)``.

    Hole ratio: at most ``max_shape_h * max_shape_w`` (0.25 by default); at least
    ``(max_shape_h - max_delta_h - 1 / H)(max_shape_w - max_delta_w - 1 / W)`` at the
    smallest shape, ``min_shape`` (0.098 by default; 0.14 in practice at 64 x 64).

    Args:
        max_shape: ``(h, w)`` (or one number for both) of the unshrunk box as fractions
            of the image's height and width, in ``(0, 1]``.
        max_delta: ``(h, w)`` largest total shrink per axis as fractions, smaller than
            ``max_shape``.
        margin: ``(h, w)`` distance of the unshrunk box from the border as fractions;
            ``2 * margin + max_shape`` must fit into 1.
    """

    tiny_cfg = {}

    def __init__(self,
                 max_shape: float | tuple[float, float] = 0.5,
                 max_delta: float | tuple[float, float] = 0.125,
                 margin: float | tuple[float, float] = 0.0) -> None:
        name = type(self).__name__
        self.max_shape = check_pair(name, 'max_shape', max_shape, 0.0, 1.0, low_open=True)
        self.max_delta = check_pair(name, 'max_delta', max_delta, 0.0, 1.0)
        self.margin = check_pair(name, 'margin', margin, 0.0, 0.5)
        for axis in (0, 1):
            if self.max_delta[axis] >= self.max_shape[axis]:
                raise ValueError(f'{name}: max_delta {max_delta!r} must be smaller than '
                                 f'max_shape {max_shape!r}')
            if 2 * self.margin[axis] + self.max_shape[axis] > 1 + 1e-9:
                raise ValueError(f'{name}: 2 * margin + max_shape must not exceed 1, got '
                                 f'margin={margin!r}, max_shape={max_shape!r}')
        self.min_shape = tuple(max(16, math.ceil(1 / s)) for s in self.max_shape)
        lo = 1.0
        for axis in (0, 1):
            lo *= max(0.0, self.max_shape[axis] - self.max_delta[axis] - 1 / self.min_shape[axis])
        self.hole_ratio_range = (lo, self.max_shape[0] * self.max_shape[1])

    def generate(self, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        starts, ends = [], []
        for axis, length in enumerate(shape):
            side = max(1, int(self.max_shape[axis] * length + 1e-9))
            margin = min(int(self.margin[axis] * length + 1e-9), (length - side) // 2)
            delta = int(self.max_delta[axis] * length + 1e-9)
            start = int(rng.integers(margin, length - margin - side + 1))
            shrink = min(int(rng.integers(delta // 2 + 1)), (side - 1) // 2)
            starts.append(start + shrink)
            ends.append(start + side - shrink)
        mask = np.zeros(shape, np.uint8)
        mask[starts[0]:ends[0], starts[1]:ends[1]] = 1
        return mask

    def __repr__(self) -> str:
        return (f'RandomBox(max_shape={self.max_shape}, max_delta={self.max_delta}, '
                f'margin={self.margin})')


@MASK_GENERATORS.register_module()
class CenterSquare(BaseMaskGenerator):
    """The centred square of side ``int(size * short side)`` is the hole (DMFN's "center
    regular mask": 128 x 128 on 256 x 256 images is ``size=0.5``).

    Hole ratio: ``size**2`` on square images whose side times ``size`` is whole (0.25 at
    64, 256, 512 by default); less on other shapes (``size**2 * short / long`` for
    non-square images). The contract's constant-mask rule wants ``lo == hi`` here, so the
    documented range is the square-image value.

    Args:
        size: side of the hole as a fraction of the short side, in ``(0, 1]``.
    """

    tiny_cfg = {}

    def __init__(self, size: float = 0.5) -> None:
        self.size = check_real(type(self).__name__, 'size', size, 0.0, 1.0, low_open=True)
        side = math.ceil(1 / self.size - 1e-9)
        self.min_shape = (side, side)
        self.hole_ratio_range = (self.size ** 2, self.size ** 2)

    def generate(self, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        top, left, side = centred_square(shape, self.size)
        mask = np.zeros(shape, np.uint8)
        mask[top:top + side, left:left + side] = 1
        return mask

    def __repr__(self) -> str:
        return f'CenterSquare(size={self.size})'
