"""Progressive multi-scale inpainting, after "Image Multi-Inpainting via Progressive
Generative Adversarial Networks" (Cai et al., NTIRE 2022 inpainting challenge, 3rd place).

Stage ``k`` inpaints at scale ``s_k`` of the image. Its input is stage ``k-1``'s composited
result upsampled to ``s_k`` and pasted into the known pixels of the input resized to
``s_k`` (stage 1 sees the downscaled input with its holes zeroed), together with the mask at
``s_k``. Stages train one after another; while stage ``k`` trains, the earlier stages are
frozen (no gradients, eval mode). At inference all stages run in sequence, or up to a
chosen stage.

What differs from the paper (which gives no code): the mask at a lower scale marks a pixel
as a hole when any part of it was a hole (area downsampling then ``> 0``), so no hole
pixel leaks into the known region; images are resized with antialiased bilinear
interpolation. Each stage has its own discriminator by default.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from toolbox.bases import BaseProgressiveScheduler, check_image_and_mask
from toolbox.builder import build_component, config_path
from toolbox.registry import DISCRIMINATORS, GENERATORS, MODELS, PROGRESSIVE_SCHEDULERS

from .inpaintor import GANInpaintor, _bare, composite


def resize_image(image: Tensor, size: Sequence[int]) -> Tensor:
    """[B, C, H, W] -> [B, C, h, w], antialiased when shrinking."""
    if tuple(image.shape[2:]) == tuple(size):
        return image
    shrink = size[0] < image.shape[2] or size[1] < image.shape[3]
    return F.interpolate(image, size=tuple(size), mode='bilinear', align_corners=False,
                         antialias=shrink)


def resize_mask(mask: Tensor, size: Sequence[int]) -> Tensor:
    """[B, 1, H, W] hole mask at another size; a pixel is a hole if any of it was."""
    if tuple(mask.shape[2:]) == tuple(size):
        return mask
    if size[0] <= mask.shape[2] and size[1] <= mask.shape[3]:
        return (F.adaptive_avg_pool2d(mask, tuple(size)) > 0).to(mask.dtype)
    return F.interpolate(mask, size=tuple(size), mode='nearest')


@MODELS.register_module()
class ProgressiveInpaintor(GANInpaintor):
    """A stack of generators trained scale by scale.

    Args:
        generator: config of one stage's generator; every stage gets its own copy
            (``share_weights=True``: one generator used at every scale).
        scheduler: config of a ``PROGRESSIVE_SCHEDULERS`` entry; it fixes the number of
            stages, their scales and when each trains.
        discriminator: config of one stage's discriminator, one copy per stage
            (``share_discriminator=True``: one for all scales); ``None`` trains without GAN.
        losses: as for :class:`GANInpaintor`; applied to the current stage's outputs
            against the ground truth resized to that stage.
        share_weights: one generator for all stages.
        share_discriminator: one discriminator for all stages.
        test_stage: the last stage run by ``val_step``/``test_step`` outside training
            (``None``: all stages).
        disc_steps, disc_input, nonfinite, max_consecutive_skips, data_preprocessor,
        init_cfg: as for
            :class:`GANInpaintor`.
    """

    def __init__(self,
                 generator: dict,
                 scheduler: dict,
                 discriminator: dict | None = None,
                 losses: Sequence[dict] = (),
                 share_weights: bool = False,
                 share_discriminator: bool = False,
                 test_stage: int | None = None,
                 disc_steps: int = 1,
                 disc_input: str = 'composite',
                 nonfinite: str = 'raise',
                 data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None,
                 max_consecutive_skips: int = 10) -> None:
        sched = build_component(PROGRESSIVE_SCHEDULERS, scheduler, 'scheduler')
        if not isinstance(sched, BaseProgressiveScheduler):
            raise TypeError(f'scheduler: {type(sched).__name__} is not a progressive scheduler')
        n = sched.num_stages
        with config_path('generator'):
            gens = [GENERATORS.build(generator) for _ in range(1 if share_weights else n)]
        discs = None
        if discriminator is not None:
            with config_path('discriminator'):
                discs = [DISCRIMINATORS.build(discriminator)
                         for _ in range(1 if share_discriminator else n)]
        super().__init__(generator=gens[0], discriminator=discs[0] if discs else None,
                         losses=losses, disc_steps=disc_steps, disc_input=disc_input,
                         nonfinite=nonfinite, max_consecutive_skips=max_consecutive_skips,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        # Replace the single modules by per-stage lists; the optimizer constructor sees
        # `generator` and `discriminator` as before, covering every stage.
        self.generator = nn.ModuleList(gens)
        self.discriminator = nn.ModuleList(discs) if discs else None
        self.scheduler = sched
        if test_stage is not None and not 0 <= test_stage < n:
            raise ValueError(f'test_stage must be in [0, {n - 1}], got {test_stage}')
        self.test_stage = n - 1 if test_stage is None else test_stage
        self.multiple = max(_bare(g).size_multiple for g in gens)
        #: the stage being trained; set by ProgressiveStageHook (set_stage)
        self.current_stage = 0
        self._training_run = False

    @property
    def size_multiple(self) -> int:
        return self.multiple

    @property
    def max_inference_side(self) -> int | None:
        sides = [getattr(_bare(g), 'max_inference_side', None) for g in self.generator]
        return None if None in sides else min(sides)

    @property
    def num_stages(self) -> int:
        return self.scheduler.num_stages

    def stage_generator(self, stage: int) -> nn.Module:
        return self.generator[0 if len(self.generator) == 1 else stage]

    def stage_discriminator(self, stage: int) -> nn.Module | None:
        if self.discriminator is None:
            return None
        return self.discriminator[0 if len(self.discriminator) == 1 else stage]

    @property
    def active_discriminator(self) -> nn.Module | None:
        return self.stage_discriminator(self.current_stage)

    # -- stages ------------------------------------------------------------------------------
    def set_stage(self, stage: int) -> None:
        """Train ``stage``: freeze every earlier stage (no gradients, eval mode)."""
        if not 0 <= stage < self.num_stages:
            raise ValueError(f'stage must be in [0, {self.num_stages - 1}], got {stage}')
        self.current_stage = stage
        self._training_run = True
        shared = len(self.generator) == 1
        for k, gen in enumerate(self.generator):
            trainable = shared or k >= stage
            gen.requires_grad_(trainable)
            gen.train(self.training and trainable)

    def frozen_stages(self) -> list[int]:
        return [] if len(self.generator) == 1 else list(range(self.current_stage))

    def train(self, mode: bool = True):
        super().train(mode)
        for k in self.frozen_stages():
            self.generator[k].eval()   # frozen stages stay in eval mode (batch norm, dropout)
        return self

    def stage_sizes(self, full_size: Sequence[int]) -> list[tuple[int, int]]:
        return [self.scheduler.stage_size(k, full_size) for k in range(self.num_stages)]

    # -- running the stages ------------------------------------------------------------------
    @property
    def guidance_keys(self) -> tuple[str, ...]:
        return tuple(_bare(self.stage_generator(0)).guidance)

    def _stage_batch(self, batch: dict, size: Sequence[int]) -> dict:
        out = dict(batch)
        out['gt'] = resize_image(batch['gt'], size)
        out['mask'] = resize_mask(batch['mask'], size)
        for key in self.guidance_keys:
            if key in batch:
                out[key] = resize_image(batch[key], size)
        return out

    def run_stages(self, batch: dict, last: int, grad_stage: int | None = None):
        """Run stages ``0..last``; returns (outputs of ``last``, its stage batch).

        Only ``grad_stage`` (if given) records gradients; earlier stages run under
        ``no_grad``.
        """
        check_image_and_mask(batch['gt'], batch['mask'], where=type(self).__name__)
        full = batch['gt'].shape[2:]
        for size in self.stage_sizes(full)[:last + 1]:
            if size[0] % self.multiple or size[1] % self.multiple:
                raise ValueError(f'stage size {size} of input {tuple(full)} is not a multiple '
                                 f'of {self.multiple}; choose a scheduler size_multiple that is')
        previous = None
        for k, size in enumerate(self.stage_sizes(full)[:last + 1]):
            sb = self._stage_batch(batch, size)
            gt, mask = sb['gt'], sb['mask']
            if previous is None:
                filled = gt * (1 - mask)
            else:
                filled = composite(resize_image(previous, size), gt, mask)
            gen = self.stage_generator(k)
            guidance = {g: sb[g] for g in _bare(gen).guidance if g in sb}
            with torch.set_grad_enabled(torch.is_grad_enabled() and k == grad_stage):
                outputs = gen(filled, mask, **guidance)
            previous = composite(outputs['output'], gt, mask)
        return outputs, sb

    def training_outputs(self, batch: dict):
        if not self._training_run:
            raise RuntimeError('ProgressiveInpaintor: no stage set; train with '
                               "custom_hooks=[dict(type='ProgressiveStageHook')] or call "
                               'set_stage() first')
        return self.run_stages(batch, self.current_stage, grad_stage=self.current_stage)

    def run_generator(self, batch: dict, stage: int | None = None) -> dict[str, Tensor]:
        """Stages up to ``stage`` (default: the inference stage, or the one in training);
        the composited result is upsampled to the input size."""
        if stage is None:
            stage = self.current_stage if self._training_run else self.test_stage
        outputs, sb = self.run_stages(batch, stage)
        out = composite(outputs['output'], sb['gt'], sb['mask'])
        return {'output': resize_image(out, batch['gt'].shape[2:])}

    def inpaint(self, image: Tensor, mask: Tensor, stage: int | None = None,
                **guidance: Tensor) -> Tensor:
        """Composited result at the input size, running stages up to ``stage``
        (default: all stages, or the trained ones during training)."""
        out = self.run_generator(dict(gt=image, mask=mask, **guidance), stage)['output']
        return composite(out, image, mask)
