"""The contract of video mask generators: masks with a time axis.

``gen(shape=(T, H, W), rng=numpy.random.Generator) -> numpy uint8 (T, H, W)``, 1 = hole,
deterministic for a given ``rng`` state: the image contract
(:class:`toolbox.bases.BaseMaskGenerator`) with a time axis. Video mask generators register
in ``MASK_GENERATORS`` like the image ones; :func:`toolbox.testing.check_mask_generator`
recognises them by this base class and checks them on ``(T, H, W)``.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

__all__ = ['BaseVideoMaskGenerator']


class BaseVideoMaskGenerator:
    """A video mask recipe. Subclasses implement :meth:`generate` and state the fraction of
    hole pixels over the whole clip in :attr:`hole_ratio_range`."""

    #: Tells generic code that iterates over MASK_GENERATORS (tools, contract checks) that
    #: this one draws (T, H, W), like ``BaseVideoInpaintor.is_video`` for models.
    is_video: ClassVar[bool] = True
    hole_ratio_range: ClassVar[tuple[float, float]] = (0.0, 1.0)
    #: The smallest (T, H, W) the recipe can draw at.
    min_shape: ClassVar[tuple[int, int, int]] = (1, 1, 1)
    tiny_cfg: ClassVar[dict[str, Any]] = {}

    def __call__(self, shape: Sequence[int],
                 rng: np.random.Generator | None = None) -> np.ndarray:
        if len(shape) != 3 or any(int(s) != s or s <= 0 for s in shape):
            raise ValueError(f'{type(self).__name__}: shape must be (T, H, W) with positive '
                             f'integers, got {tuple(shape)}')
        shape = tuple(int(s) for s in shape)
        if any(s < m for s, m in zip(shape, self.min_shape)):
            raise ValueError(f'{type(self).__name__}: shape {shape} is smaller than the '
                             f'smallest this mask type supports, {self.min_shape}')
        if rng is None:
            rng = np.random.default_rng()
        elif not isinstance(rng, np.random.Generator):
            raise TypeError(f'{type(self).__name__}: rng must be a numpy.random.Generator, '
                            f'got {type(rng).__name__}')
        masks = self.generate(shape, rng)
        if masks.dtype != np.uint8 or masks.shape != shape:
            raise RuntimeError(f'{type(self).__name__}.generate broke the contract: returned '
                               f'{masks.dtype} {masks.shape}, expected uint8 {shape}')
        return masks

    def generate(self, shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def generate_typed(self, shape: Sequence[int],
                       rng: np.random.Generator | None = None) -> tuple[np.ndarray, str]:
        """The masks and the name of the mask type that drew them, for per-type reports."""
        return self(shape, rng), type(self).__name__

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'
