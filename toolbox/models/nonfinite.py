"""What a NaN or infinite loss does to training: one policy for every model.

``'raise'`` stops at the first non-finite term; ``'skip'`` drops that update (gradients
zeroed, a warning logged) but stops once ``max_consecutive_skips`` iterations in a row had
one dropped: a run that skips most of its updates would otherwise end "successfully" with
a diverged model.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import torch
from torch import Tensor

__all__ = ['NonFiniteLossError', 'NonFiniteGuard']


class NonFiniteLossError(FloatingPointError):
    """A loss term became NaN or infinite; the message names the iteration and the term."""


class NonFiniteGuard:
    """Checks a step's loss terms; ``owner`` names the model in configuration errors."""

    MODES = ('raise', 'skip')

    def __init__(self, owner: str, mode: str = 'raise', max_consecutive_skips: int = 10) -> None:
        if mode not in self.MODES:
            raise ValueError(f"{owner}: nonfinite must be 'raise' or 'skip', got {mode!r}")
        if int(max_consecutive_skips) < 1:
            raise ValueError(f'{owner}: max_consecutive_skips must be >= 1, got '
                             f'{max_consecutive_skips}')
        self.mode = mode
        self.max_consecutive_skips = int(max_consecutive_skips)
        self._last, self._run = -2, 0   # last iteration with a skipped update, run length

    def __call__(self, terms: Mapping[str, Tensor], optims: Sequence, iteration: int) -> bool:
        """True if every term is finite. Otherwise raises, or (``'skip'``) zeroes the
        gradients of ``optims`` and returns False."""
        bad = [(k, float(v.detach())) for k, v in terms.items() if not torch.isfinite(v).all()]
        if not bad:
            return True
        where = (f'iteration {iteration}: loss term {bad[0][0]} is {bad[0][1]}'
                 + (f' (also {", ".join(k for k, _ in bad[1:])})' if bad[1:] else ''))
        if self.mode == 'raise':
            raise NonFiniteLossError(where + "; training stopped (set model.nonfinite='skip' "
                                     'to skip such updates instead)')
        if iteration != self._last:     # several updates of one iteration count once
            self._run = self._run + 1 if iteration == self._last + 1 else 1
            self._last = iteration
        if self._run >= self.max_consecutive_skips:
            raise NonFiniteLossError(
                f'{where}; training stopped: {self._run} iterations in a row had an update '
                f'skipped (model.max_consecutive_skips={self.max_consecutive_skips})')
        from mmengine.logging import print_log
        print_log(where + '; update skipped', logger='current', level=30)
        for optim in optims:
            optim.zero_grad()
        return False
