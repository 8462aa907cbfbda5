"""The trainable video inpaintor: a clip generator, a clip discriminator and their losses,
trained by the toolbox's GAN schedule (:class:`toolbox.models.inpaintor.GANTraining`, the
same alternation, non-finite guard and step counter as the image GAN models).

Nothing in the GAN schedule or the adversarial objective depends on the number of axes:
they composite ``output * mask + gt * (1 - mask)`` and hand tensors to the losses and the
discriminator, which here take clips ``[B, T, C, H, W]``.
"""
from __future__ import annotations

from collections.abc import Sequence

from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import Tensor, nn

from toolbox.bases import BaseDiscriminator, BaseGenerator
from toolbox.builder import build_component
from toolbox.models.distributed import unwrap
from toolbox.models.inpaintor import GANTraining, composite
from toolbox.registry import DISCRIMINATORS, GENERATORS, MODELS
from toolbox.video.checks import check_clip_and_mask
from toolbox.video.models import BaseVideoInpaintor

__all__ = ['VideoGANInpaintor']


@MODELS.register_module()
class VideoGANInpaintor(GANTraining, BaseVideoInpaintor):
    """A clip generator trained with reconstruction losses and, optionally, a clip
    discriminator (Chang et al.'s 3D gated convolutions and T-PatchGAN).

    Args:
        generator: a ``GENERATORS`` config taking clips (``Gated3DGenerator``).
        discriminator: a ``DISCRIMINATORS`` config taking clips
            (``TemporalPatchGANDiscriminator``), or None.
        losses: ``LOSSES`` configs; reconstruction losses receive clips.
        disc_steps, disc_input, nonfinite, max_consecutive_skips, phase_iters: as
            :class:`toolbox.models.GANInpaintor`.
    """

    optim_modules = ('generator', 'discriminator')
    tiny_cfg = dict(
        generator=dict(type='Gated3DGenerator', base_channels=4),
        discriminator=dict(type='TemporalPatchGANDiscriminator', base_channels=4),
        losses=[dict(type='L1Loss', hole_weight=1.0, valid_weight=0.0),
                dict(type='TemporalPatchGANLoss')])

    def __init__(self, generator: dict | BaseGenerator,
                 discriminator: dict | BaseDiscriminator | None = None,
                 losses: Sequence[dict] = (), disc_steps: int = 1,
                 disc_input: str = 'composite', nonfinite: str = 'raise',
                 phase_iters: dict | None = None, data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None, max_consecutive_skips: int = 10) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.generator = build_component(GENERATORS, generator, 'generator')
        self.discriminator = build_component(DISCRIMINATORS, discriminator, 'discriminator')
        self._init_gan(self.discriminator is not None, losses, disc_steps, disc_input,
                       nonfinite, max_consecutive_skips, phase_iters)

    # -- what GANTraining asks of a model ----------------------------------------------------
    def trained_modules(self, step: int | None = None) -> tuple[nn.Module, nn.Module | None]:
        return self.generator, self.discriminator

    def training_outputs(self, batch: dict, step: int) -> tuple[dict[str, Tensor], dict]:
        return self.run_generator(batch), batch

    def train_step(self, data, optim_wrapper: OptimWrapper | OptimWrapperDict) -> dict:
        log = super().train_step(data, optim_wrapper)
        # the visualisation hook draws images: show each clip's middle frame
        vis = self.last_train_vis
        if vis is not None and vis['gt'].ndim == 5:
            mid = vis['gt'].shape[1] // 2
            self.last_train_vis = {k: v[:, mid] for k, v in vis.items()}
        return log

    # -- inference ---------------------------------------------------------------------------
    def run_generator(self, batch: dict) -> dict[str, Tensor]:
        """Generator outputs (not composited) for a preprocessed batch of clips."""
        gt, mask = batch['gt'], batch['mask']
        generator = unwrap(self.generator)
        name = type(generator).__name__
        check_clip_and_mask(gt, mask, where=name)
        multiple = self.size_multiple
        if gt.shape[-1] % multiple or gt.shape[-2] % multiple:
            raise ValueError(f'{name}: height and width must be multiples of {multiple}, got '
                             f'{gt.shape[-2]}x{gt.shape[-1]}')
        return self.generator(gt * (1.0 - mask), mask)

    def inpaint(self, video: Tensor, masks: Tensor, **options) -> Tensor:
        self.check_inputs(video, masks)
        self.split_options(options)                   # no options: an unknown one raises
        return composite(self.run_generator(dict(gt=video, mask=masks))['output'], video, masks)

    def forward(self, inputs=None, data_samples=None, mode: str = 'tensor', **kwargs):
        batch = inputs if isinstance(inputs, dict) else dict(kwargs)
        if mode == 'loss':
            return self._reconstruction_losses(batch, self.run_generator(batch))
        return super().forward(batch, mode=mode)

    @property
    def size_multiple(self) -> int:
        return unwrap(self.generator).size_multiple
