"""The CSA model: :class:`~toolbox.models.inpaintor.GANInpaintor` with CSA's two
discriminators and its consistency loss.

The official training step (``models/CSA.py``) with the paper's gradients:

* discriminators: ``0.5 L_D(patch) + 0.5 L_D(feature)``, each the relativistic average LSGAN
  term of the official ``GANLoss`` (which halves its two squares), i.e.
  ``0.25 (pair_patch + pair_feature)`` with the ``RelativisticAverageLSGANLoss`` of the
  basic plugin (no halving): ``disc_loss_scale=0.25``;
* generator: the configured reconstruction losses (``100 L1`` on the rough and the
  refined output), ``0.2 (L_G(patch) + L_G(feature))`` = ``loss_weight=0.1`` on the
  un-halved adversarial loss, and the consistency loss. The feature discriminator judges
  VGG features of the generator's output *with* their gradient (the official ``fake_B.data``
  blocks it) and the consistency loss trains the generator (the official one is a
  constant); both as the paper.
"""
from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from toolbox.models.adversarial import frozen
from toolbox.models.distributed import unwrap
from toolbox.models.inpaintor import GANInpaintor
from toolbox.registry import MODELS

from .losses import CSAConsistencyLoss

__all__ = ['CSAInpaintor']


@MODELS.register_module()
class CSAInpaintor(GANInpaintor):
    """Trains a :class:`~toolbox_plugins.csa.generator.CSAGenerator` with a
    :class:`~toolbox_plugins.csa.discriminator.CSADiscriminator` (its patch and feature
    discriminators judge separately, each with the one adversarial loss) and
    :class:`~toolbox_plugins.csa.losses.CSAConsistencyLoss`.

    Args:
        consistency: keyword arguments of the consistency loss (``loss_weight``,
            ``pretrained``, ``vgg_weights``); ``None`` trains without it.
        disc_loss_scale: factor on the sum of the two discriminators' terms (0.25: the
            official ``0.5 (L_D + L_F)`` of halved RaLSGAN terms).
        Others: as :class:`~toolbox.models.inpaintor.GANInpaintor`.
    """

    tiny_cfg = dict(
        generator=dict(type='CSAGenerator', rough=dict(base_channels=4, num_downs=5),
                       refinement=dict(base_channels=4, num_downs=5)),
        discriminator=dict(type='CSADiscriminator', patch=dict(base_channels=4),
                           feature=dict(pretrained=False)),
        losses=[dict(type='L1Loss', loss_weight=100.0, outputs=('rough', 'output')),
                dict(type='RelativisticAverageLSGANLoss', loss_weight=0.1)],
        consistency=dict(pretrained=False), disc_input='output')

    def __init__(self, generator: dict, discriminator: dict | None = None,
                 losses: Sequence[dict] = (), consistency: dict | None = None,
                 disc_loss_scale: float = 0.25, **kwargs) -> None:
        super().__init__(generator, discriminator, losses, **kwargs)
        self.consistency = None if consistency is None else CSAConsistencyLoss(**consistency)
        self.disc_loss_scale = float(disc_loss_scale)

    def _judges(self, disc: nn.Module):
        bare = unwrap(disc)
        return bare.patch, bare.feature

    def discriminator_step(self, disc, batch, judged, optim, step):
        adv = self.objective.adv
        with optim.optim_context(disc):
            terms, log = {}, {}
            for name, judge in zip(('patch', 'feature'), self._judges(disc)):
                t, l_ = adv.discriminator_terms(judge, batch['gt'], judged.detach(), batch)
                for key, value in t.items():
                    terms[f'{key}_{name}'] = value * self.disc_loss_scale
                log.update({f'{key}_{name}': value for key, value in l_.items()})
            loss_d = sum(terms.values())
        self.nonfinite.update(loss_d, terms, [optim], step, model=self)
        return {**{k: v.detach() for k, v in terms.items()}, 'loss_d': loss_d.detach(), **log}

    def generator_step(self, generator, disc, batch, outputs, judged, optim, step):
        gt, mask = batch['gt'], batch['mask']
        with optim.optim_context(generator):
            losses = self.objective.reconstruction_terms(outputs, gt, mask,
                                                         type(unwrap(generator)).__name__)
            if self.consistency is not None:
                losses['loss_consistency'] = self.consistency(
                    outputs['csa'], outputs['csa_decoder'], outputs['csa_hole'],
                    gt) * self.consistency.loss_weight
            if disc is not None:
                adv = self.objective.adv
                with frozen(disc):
                    g_adv = sum(adv.generator_terms(judge, judged, gt, batch)
                                for judge in self._judges(disc))
                losses['loss_g_adv'] = g_adv * adv.loss_weight
            loss_g, g_log = self.parse_losses(losses)
        self.nonfinite.update(loss_g, losses, [optim], step, model=self)
        return {**{k: v for k, v in g_log.items() if k != 'loss'}, 'loss_g': loss_g.detach()}

    def _reconstruction_losses(self, batch: dict, outputs: dict[str, Tensor]) -> dict:
        terms = super()._reconstruction_losses(batch, outputs)
        if self.consistency is not None:
            terms['loss_consistency'] = self.consistency(
                outputs['csa'], outputs['csa_decoder'], outputs['csa_hole'],
                batch['gt']) * self.consistency.loss_weight
        return terms
