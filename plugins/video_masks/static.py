"""A static mask repeated over time: any image mask generator's mask on every frame
(a logo, a watermark, a fixed scratch: the "fixed region" setting of video inpainting
benchmarks)."""
from __future__ import annotations

import numpy as np

from toolbox.builder import build_component
from toolbox.registry import MASK_GENERATORS
from toolbox.video import BaseVideoMaskGenerator

__all__ = ['StaticMask']


@MASK_GENERATORS.register_module()
class StaticMask(BaseVideoMaskGenerator):
    """One mask from ``generator`` (an image mask generator's config or instance), the same
    on all T frames.

    Args:
        generator: an image mask generator (``gen((H, W), rng)``), e.g. ``dict(type='RandomBox')``.
    """

    tiny_cfg = dict(generator=dict(type='RandomBox'))

    def __init__(self, generator: dict | object = dict(type='RandomBox')) -> None:  # noqa: B006
        self.generator = build_component(MASK_GENERATORS, generator, 'generator') \
            if isinstance(generator, dict) else generator
        if isinstance(self.generator, BaseVideoMaskGenerator):
            raise TypeError(f'StaticMask: generator must draw image masks (H, W), got the '
                            f'video mask generator {type(self.generator).__name__}')
        self.hole_ratio_range = tuple(getattr(self.generator, 'hole_ratio_range', (0.0, 1.0)))
        h, w = getattr(self.generator, 'min_shape', (1, 1))
        self.min_shape = (1, h, w)

    def generate(self, shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
        t, h, w = shape
        mask = self.generator((h, w), rng)
        return np.ascontiguousarray(np.broadcast_to(mask, (t, h, w)))

    def __repr__(self) -> str:
        return f'StaticMask(generator={self.generator!r})'
