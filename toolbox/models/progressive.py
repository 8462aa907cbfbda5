"""Progressive multi-scale inpainting, after "Image Multi-Inpainting via Progressive
Generative Adversarial Networks" (Cai et al., NTIRE 2022 inpainting challenge, 3rd place).

Stage ``k`` inpaints at scale ``s_k`` of the image. Its input is stage ``k-1``'s composited
result upsampled to ``s_k`` and pasted into the known pixels of the input resized to
``s_k`` (stage 1 sees the downscaled input with its holes zeroed), together with the mask at
``s_k``. Stages train one after another; while stage ``k`` trains, the earlier stages are
frozen (no gradients, eval mode). At inference all stages run in sequence, or up to a
chosen stage. The stage in training follows from the number of training steps taken
(the ``train_steps`` buffer, saved in checkpoints) and the stage scheduler, so a resumed run
continues in the right stage with no hook involved.

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

from toolbox.bases import BaseStageScheduler, check_image_and_mask
from toolbox.builder import build_component, config_path
from toolbox.registry import DISCRIMINATORS, GENERATORS, MODELS, STAGE_SCHEDULERS

from .base import BaseInpaintor
from .distributed import unwrap
from .inpaintor import GANTraining, composite


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
class ProgressiveInpaintor(GANTraining, BaseInpaintor):
    """A stack of generators trained scale by scale.

    The model is composed of its stages: ``generator`` and ``discriminator`` are
    ``ModuleList`` s with one entry per stage (one entry when shared), and each training
    step is the GAN step of :class:`~toolbox.models.inpaintor.GANTraining` on the current
    stage's generator and discriminator.

    Args:
        generator: config of one stage's generator; every stage gets its own copy
            (``share_weights=True``: one generator used at every scale).
        scheduler: config of a ``STAGE_SCHEDULERS`` entry; it fixes the number of
            stages, their scales and when each trains.
        discriminator: config of one stage's discriminator, one copy per stage
            (``share_discriminator=True``: one for all scales); ``None`` trains without GAN.
        losses: as for :class:`GANInpaintor`; applied to the current stage's outputs
            against the ground truth resized to that stage.
        share_weights: one generator for all stages.
        share_discriminator: one discriminator for all stages.
        test_stage: the last stage run by ``inpaint``, ``val_step`` and ``test_step``
            (``None``: all stages). A model in the middle of its schedule runs only the
            stages trained so far.
        warm_start: at the first training step of stage ``k``, copy stage ``k-1``'s
            generator (and discriminator) weights into it, so it starts from a network that
            already inpaints at the scale below (the networks are fully convolutional). The
            step count decides, so a run resumed mid-stage keeps its checkpointed weights.
            The paper does not say; off by default.
        disc_steps, disc_input, nonfinite, max_consecutive_skips, data_preprocessor,
        init_cfg: as for
            :class:`GANInpaintor`.
    """

    optim_modules = ('generator', 'discriminator')
    tiny_cfg = dict(
        generator=dict(type='EncoderDecoderGenerator', base_channels=4, num_downsamples=2),
        scheduler=dict(type='StageScheduler', scales=(0.5, 1.0), stage_iters=(1, 1),
                       size_multiple=4),
        discriminator=dict(type='PatchDiscriminator', base_channels=4, num_layers=1),
        losses=[dict(type='L1Loss'), dict(type='HingeGANLoss', loss_weight=0.1)])

    def __init__(self,
                 generator: dict,
                 scheduler: dict,
                 discriminator: dict | None = None,
                 losses: Sequence[dict] = (),
                 share_weights: bool = False,
                 share_discriminator: bool = False,
                 test_stage: int | None = None,
                 warm_start: bool = False,
                 disc_steps: int = 1,
                 disc_input: str = 'composite',
                 nonfinite: str = 'raise',
                 data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None,
                 max_consecutive_skips: int = 10) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        sched = build_component(STAGE_SCHEDULERS, scheduler, 'scheduler')
        if not isinstance(sched, BaseStageScheduler):
            raise TypeError(f'scheduler: {type(sched).__name__} is not a stage scheduler')
        self.scheduler = sched
        n = sched.num_stages
        with config_path('generator'):
            gens = [GENERATORS.build(generator) for _ in range(1 if share_weights else n)]
        if n > 1 and not gens[0].uses_estimate:
            raise ValueError(f'ProgressiveInpaintor: {type(gens[0]).__name__} reads only '
                             'the known pixels (uses_estimate = False), so its later stages '
                             'could not build on the earlier ones; use a generator that reads '
                             'the estimate in the holes')
        if n > 1 and getattr(gens[0], 'fixed_size', None) is not None:
            raise ValueError(f'ProgressiveInpaintor: {type(gens[0]).__name__} runs at one '
                             f'size only (fixed_size={gens[0].fixed_size}), so it cannot '
                             'work at each stage\'s size; use a fully convolutional generator')
        self.generator = nn.ModuleList(gens)
        self.discriminator = None
        if discriminator is not None:
            with config_path('discriminator'):
                self.discriminator = nn.ModuleList(
                    DISCRIMINATORS.build(discriminator)
                    for _ in range(1 if share_discriminator else n))
        self._init_gan(self.discriminator is not None, losses, disc_steps, disc_input,
                       nonfinite, max_consecutive_skips)
        if test_stage is not None and not 0 <= test_stage < n:
            raise ValueError(f'test_stage must be in [0, {n - 1}], got {test_stage}')
        self.test_stage = n - 1 if test_stage is None else test_stage
        self.warm_start = bool(warm_start)
        self.multiple = max(g.size_multiple for g in gens)
        self._frozen_for: int | None = None    # the stage the requires_grad flags are set for

    @property
    def size_multiple(self) -> int:
        return self.multiple

    @property
    def max_inference_side(self) -> int | None:
        sides = [getattr(unwrap(g), 'max_inference_side', None) for g in self.generator]
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

    # -- stages ------------------------------------------------------------------------------
    @property
    def current_stage(self) -> int:
        """The stage the next training step trains: the scheduler's stage at the number of
        steps taken so far."""
        return self.scheduler.stage_at(int(self.train_steps))

    @property
    def inference_stage(self) -> int:
        """The last stage ``inpaint`` runs by default: ``test_stage``, or the last stage
        trained so far when the schedule has not reached it."""
        steps = int(self.train_steps)
        if steps == 0:
            return self.test_stage
        return min(self.test_stage, self.scheduler.stage_at(steps - 1))

    def frozen_stages(self) -> list[int]:
        """Stages whose weights the current stage's training leaves unchanged."""
        return [] if len(self.generator) == 1 else list(range(self.current_stage))

    def _freeze_earlier_stages(self, stage: int) -> None:
        if stage == self._frozen_for:
            return
        shared = len(self.generator) == 1
        for k, gen in enumerate(self.generator):
            trainable = shared or k >= stage
            gen.requires_grad_(trainable)
            gen.train(self.training and trainable)
        self._frozen_for = stage

    def train(self, mode: bool = True):
        super().train(mode)
        for k in self.frozen_stages():
            self.generator[k].eval()   # frozen stages stay in eval mode (batch norm, dropout)
        return self

    def stage_sizes(self, full_size: Sequence[int]) -> list[tuple[int, int]]:
        return [self.scheduler.stage_size(k, full_size) for k in range(self.num_stages)]

    # -- training ----------------------------------------------------------------------------
    @torch.no_grad()
    def _warm_start(self, stage: int) -> None:
        for modules in (self.generator, self.discriminator):
            if modules is not None and len(modules) > 1:
                modules[stage].load_state_dict(modules[stage - 1].state_dict())

    def begin_step(self, step: int) -> None:
        """Before 0-based training ``step``: freeze the stages before the step's stage and,
        at a stage's first step with ``warm_start``, copy the stage below into it. The step
        count decides, so a run resumed mid-stage keeps its checkpointed weights."""
        stage = self.scheduler.stage_at(step)
        self._freeze_earlier_stages(stage)
        if self.warm_start and stage > 0 and step == self.scheduler.stage_start(stage):
            self._warm_start(stage)

    def trained_modules(self, step: int | None = None) -> tuple[nn.Module, nn.Module | None]:
        stage = self.current_stage if step is None else self.scheduler.stage_at(step)
        return self.stage_generator(stage), self.stage_discriminator(stage)

    def training_outputs(self, batch: dict, step: int):
        stage = self.scheduler.stage_at(step)
        return self.run_stages(batch, stage, grad_stage=stage)

    # -- running the stages ------------------------------------------------------------------
    @property
    def guidance_keys(self) -> tuple[str, ...]:
        return tuple(unwrap(self.stage_generator(0)).guidance)

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
            guidance = {g: sb[g] for g in unwrap(gen).guidance if g in sb}
            with torch.set_grad_enabled(torch.is_grad_enabled() and k == grad_stage):
                outputs = gen(filled, mask, **guidance)
            previous = composite(outputs['output'], gt, mask)
        return outputs, sb

    def run_generator(self, batch: dict, stage: int | None = None) -> dict[str, Tensor]:
        """Stages up to ``stage`` (default: :attr:`inference_stage`); the composited result
        is upsampled to the input size."""
        outputs, sb = self.run_stages(batch, self.inference_stage if stage is None else stage)
        out = composite(outputs['output'], sb['gt'], sb['mask'])
        return {'output': resize_image(out, batch['gt'].shape[2:])}

    def inpaint(self, image: Tensor, mask: Tensor, stage: int | None = None,
                **options: Tensor) -> Tensor:
        """Composited result at the input size, running stages up to ``stage``
        (default: :attr:`inference_stage`)."""
        guidance, _ = self.split_options(options)
        out = self.run_generator(dict(gt=image, mask=mask, **guidance), stage)['output']
        return composite(out, image, mask)
