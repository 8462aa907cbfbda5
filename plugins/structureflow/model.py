"""The StructureFlow model: the paper's three training stages (Ren et al., ICCV 2019,
Sec. 3.4; the official ``MODEL: 1, 2, 3``) as one option, ``stage``:

* ``'structure'``: the structure reconstructor learns the ground truth's RTV structure:
  ``4 L1 + 1 L_adv`` against the structure discriminator judging smoothed images.
* ``'texture'``: the texture generator learns from the *true* structure of the ground
  truth: ``5 L1 + 1 L_adv + 0.25 L_correctness`` against the texture discriminator.
* ``'joint'``: the texture generator learns from the structure reconstructor's prediction
  (the reconstructor is fixed: it gets no gradient and is not updated, as the official
  code; it runs in eval mode, so its spectral norms' power iterations do not move it
  either, where the official code's drift and are then not saved), with ``250 L_style`` (of the hole region) ``+ 0.1 L_perceptual`` added.

Every adversarial term is the LSGAN of a two-scale discriminator (each scale's mean,
averaged over the scales); the discriminator updates first, on the detached output.
The smoothed ground truth is computed from each batch with RTV (:mod:`.rtv`) unless the
batch carries it (``'smooth'``, [-1, 1]). Inference runs both generators, the structure
from the RTV smoothing of the masked input (a model in the structure stage returns
the structure).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from toolbox.bases import BaseDiscriminator, BaseGenerator
from toolbox.builder import build_component
from toolbox.models.adversarial import frozen
from toolbox.models.base import BaseInpaintor
from toolbox.models.distributed import unwrap
from toolbox.models.inpaintor import GANInpaintor, composite, evaluating
from toolbox.models.nonfinite import NonFiniteGuard
from toolbox.registry import DISCRIMINATORS, GENERATORS, MODELS

from .losses import (SamplingCorrectnessLoss, StructureFlowPerceptualLoss,
                     StructureFlowStyleLoss, lsgan_discriminator_loss, lsgan_generator_loss)
from .rtv import rtv_smooth_tensor

__all__ = ['StructureFlowInpaintor', 'STAGES']

STAGES = ('structure', 'texture', 'joint')


@MODELS.register_module()
class StructureFlowInpaintor(GANInpaintor):
    """Trains a :class:`~.generator.StructureFlowGenerator` with a
    :class:`~.discriminator.StructureFlowDiscriminator`, one stage at a time.

    Args:
        generator, discriminator: their configs.
        stage: ``'structure'``, ``'texture'`` or ``'joint'`` (see the module). Train them
            in that order, each from the last one's checkpoint (``load_from``).
        weights: the loss weights, by name: ``structure_l1`` (4), ``structure_adv`` (1),
            ``l1`` (5), ``adv`` (1), ``correctness`` (0.25), ``style`` (250),
            ``perceptual`` (0.1): the official ``config.yaml``'s.
        pretrained: ImageNet VGG-19 for the correctness, style and perceptual losses
            (``False``: random features, for tests and demos).
        vgg_weights: a path to ``vgg19-dcbb9e9d.pth``, if not in the usual folders.
        rtv: keyword arguments of :func:`~.rtv.rtv_smooth` for the ground truth's
            structure in training (the solver: ``'pcg'``, the official, or ``'direct'``).
        nonfinite, max_consecutive_skips, data_preprocessor, init_cfg: as
            :class:`~toolbox.models.inpaintor.GANInpaintor`.
    """

    optim_modules = ('generator', 'discriminator')
    DEFAULT_WEIGHTS = dict(structure_l1=4.0, structure_adv=1.0, l1=5.0, adv=1.0,
                           correctness=0.25, style=250.0, perceptual=0.1)
    tiny_cfg = dict(
        generator=dict(type='StructureFlowGenerator',
                       structure=dict(base_channels=4, num_res=1),
                       texture=dict(base_channels=4, num_res=1)),
        discriminator=dict(type='StructureFlowDiscriminator',
                           structure=dict(base_channels=4, num_layers=2),
                           texture=dict(base_channels=4, num_layers=2)),
        stage='joint', pretrained=False)

    def __init__(self, generator: dict | BaseGenerator,
                 discriminator: dict | BaseDiscriminator, stage: str = 'joint',
                 weights: dict | None = None, pretrained: bool = True,
                 vgg_weights: str | None = None, rtv: dict | None = None,
                 nonfinite: str = 'raise', max_consecutive_skips: int = 10,
                 data_preprocessor: dict | None = None, init_cfg: dict | None = None) -> None:
        BaseInpaintor.__init__(self, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        name = type(self).__name__
        if stage not in STAGES:
            raise ValueError(f'{name}: stage must be one of {list(STAGES)}, got {stage!r}')
        unknown = sorted(set(weights or {}) - set(self.DEFAULT_WEIGHTS))
        if unknown:
            raise ValueError(f'{name}: unknown weights {unknown}; known: '
                             f'{sorted(self.DEFAULT_WEIGHTS)}')
        self.stage = stage
        self.weights = {**self.DEFAULT_WEIGHTS, **dict(weights or {})}
        self.generator = build_component(GENERATORS, generator, 'generator')
        self.discriminator = build_component(DISCRIMINATORS, discriminator, 'discriminator')
        for part, key in ((self.generator, 'generator'), (self.discriminator, 'discriminator')):
            if not (hasattr(unwrap(part), 'structure') and hasattr(unwrap(part), 'texture')):
                raise TypeError(f'{name}: {key} must have a structure and a texture part '
                                f'(StructureFlowGenerator, StructureFlowDiscriminator), got '
                                f'{type(unwrap(part)).__name__}')
        vgg = dict(pretrained=pretrained, vgg_weights=vgg_weights)
        self.correctness = SamplingCorrectnessLoss(**vgg)
        self.style = StructureFlowStyleLoss(**vgg)
        self.perceptual = StructureFlowPerceptualLoss(**vgg)
        self.rtv = dict(rtv or {})
        self.nonfinite = NonFiniteGuard(name, nonfinite, max_consecutive_skips)
        self.register_buffer('train_steps', torch.zeros((), dtype=torch.long))

    # -- inference -------------------------------------------------------------------------
    def run_generator(self, batch: dict) -> dict[str, Tensor]:
        outputs = super().run_generator(batch)
        if self.stage == 'structure':
            outputs = dict(outputs, output=outputs['structure'])
        return outputs

    def _reconstruction_losses(self, batch: dict, outputs: dict[str, Tensor]) -> dict:
        target = self.smooth(batch) if self.stage == 'structure' else batch['gt']
        key = 'structure_l1' if self.stage == 'structure' else 'l1'
        return {'loss_l1': F.l1_loss(outputs['output'], target) * self.weights[key]}

    def smooth(self, batch: dict) -> Tensor:
        """The ground truth's RTV structure [B, 3, H, W] in [-1, 1]."""
        if batch.get('smooth') is not None:
            return batch['smooth']
        return rtv_smooth_tensor(batch['gt'], **self.rtv)

    # -- training --------------------------------------------------------------------------
    def train_step(self, data, optim_wrapper) -> dict:
        batch = self.data_preprocessor(data, True)
        step = int(self.train_steps)
        self.train_steps += 1
        g_optim, d_optim = optim_wrapper['generator'], optim_wrapper['discriminator']
        gt, mask = batch['gt'], batch['mask']
        masked = gt * (1 - mask)
        smooth = self.smooth(batch)
        gen, disc = unwrap(self.generator), unwrap(self.discriminator)
        w = self.weights
        with g_optim.optim_context(self.generator):
            if self.stage == 'structure':
                judge, real = disc.structure, smooth
                fake = gen.structure(masked, mask, smooth)['output']
            else:
                judge, real = disc.texture, gt
                if self.stage == 'texture':
                    structure = smooth
                else:
                    # the reconstructor is fixed in this stage: no gradient, and in eval
                    # mode, so that its spectral norms' power iterations leave it alone
                    with torch.no_grad(), evaluating(gen.structure):
                        structure = gen.structure(masked, mask, smooth)['output']
                out = gen.texture(masked, mask, structure)
                fake = out['output']

        with d_optim.optim_context(self.discriminator):
            loss_d = lsgan_discriminator_loss(judge.scales(real), judge.scales(fake.detach()))
        self.nonfinite.update(loss_d, {'loss_d': loss_d}, [d_optim], step, model=self)

        with g_optim.optim_context(self.generator):
            with frozen(self.discriminator):
                adv = lsgan_generator_loss(judge.scales(fake))
            if self.stage == 'structure':
                losses = {'loss_l1': F.l1_loss(fake, smooth) * w['structure_l1'],
                          'loss_g_adv': adv * w['structure_adv']}
            else:
                losses = {'loss_l1': F.l1_loss(fake, gt) * w['l1'],
                          'loss_g_adv': adv * w['adv'],
                          'loss_correctness': self.correctness(gt, masked, out['flow'], mask)
                          * w['correctness']}
                if self.stage == 'joint':
                    losses['loss_style'] = self.style(fake, gt, mask) * w['style']
                    losses['loss_perceptual'] = self.perceptual(fake, gt, mask) * w['perceptual']
            loss_g, g_log = self.parse_losses(losses)
        self.nonfinite.update(loss_g, losses, [g_optim], step, model=self)
        self.last_train_vis = dict(gt=real[:4].detach().cpu(), mask=mask[:4].detach().cpu(),
                                   output=composite(fake, real, mask)[:4].detach().cpu())
        log = {k: v for k, v in g_log.items() if k != 'loss'}
        log.update(loss_d=loss_d.detach(), loss_g=loss_g.detach())
        return {k: float(v.detach()) for k, v in log.items()}
