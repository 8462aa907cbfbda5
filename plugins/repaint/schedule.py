"""The DDPM forward process with linearly increasing variances (Ho et al., 2020)."""
from __future__ import annotations

import torch
from torch import Tensor

from toolbox import BaseNoiseSchedule
from toolbox.registry import NOISE_SCHEDULES


@NOISE_SCHEDULES.register_module()
class LinearNoiseSchedule(BaseNoiseSchedule):
    """``beta_t`` rising linearly from ``beta_start`` to ``beta_end`` over ``num_steps``
    training steps: DDPM's schedule (1e-4 to 0.02 over 1000 steps), which the RePaint
    paper's denoisers were trained with.

    Args:
        num_steps: diffusion steps of training.
        beta_start: the first variance.
        beta_end: the last variance.
    """

    tiny_cfg = dict(num_steps=100)

    def __init__(self, num_steps: int = 1000, beta_start: float = 1e-4,
                 beta_end: float = 0.02) -> None:
        if int(num_steps) < 2:
            raise ValueError(f'LinearNoiseSchedule: num_steps must be >= 2, got {num_steps}')
        if not 0 < beta_start <= beta_end < 1:
            raise ValueError('LinearNoiseSchedule: need 0 < beta_start <= beta_end < 1, got '
                             f'{beta_start} and {beta_end}')
        self._betas = torch.linspace(float(beta_start), float(beta_end), int(num_steps),
                                     dtype=torch.float64)

    def betas(self) -> Tensor:
        return self._betas

    def __repr__(self) -> str:
        return (f'LinearNoiseSchedule(num_steps={self.num_steps}, '
                f'beta_start={float(self._betas[0])}, beta_end={float(self._betas[-1])})')
