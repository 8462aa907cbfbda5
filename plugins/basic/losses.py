"""Pixel and GAN losses every plugin can use by name."""
from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor

from toolbox import BaseAdversarialLoss, BaseReconstructionLoss


class L1Loss(BaseReconstructionLoss):
    """Mean absolute error, pixels weighted ``hole_weight`` inside the hole and
    ``valid_weight`` outside: ``mean(|pred - target| * (h * M + v * (1 - M)))``.

    The mean runs over all pixels and channels, so with both weights 1 it is plain L1.
    """

    tiny_cfg = dict(hole_weight=2.0, valid_weight=0.5)

    def __init__(self,
                 loss_weight: float = 1.0,
                 outputs: Sequence[str] = ('output',),
                 hole_weight: float = 1.0,
                 valid_weight: float = 1.0) -> None:
        super().__init__(loss_weight, outputs)
        self.hole_weight = float(hole_weight)
        self.valid_weight = float(valid_weight)

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        weight = self.hole_weight * mask + self.valid_weight * (1.0 - mask)   # [B, 1, H, W]
        return ((pred - target).abs() * weight).mean()


class HingeGANLoss(BaseAdversarialLoss):
    """Hinge objective: D minimises ``relu(1 - D(real)) + relu(1 + D(fake))``, G ``-D(fake)``."""

    def generator_loss(self, fake_logits: Tensor) -> Tensor:
        return -fake_logits.mean()

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


class NonSaturatingGANLoss(BaseAdversarialLoss):
    """Logistic objective: D minimises ``softplus(-D(real)) + softplus(D(fake))``,
    G ``softplus(-D(fake))`` (Goodfellow et al.'s non-saturating variant)."""

    def generator_loss(self, fake_logits: Tensor) -> Tensor:
        return F.softplus(-fake_logits).mean()

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
