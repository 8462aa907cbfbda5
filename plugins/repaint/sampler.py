"""The RePaint sampler (Lugmayr et al., "RePaint: Inpainting using Denoising Diffusion
Probabilistic Models", CVPR 2022).

Reverse diffusion from pure noise over ``t_T`` (respaced) steps. Before every reverse step
the known region of ``x_t`` is replaced by the known pixels noised to the same level,
``sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps``; the unknown region comes from the denoiser's
reverse step. To harmonise the two, the sampler repeatedly jumps back: at every
``jump_length``-th step it noises the current image ``jump_length`` steps forward again
(``x_{t+1} = sqrt(1 - beta_{t+1}) x_t + sqrt(beta_{t+1}) eps``) and denoises back, so each
of those stretches is traversed ``jump_n_sample`` times. The result keeps the known pixels
exactly (a final paste-back).

What differs from the official code (andreas128/RePaint): the known region is injected
before every reverse step, including the first (the official code skips the first, when it
has no x_0 estimate yet); the reverse steps use the fixed posterior variance (the paper's
guided-diffusion models learn it); only the schedule the paper uses (one level of jumps)
is implemented.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from toolbox import BaseNoiseSchedule, BaseSampler
from toolbox.registry import SAMPLERS


def jump_schedule(t_T: int, jump_length: int, jump_n_sample: int) -> list[int]:
    """The diffusion indices the sampler visits, from ``t_T - 1`` (the first denoiser
    input, pure noise) down to ``-1`` (the clean image).

    A step to a lower index is a reverse (denoiser) step, a step to a higher one a forward
    jump. Every index ``j = 0, L, 2L, ...`` below ``t_T - L`` (``L = jump_length``) is a
    jump point: reached from above, the sampler goes ``L`` steps up and back down to ``j``
    ``jump_n_sample - 1`` times before it continues.
    """
    _check(t_T, jump_length, jump_n_sample)
    points = set(range(0, t_T - jump_length, jump_length)) if jump_n_sample > 1 else set()
    times = []
    for t in range(t_T - 1, -1, -1):
        times.append(t)
        if t in points:
            for _ in range(jump_n_sample - 1):
                times.extend(range(t + 1, t + jump_length + 1))         # noise again
                times.extend(range(t + jump_length - 1, t - 1, -1))     # and denoise back
    times.append(-1)
    return times


def num_denoiser_calls(t_T: int, jump_length: int, jump_n_sample: int) -> int:
    """Reverse steps of :func:`jump_schedule` in closed form: the ``t_T`` plain steps plus
    ``jump_n_sample - 1`` returns of ``jump_length`` steps at each of the
    ``ceil((t_T - jump_length) / jump_length)`` jump points."""
    _check(t_T, jump_length, jump_n_sample)
    points = len(range(0, t_T - jump_length, jump_length))
    return t_T + (jump_n_sample - 1) * jump_length * points


def _check(t_T: int, jump_length: int, jump_n_sample: int) -> None:
    for name, value in (('t_T', t_T), ('jump_length', jump_length),
                        ('jump_n_sample', jump_n_sample)):
        if int(value) != value or value < 1:
            raise ValueError(f'RePaintSampler: {name} must be a positive integer, got {value!r}')


@SAMPLERS.register_module()
class RePaintSampler(BaseSampler):
    """RePaint's resampling sampler.

    Args:
        t_T: reverse steps without jumps; the noise schedule is respaced to this many steps
            (the paper: 250 of the 1000 training steps).
        jump_length: steps of each forward jump (the paper: 10).
        jump_n_sample: how often each jumped stretch is traversed (the paper: 10; 1 gives
            plain reverse diffusion with the known region injected).
        clip_denoised: clip the denoiser's x_0 estimate to [-1, 1] in each step.

    ``sample(..., steps=N)`` overrides ``t_T`` for one call (``--steps`` of
    ``tools/inpaint.py``).
    """

    sample_options = ('steps',)
    tiny_cfg = dict(t_T=10, jump_length=2, jump_n_sample=2)

    def __init__(self, t_T: int = 250, jump_length: int = 10, jump_n_sample: int = 10,
                 clip_denoised: bool = True) -> None:
        _check(t_T, jump_length, jump_n_sample)
        self.t_T, self.jump_length, self.jump_n_sample = int(t_T), int(jump_length), int(jump_n_sample)
        self.clip_denoised = bool(clip_denoised)

    def times(self, steps: int | None = None) -> list[int]:
        return jump_schedule(steps or self.t_T, self.jump_length, self.jump_n_sample)

    def num_denoiser_calls(self, steps: int | None = None) -> int:
        return num_denoiser_calls(steps or self.t_T, self.jump_length, self.jump_n_sample)

    @torch.no_grad()
    def sample(self, denoise: Callable[[Tensor, Tensor], Tensor], image: Tensor, mask: Tensor,
               schedule: BaseNoiseSchedule, generator: torch.Generator,
               steps: int | None = None) -> Tensor:
        t_T = int(steps or self.t_T)
        if t_T > schedule.num_steps:
            raise ValueError(f'RePaintSampler: t_T={t_T} exceeds the {schedule.num_steps} '
                             'steps of the noise schedule')
        timesteps, betas = schedule.respace(t_T)             # float64 [t_T]
        alphas = 1 - betas
        abar = torch.cumprod(alphas, 0)
        abar_prev = torch.cat([abar.new_ones(1), abar[:-1]])
        # q(x_{t-1} | x_t, x_0): mean = c0 * x_0 + ct * x_t, variance var
        c0 = betas * abar_prev.sqrt() / (1 - abar)
        ct = (1 - abar_prev) * alphas.sqrt() / (1 - abar)
        var = betas * (1 - abar_prev) / (1 - abar)
        f = lambda v, t: float(v[t])                          # noqa: E731
        timesteps = timesteps.to(image.device)

        def noise() -> Tensor:
            return torch.randn(image.shape, generator=generator, device=image.device,
                               dtype=image.dtype)

        known = 1 - mask                                      # [B, 1, H, W]
        x = noise()                                           # x at index t_T - 1
        times = self.times(t_T)
        for t, t_next in zip(times[:-1], times[1:]):
            if t_next < t:                                    # reverse step at index t
                x = known * (f(abar, t) ** 0.5 * image + f(1 - abar, t) ** 0.5 * noise()) \
                    + mask * x
                eps = denoise(x, timesteps[t].expand(image.shape[0]))
                x0 = (x - f(1 - abar, t) ** 0.5 * eps) / f(abar, t) ** 0.5
                if self.clip_denoised:
                    x0 = x0.clamp(-1, 1)
                x = f(c0, t) * x0 + f(ct, t) * x
                if t > 0:
                    x = x + f(var, t) ** 0.5 * noise()
            else:                                             # forward jump to t + 1
                x = f(alphas, t_next) ** 0.5 * x + f(betas, t_next) ** 0.5 * noise()
        return image * known + x * mask                       # known pixels exactly

    def __repr__(self) -> str:
        return (f'RePaintSampler(t_T={self.t_T}, jump_length={self.jump_length}, '
                f'jump_n_sample={self.jump_n_sample})')
