"""DeepFill v2's free-form brush-stroke masks (drawn by :mod:`toolbox.brush_strokes`).

Paper: J. Yu et al., "Free-Form Image Inpainting with Gated Convolution" (DeepFill v2),
ICCV 2019, Algorithm 1 and its reference code (``brush_stroke_mask``): 1-3 strokes, each a
polyline of 4-11 steps whose directions alternate around a mean angle of 2 pi / 5
(+- up to 2 pi / 15), step lengths ~ N(r, r / 2) clipped to [0, 2 r] with r the image
diagonal / 8, widths 12-39 px (``int(uniform(12, 40))``; MMagic's port draws
``randint(12, 40)``, the same integers), joints rounded by discs; training ORs it with a
random box.

What differs from the reference code: its random horizontal/vertical flips are no-ops
(``mask.transpose(...)`` returns a new image that is dropped); here they really flip, with
probability ``flip_prob`` each (0.5, as its ``normal() > 0``). Its x/y bounds are swapped
for non-square images (``h, w = mask.size``); here vertices stay inside the image. Widths are
uniform integers in ``[min_width, max_width]``, both inclusive; the defaults 12 and 39 are
the reference's range.
"""
from __future__ import annotations

import math

import numpy as np

from toolbox import BaseMaskGenerator
from toolbox.brush_strokes import draw_brush_strokes, sample_brush_strokes
from toolbox.builder import build_component
from toolbox.registry import MASK_GENERATORS

from .checks import check_int, check_int_range, check_prob, check_real


@MASK_GENERATORS.register_module()
class FreeFormBrush(BaseMaskGenerator):
    """DeepFill v2 free-form strokes, optionally OR-ed with another mask (a box).

    Hole ratio: ``(0, 1]``; with the defaults at 256 x 256 typically 0.05-0.45 (see the
    plugin README for measured percentiles).

    Args:
        min_strokes: fewest strokes per mask.
        max_strokes: most strokes per mask.
        min_vertices: fewest steps (segments) per stroke.
        max_vertices: most steps per stroke.
        mean_angle: mean turning direction in radians; odd steps go the other way.
        angle_range: the per-stroke angle interval is ``mean_angle`` -/+ U(0, angle_range).
        min_width: narrowest brush in pixels (at ``reference_size`` if that is set).
        max_width: widest brush in pixels, inclusive (the reference's ``uniform(12, 40)``
            truncated never reaches 40, hence 39).
        reference_size: ``None`` keeps widths in pixels whatever the image size (as the
            reference code); a number scales them by ``short side / reference_size``.
        flip_prob: probability of a horizontal flip and, independently, of a vertical flip.
        box: config of a mask generator whose mask is OR-ed in (DeepFill v2 trains with
            ``dict(type='RandomBox')``); ``None``: strokes only.
        box_prob: probability that ``box`` is OR-ed in, when given.
    """

    tiny_cfg = dict(box=dict(type='RandomBox'), box_prob=0.5)

    def __init__(self,
                 min_strokes: int = 1,
                 max_strokes: int = 3,
                 min_vertices: int = 4,
                 max_vertices: int = 11,
                 mean_angle: float = 2 * math.pi / 5,
                 angle_range: float = 2 * math.pi / 15,
                 min_width: int = 12,
                 max_width: int = 39,
                 reference_size: int | None = None,
                 flip_prob: float = 0.5,
                 box: dict | BaseMaskGenerator | None = None,
                 box_prob: float = 1.0) -> None:
        name = type(self).__name__
        self.min_strokes, self.max_strokes = check_int_range(
            name, ('min_strokes', 'max_strokes'), min_strokes, max_strokes)
        self.min_vertices, self.max_vertices = check_int_range(
            name, ('min_vertices', 'max_vertices'), min_vertices, max_vertices)
        self.mean_angle = check_real(name, 'mean_angle', mean_angle)
        self.angle_range = check_real(name, 'angle_range', angle_range, 0.0)
        self.min_width, self.max_width = check_int_range(
            name, ('min_width', 'max_width'), min_width, max_width)
        self.reference_size = (None if reference_size is None
                               else check_int(name, 'reference_size', reference_size))
        self.flip_prob = check_prob(name, 'flip_prob', flip_prob)
        self.box_prob = check_prob(name, 'box_prob', box_prob)
        self.box = build_component(MASK_GENERATORS, box, 'box')
        if self.box is not None and not isinstance(self.box, BaseMaskGenerator):
            raise ValueError(f'{name}: box must be a mask generator config or instance, '
                             f'got {box!r}')
        self.min_shape = (8, 8)
        if self.box is not None:
            self.min_shape = tuple(max(a, b) for a, b in zip(self.min_shape, self.box.min_shape))
        self.hole_ratio_range = (0.0, 1.0)

    def widths_at(self, short_side: int) -> tuple[int, int]:
        """The brush width range used for images whose short side is ``short_side``."""
        if self.reference_size is None:
            return self.min_width, self.max_width
        k = short_side / self.reference_size
        lo = max(1, round(self.min_width * k))
        return lo, max(lo, round(self.max_width * k))

    def sample_strokes(self, shape: tuple[int, int], rng: np.random.Generator
                       ) -> tuple[list[tuple[np.ndarray, int]], bool, bool]:
        """Draw the strokes: ``([(vertices (k, 2) int32 as (x, y), width), ...],
        flip_horizontal, flip_vertical)``. :meth:`generate` renders exactly these."""
        return sample_brush_strokes(
            shape, rng, strokes=(self.min_strokes, self.max_strokes),
            vertices=(self.min_vertices, self.max_vertices), mean_angle=self.mean_angle,
            angle_range=self.angle_range, widths=self.widths_at(min(shape)),
            flip_prob=self.flip_prob)

    def generate(self, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        mask = draw_brush_strokes(shape, *self.sample_strokes(shape, rng))
        if self.box is not None and rng.random() < self.box_prob:
            mask |= self.box(shape, rng)
        return mask

    def __repr__(self) -> str:
        return (f'FreeFormBrush(strokes={self.min_strokes}-{self.max_strokes}, '
                f'vertices={self.min_vertices}-{self.max_vertices}, '
                f'width={self.min_width}-{self.max_width}, reference_size={self.reference_size}, '
                f'flip_prob={self.flip_prob}, box={self.box!r}, box_prob={self.box_prob})')
