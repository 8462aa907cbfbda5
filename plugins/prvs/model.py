"""The PRVS training step (Li et al., ICCV 2019, Sec. 3.3; the official ``model.py``).

PRVS's discriminator judges *edge maps*, not images, so its step differs from the GAN
inpaintor's: per batch, the Canny edges of the whole ground truth are the real structure
(the generator is given their known part), and the two edge maps the generator
reconstructs (half and full size) are judged, each stacked with the grey ground truth at
its size, by one discriminator. As the official code the generator is updated first, then
the discriminator on the same (detached) edge maps. Inference is the GAN inpaintor's: the
generator computes the known edges itself.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from toolbox.models import GANInpaintor
from toolbox.models.inpaintor import composite, frozen
from toolbox.registry import MODELS

from .edges import canny_edges, grey

__all__ = ['PRVSInpaintor']

#: the smallest side the edge discriminator reads (its three stride-2 and two stride-1 4x4
#: convolutions leave 2x2 logits of a 32x32 map)
_MIN_EDGE_SIDE = 32


@MODELS.register_module()
class PRVSInpaintor(GANInpaintor):
    """A ``GANInpaintor`` whose discriminator judges the generator's edge maps.

    Args:
        generator: a ``PRVSGenerator`` config (or one with the same outputs: ``'output'``,
            ``'edge'`` and ``'edge_half'``).
        discriminator: an edge discriminator (``PRVSEdgeDiscriminator``), or ``None``.
        losses: reconstruction losses (``PRVSImageLoss``) and, with a discriminator, one
            adversarial loss applied to both edge maps (``PRVSEdgeGANLoss``, weight 0.1).
        edge_sigma: Canny's Gaussian for the ground-truth edges (official: 2); a batch
            that carries ``'edge'`` (``[B, 1, H, W]``) is used as given.
        Others: as ``GANInpaintor``.
    """

    tiny_cfg = dict(
        generator=dict(type='PRVSGenerator', layer_size=6, base_channels=4),
        discriminator=dict(type='PRVSEdgeDiscriminator', base_channels=4),
        losses=[dict(type='PRVSImageLoss', pretrained=False),
                dict(type='PRVSEdgeGANLoss', loss_weight=0.1)])

    #: the generator's edge maps the discriminator judges (full size, then half)
    edge_outputs = ('edge', 'edge_half')

    def __init__(self, generator: dict | nn.Module, discriminator: dict | nn.Module | None = None,
                 losses: Sequence[dict] = (), edge_sigma: float = 2.0,
                 nonfinite: str = 'raise', data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None, max_consecutive_skips: int = 10) -> None:
        super().__init__(generator, discriminator, losses, disc_input='output',
                         nonfinite=nonfinite, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg, max_consecutive_skips=max_consecutive_skips)
        self.edge_sigma = float(edge_sigma)

    def _edge_pairs(self, outputs: dict[str, Tensor], batch: dict) -> list[tuple]:
        """``(fake edge, real edge, grey ground truth)`` at the size of each edge map."""
        pairs = []
        for key in self.edge_outputs:
            fake = outputs[key]
            size = fake.shape[2:]
            if self.discriminator is not None and min(size) < _MIN_EDGE_SIDE:
                raise ValueError(f'PRVSInpaintor: the {key!r} map is {list(size)}; the edge '
                                 f'discriminator needs at least {_MIN_EDGE_SIDE}x'
                                 f'{_MIN_EDGE_SIDE} (train on images of at least '
                                 f'{2 * _MIN_EDGE_SIDE}x{2 * _MIN_EDGE_SIDE})')
            real = F.interpolate(batch['edge'], size=size)     # nearest, as the official
            pairs.append((fake, real, F.interpolate(batch['grey'], size=size)))
        return pairs

    def train_step(self, data, optim_wrapper) -> dict:
        batch = self.data_preprocessor(data, True)
        g_optim, d_optim = self._optimizers(optim_wrapper, self.discriminator is not None)
        step = int(self.train_steps)       # read once: the guard's messages name it
        self.train_steps += 1
        gt, mask = batch['gt'], batch['mask']
        gt01 = (gt + 1) / 2
        if 'edge' not in batch:
            batch['edge'] = canny_edges(gt01, sigma=self.edge_sigma)    # [B, 1, H, W]
        batch['grey'] = grey(gt01)
        disc = self.discriminator
        log: dict[str, Tensor] = {}
        with g_optim.optim_context(self.generator):
            outputs = self.generator(gt * (1 - mask), mask, edge=batch['edge'])
            losses = self._reconstruction_losses(batch, outputs)
            if disc is not None:
                with frozen(disc):     # no gradients into D from the generator's loss
                    losses['loss_g_adv'] = self.adv_loss.loss_weight * sum(
                        self.adv_loss.generator_loss(disc.judge(torch.cat([f, g], 1))[0])
                        for f, _, g in self._edge_pairs(outputs, batch))
            loss_g, g_log = self.parse_losses(losses)
        self.nonfinite.update(loss_g, losses, [g_optim], step, model=self)
        log.update({k: v for k, v in g_log.items() if k != 'loss'}, loss_g=loss_g.detach())
        if disc is not None:
            with d_optim.optim_context(disc):
                terms = [self.adv_loss.discriminator_terms(
                    lambda x, g=g: disc.judge(torch.cat([x, g], 1))[0],
                    real, fake.detach(), batch)
                    # half size first, as the official get_d_loss (the order of the
                    # spectral norms' power iterations)
                    for fake, real, g in reversed(self._edge_pairs(outputs, batch))]
                loss_d = sum(t['loss_d'] for t, _ in terms)
            self.nonfinite.update(loss_d, {'loss_d': loss_d}, [d_optim], step, model=self)
            log['loss_d'] = loss_d.detach()
            for key in ('d_real', 'd_fake'):
                log[key] = sum(lg[key] for _, lg in terms) / len(terms)
        fake = composite(outputs['output'], gt, mask)
        self.last_train_vis = dict(gt=gt[:4].detach().cpu(), mask=mask[:4].detach().cpu(),
                                   output=fake[:4].detach().cpu())
        return {k: float(v.detach()) for k, v in log.items()}
