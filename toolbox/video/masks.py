"""The contract of video mask generators: masks with a time axis.

``gen(shape=(T, H, W), rng=numpy.random.Generator) -> numpy uint8 (T, H, W)``, 1 = hole,
deterministic for a given ``rng`` state: the image contract
(:class:`toolbox.bases.BaseMaskGenerator`) with a time axis. Video mask generators register
in ``MASK_GENERATORS`` like the image ones; :func:`toolbox.testing.check_mask_generator`
recognises them by this base class and checks them on ``(T, H, W)``.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from toolbox.bases import BaseMaskGenerator

__all__ = ['BaseVideoMaskGenerator']


class BaseVideoMaskGenerator(BaseMaskGenerator):
    """A video mask recipe. Subclasses implement :meth:`generate` and state the fraction of
    hole pixels over the whole clip in :attr:`hole_ratio_range`. The shape checks, the
    ``rng`` rules and the result's check are the image contract's, on three axes."""

    #: Tells generic code that iterates over MASK_GENERATORS (tools, contract checks) that
    #: this one draws (T, H, W), like ``BaseVideoInpaintor.is_video`` for models.
    is_video: ClassVar[bool] = True
    axes: ClassVar[tuple[str, ...]] = ('T', 'H', 'W')
    #: The smallest (T, H, W) the recipe can draw at.
    min_shape: ClassVar[tuple[int, int, int]] = (1, 1, 1)

    def generate(self, shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError
