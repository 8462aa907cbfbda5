"""Pixel and GAN losses every plugin can use by name."""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from toolbox import BaseAdversarialLoss, BaseReconstructionLoss
from toolbox.models.adversarial import (nonsaturating_discriminator_loss,
                                        nonsaturating_generator_loss)
from toolbox.registry import LOSSES


class _PixelWeightedLoss(BaseReconstructionLoss):
    """``mean(error(pred - target) * (h * M + v * (1 - M)))``: pixels weighted
    ``hole_weight`` inside the hole and ``valid_weight`` outside, the mean over all pixels
    and channels. Subclasses give :meth:`error`.

    ``normalize='region'`` divides each region's sum by that region's size instead:
    ``h * sum(e * M) / (C sum M) + v * sum(e * (1 - M)) / (C sum (1 - M))`` (MMagic's
    ``L1Loss`` with the mask as weight, as its DeepFill v1/v2 configs train; the papers'
    code takes the plain mean). A hole of a tenth of the image then weighs as much as the
    rest of it.
    """

    tiny_cfg = dict(hole_weight=2.0, valid_weight=0.5)

    def __init__(self,
                 loss_weight: float = 1.0,
                 outputs: Sequence[str] = ('output',),
                 hole_weight: float = 1.0,
                 valid_weight: float = 1.0,
                 normalize: str = 'image') -> None:
        super().__init__(loss_weight, outputs)
        if normalize not in ('image', 'region'):
            raise ValueError(f"{type(self).__name__}: normalize must be 'image' or 'region', "
                             f'got {normalize!r}')
        self.hole_weight = float(hole_weight)
        self.valid_weight = float(valid_weight)
        self.normalize = normalize

    def error(self, diff: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        if self.normalize == 'region':
            error = self.error(pred - target)                 # [B, C, H, W]
            total = error.new_zeros(())
            for weight, region in ((self.hole_weight, mask), (self.valid_weight, 1.0 - mask)):
                if weight:
                    # MMagic's eps: an empty region gives 0, not NaN
                    size = region.expand_as(error).sum() + 1e-12
                    total = total + weight * ((error * region).sum() / size)
            return total
        weight = self.hole_weight * mask + self.valid_weight * (1.0 - mask)   # [B, 1, H, W]
        return (self.error(pred - target) * weight).mean()


@LOSSES.register_module()
class L1Loss(_PixelWeightedLoss):
    """Mean absolute error, pixels weighted ``hole_weight`` inside the hole and
    ``valid_weight`` outside: ``mean(|pred - target| * (h * M + v * (1 - M)))``.

    The mean runs over all pixels and channels, so with both weights 1 it is plain L1.
    """

    def error(self, diff: Tensor) -> Tensor:
        return diff.abs()


@LOSSES.register_module()
class MSELoss(_PixelWeightedLoss):
    """Mean squared error, weighted like :class:`L1Loss`:
    ``mean((pred - target)**2 * (h * M + v * (1 - M)))`` (Global&Local's completion loss
    is ``hole_weight=1, valid_weight=0``)."""

    def error(self, diff: Tensor) -> Tensor:
        return diff.square()


@LOSSES.register_module()
class HingeGANLoss(BaseAdversarialLoss):
    """Hinge objective: D minimises ``relu(1 - D(real)) + relu(1 + D(fake))``, G ``-D(fake)``.

    ``fake_first=True`` judges the fake batch first (MMagic's order; see
    :attr:`~toolbox.bases.BaseAdversarialLoss.fake_first`)."""

    def __init__(self, loss_weight: float = 1.0, fake_first: bool = False) -> None:
        super().__init__(loss_weight)
        self.fake_first = bool(fake_first)

    def generator_loss(self, fake_logits: Tensor) -> Tensor:
        return -fake_logits.mean()

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


@LOSSES.register_module()
class NonSaturatingGANLoss(BaseAdversarialLoss):
    """Logistic objective: D minimises ``softplus(-D(real)) + softplus(D(fake))``,
    G ``softplus(-D(fake))`` (Goodfellow et al.'s non-saturating variant)."""

    def generator_loss(self, fake_logits: Tensor) -> Tensor:
        return nonsaturating_generator_loss(fake_logits)

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return nonsaturating_discriminator_loss(real_logits, fake_logits)


@LOSSES.register_module()
class RelativisticAverageGANLoss(BaseAdversarialLoss):
    """Relativistic average GAN (Jolicoeur-Martineau, 2019), as ESRGAN and DMFN train:
    D learns that real images look more real than the average fake, and G the reverse.

    With ``d_r = D(real) - mean D(fake)`` and ``d_f = D(fake) - mean D(real)``, D minimises
    ``(softplus(-d_r) + softplus(d_f)) / 2`` and G ``(softplus(d_r) + softplus(-d_f)) / 2``,
    its real logits taken without gradient.
    """

    def generator_loss(self, fake_logits: Tensor, real_logits: Tensor | None = None) -> Tensor:
        if real_logits is None:
            raise ValueError('RelativisticAverageGANLoss.generator_loss needs real_logits')
        real_logits = real_logits.detach()
        d_r = real_logits - fake_logits.mean()
        d_f = fake_logits - real_logits.mean()
        return (F.softplus(d_r).mean() + F.softplus(-d_f).mean()) / 2

    def generator_terms(self, judge, fake: Tensor, real: Tensor, batch: dict,
                        fake_logits: Tensor | None = None) -> Tensor:
        # the relativistic term compares with the real logits, which train nothing here
        with torch.no_grad():
            real_logits = judge(real)
        return self.generator_loss(judge(fake) if fake_logits is None else fake_logits,
                                   real_logits)

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        d_r = real_logits - fake_logits.mean()
        d_f = fake_logits - real_logits.mean()
        return (F.softplus(-d_r).mean() + F.softplus(d_f).mean()) / 2


@LOSSES.register_module()
class RelativisticAverageLSGANLoss(BaseAdversarialLoss):
    """Relativistic average least-squares GAN (Jolicoeur-Martineau, "The relativistic
    discriminator: a key element missing from standard GAN", 2018, RaLSGAN), as CSA trains.

    With ``C`` the logits, D minimises
    ``mean (C(real) - mean C(fake) - 1)^2 + mean (C(fake) - mean C(real) + 1)^2`` and G the
    same with the labels swapped,
    ``mean (C(fake) - mean C(real) - 1)^2 + mean (C(real) - mean C(fake) + 1)^2``, its real
    logits taken without gradient (they train nothing in G's step).
    """

    @staticmethod
    def _pair(real_logits: Tensor, fake_logits: Tensor, label: float) -> Tensor:
        """``mean (C(real) - mean C(fake) - label)^2 + mean (C(fake) - mean C(real) + label)^2``."""
        return ((real_logits - fake_logits.mean() - label).pow(2).mean()
                + (fake_logits - real_logits.mean() + label).pow(2).mean())

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return self._pair(real_logits, fake_logits, 1.0)

    def generator_loss(self, fake_logits: Tensor, real_logits: Tensor | None = None) -> Tensor:
        if real_logits is None:
            raise ValueError('RelativisticAverageLSGANLoss.generator_loss needs real_logits')
        return self._pair(real_logits.detach(), fake_logits, -1.0)

    def generator_terms(self, judge, fake: Tensor, real: Tensor, batch: dict,
                        fake_logits: Tensor | None = None) -> Tensor:
        with torch.no_grad():
            real_logits = judge(real)
        return self.generator_loss(judge(fake) if fake_logits is None else fake_logits,
                                   real_logits)
