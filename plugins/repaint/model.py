"""The diffusion inpaintor: a denoiser trained on whole (unmasked) images, which a sampler
turns into an inpainter at test time (the RePaint recipe: no mask is seen in training).

Training (Ho et al., 2020): for each image ``x_0`` a timestep ``t`` is drawn uniformly from
the noise schedule's training steps and noise ``eps``; the denoiser learns to predict
``eps`` from ``x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps`` (mean squared error).
Inpainting runs the configured sampler (``RePaintSampler``) with the known pixels.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from toolbox.bases import BaseDenoiser, BaseNoiseSchedule, BaseSampler, check_image_and_mask
from toolbox.builder import build_component
from toolbox.models import BaseInpaintor, composite
from toolbox.models.distributed import unwrap
from toolbox.registry import DENOISERS, MODELS, NOISE_SCHEDULES, SAMPLERS


@MODELS.register_module()
class DiffusionInpaintor(BaseInpaintor):
    """A DDPM denoiser with a noise schedule and an inpainting sampler.

    Args:
        denoiser: config of a ``DENOISERS`` entry (e.g. ``DiffusionUNet``).
        noise_schedule: config of a ``NOISE_SCHEDULES`` entry (training steps and betas).
        sampler: config of a ``SAMPLERS`` entry, run by :meth:`inpaint`.
        image_size: the side of the square images the denoiser is trained on; inference
            runs at this size (``fixed_size``; ``toolbox.apis.inpaint`` resizes to it and
            back). ``None``: any size that is a multiple of the denoiser's.
        data_preprocessor, init_cfg: as for every inpaintor.

    ``inpaint(image, mask, seed=..., steps=...)``: ``seed`` fixes all the sampler's noise
    (the default draws one from torch's global generator), ``steps`` and the sampler's own
    options override its configuration for the call.
    """

    stochastic = True
    tiny_cfg = dict(denoiser=dict(type='DiffusionUNet', **{
                        'base_channels': 8, 'channel_mults': (1, 2), 'num_res_blocks': 1,
                        'attention_levels': (1,), 'num_heads': 2, 'num_groups': 4}),
                    noise_schedule=dict(type='LinearNoiseSchedule', num_steps=100),
                    sampler=dict(type='RePaintSampler', t_T=8, jump_length=2, jump_n_sample=2),
                    image_size=16)

    def __init__(self,
                 denoiser: dict,
                 noise_schedule: dict | None = None,
                 sampler: dict | None = None,
                 image_size: int | None = None,
                 data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.denoiser = build_component(DENOISERS, denoiser, 'denoiser')
        self.noise_schedule = build_component(
            NOISE_SCHEDULES, noise_schedule or dict(type='LinearNoiseSchedule'), 'noise_schedule')
        self.sampler = build_component(SAMPLERS, sampler or dict(type='RePaintSampler'),
                                       'sampler')
        for value, base, key in ((self.denoiser, BaseDenoiser, 'denoiser'),
                                 (self.noise_schedule, BaseNoiseSchedule, 'noise_schedule'),
                                 (self.sampler, BaseSampler, 'sampler')):
            if not isinstance(unwrap(value), base):
                raise TypeError(f'{key}: {type(value).__name__} is not a {base.__name__}')
        self.image_size = None if image_size is None else int(image_size)
        if self.image_size is not None and self.image_size % self.size_multiple:
            raise ValueError(f'DiffusionInpaintor: image_size {image_size} is not a multiple '
                             f'of the denoiser\'s {self.size_multiple}')
        self.register_buffer('alphas_cumprod',
                             self.noise_schedule.alphas_cumprod().float(), persistent=False)

    # -- the contract ----------------------------------------------------------------------
    @property
    def sample_options(self) -> tuple[str, ...]:       # type: ignore[override]
        return ('seed', *self.sampler.sample_options)

    @property
    def size_multiple(self) -> int:
        return unwrap(self.denoiser).size_multiple

    @property
    def fixed_size(self) -> tuple[int, int] | None:
        return None if self.image_size is None else (self.image_size, self.image_size)

    def _denoise(self, x_t: Tensor, t: Tensor) -> Tensor:
        return self.denoiser(x_t, t)

    def inpaint(self, image: Tensor, mask: Tensor, **options: Any) -> Tensor:
        _, sampler_options = self.split_options(options)
        check_image_and_mask(image, mask, where='DiffusionInpaintor',
                             multiple=self.size_multiple)
        seed = sampler_options.pop('seed', None)
        if seed is None:
            seed = int(torch.randint(0, 2 ** 62, ()))
        generator = torch.Generator(device=image.device).manual_seed(int(seed))
        with torch.no_grad():
            return self.sampler.sample(self._denoise, image, mask, self.noise_schedule,
                                       generator, **sampler_options)

    # -- training --------------------------------------------------------------------------
    def noise_prediction_loss(self, x0: Tensor, t: Tensor | None = None,
                              noise: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """The denoiser's mean squared error on the noise of ``x0`` ``[B, C, H, W]``
        diffused to timesteps ``t`` ``[B]`` (default: uniformly random) with ``noise``
        (default: drawn), and the one-step estimate of ``x0`` it implies."""
        b = x0.shape[0]
        if t is None:
            t = torch.randint(0, self.noise_schedule.num_steps, (b,), device=x0.device)
        if noise is None:
            noise = torch.randn_like(x0)
        abar = self.alphas_cumprod.to(x0.device)[t].view(b, 1, 1, 1)
        x_t = abar.sqrt() * x0 + (1 - abar).sqrt() * noise
        eps = self.denoiser(x_t, t)
        return F.mse_loss(eps, noise), (x_t - (1 - abar).sqrt() * eps) / abar.sqrt()

    def train_step(self, data, optim_wrapper) -> dict[str, float]:
        batch = self.data_preprocessor(data, True)
        gt, mask = batch['gt'], batch['mask']     # the mask is not used: trained unmasked
        with optim_wrapper.optim_context(self):
            loss, x0_hat = self.noise_prediction_loss(gt)
        if not torch.isfinite(loss):
            raise FloatingPointError(f'DiffusionInpaintor: the noise-prediction loss is '
                                     f'{float(loss)}')
        optim_wrapper.update_params(loss)
        # shown: the one-step estimate of x_0 pasted into the holes
        self.last_train_vis = dict(
            gt=gt[:4].detach().cpu(), mask=mask[:4].detach().cpu(),
            output=composite(x0_hat.clamp(-1, 1), gt, mask)[:4].detach().cpu())
        return {'loss': float(loss.detach())}
