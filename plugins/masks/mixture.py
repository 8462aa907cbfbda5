"""A weighted mixture of registered mask generators.

Paper: J. Cai et al., "Image Multi-Inpainting via Progressive Generative Adversarial
Networks", CVPR Workshops (NTIRE) 2022, trains one model on all seven mask types of the
NTIRE 2022 challenge; the default mixture is those seven with equal weights (the paper
does not state its weights).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from toolbox import BaseMaskGenerator
from toolbox.builder import build_component
from toolbox.registry import MASK_GENERATORS

from .checks import check_real

#: The seven mask types of the paper (and of ``make_mask_set.py --type all``).
PAPER_MASK_TYPES = ('ThickStrokes', 'MediumStrokes', 'ThinStrokes', 'EveryNLines',
                    'NearestNeighbor', 'Completion', 'Expand')


@MASK_GENERATORS.register_module()
class Mixture(BaseMaskGenerator):
    """Each mask comes from one child generator, chosen with probability proportional to
    its weight.

    Hole ratio: from the smallest child lower bound to the largest child upper bound
    (``[0, 1]`` for the default seven types); ``min_shape`` is the largest child's.

    Args:
        generators: configs (``dict(type=..., ...)``) or instances of registered mask
            generators; ``None``: the paper's seven types, :data:`PAPER_MASK_TYPES`.
        weights: one non-negative weight per generator, not all zero; ``None``: equal.
    """

    #: The paper's seven types, drawn when no ``generators`` are given; the engine's
    #: ``make-mask-set --type all`` reads them here, through the registry.
    default_types = PAPER_MASK_TYPES
    tiny_cfg = dict(generators=[dict(type='EveryNLines'), dict(type='Completion')],
                    weights=[1, 3])

    def __init__(self,
                 generators: Sequence[dict | BaseMaskGenerator] | None = None,
                 weights: Sequence[float] | None = None) -> None:
        name = type(self).__name__
        if generators is None:
            generators = [dict(type=t) for t in PAPER_MASK_TYPES]
        if isinstance(generators, (str, dict)) or not isinstance(generators, Sequence) \
                or not generators:
            raise ValueError(f'{name}: generators must be a non-empty list of mask '
                             f'generator configs, got {generators!r}')
        self.generators = []
        for i, cfg in enumerate(generators):
            gen = build_component(MASK_GENERATORS, cfg, f'generators[{i}]')
            if not isinstance(gen, BaseMaskGenerator):
                raise ValueError(f'{name}: generators[{i}] must be a mask generator config '
                                 f'or instance, got {cfg!r}')
            self.generators.append(gen)
        if weights is None:
            weights = [1.0] * len(self.generators)
        if isinstance(weights, str) or not isinstance(weights, Sequence) \
                or len(weights) != len(self.generators):
            raise ValueError(f'{name}: weights must be a list of {len(self.generators)} '
                             f'numbers, one per generator, got {weights!r}')
        self.weights = [check_real(name, f'weights[{i}]', w, 0.0) for i, w in enumerate(weights)]
        total = sum(self.weights)
        if total <= 0:
            raise ValueError(f'{name}: weights must not all be zero, got {weights!r}')
        self._cumulative = np.cumsum(self.weights) / total
        self.min_shape = tuple(max(g.min_shape[a] for g in self.generators) for a in (0, 1))
        used = [g for g, w in zip(self.generators, self.weights) if w > 0]
        self.hole_ratio_range = (min(g.hole_ratio_range[0] for g in used),
                                 max(g.hole_ratio_range[1] for g in used))

    def choose(self, rng: np.random.Generator) -> int:
        """Index of the child that draws the next mask."""
        i = int(np.searchsorted(self._cumulative, rng.random(), side='right'))
        # Rounding can leave the last cumulative weight a hair under 1.
        i = min(i, len(self.generators) - 1)
        while self.weights[i] == 0:  # never land on a zero-weight child at a boundary
            i -= 1
        return i

    def generate(self, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        return self.generators[self.choose(rng)](shape, rng)

    def generate_typed(self, shape, rng=None) -> tuple[np.ndarray, str]:
        # Same draws as __call__, so a seed gives the same mask either way.
        if rng is None:
            rng = np.random.default_rng()
        return self.generators[self.choose(rng)].generate_typed(shape, rng)

    def __repr__(self) -> str:
        return f'Mixture(generators={self.generators!r}, weights={self.weights})'
