"""DeepFill v1's losses: the WGAN-GP objective over one or more critics, and the spatially
discounted L1 reconstruction loss."""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from toolbox import BaseAdversarialLoss, BaseReconstructionLoss
from toolbox.registry import LOSSES

__all__ = ['WGANGPLoss', 'SpatiallyDiscountedL1Loss', 'hole_distance', 'discount_weights']


def _critics(logits: Tensor) -> list[Tensor]:
    """``[B, K]`` logits are K critics (DeepFill v1's local and global); any other shape
    is one critic (a patch critic's map)."""
    return list(logits.unbind(1)) if logits.ndim == 2 else [logits]


@LOSSES.register_module()
class WGANGPLoss(BaseAdversarialLoss):
    """Wasserstein GAN with gradient penalty (Gulrajani et al. 2017), as DeepFill v1 trains
    its critics (the authors' ``gan_wgan_loss`` and ``gradients_penalty``).

    For each critic ``D`` (a column of ``[B, K]`` logits): ``D`` minimises
    ``mean D(fake) - mean D(real) + gp_weight * mean_b (|grad_x D(x_b)|_M - 1)^2`` at
    ``x = a real + (1 - a) fake`` with ``a ~ U(0, 1)`` per sample; the generator minimises
    ``-mean D(fake)``. With ``mask_gradients`` the gradient norm is taken over the hole
    pixels only (``|g|_M = sqrt(sum g^2 M)``), as the TF code passes the mask; the terms of
    the critics are summed.

    Args:
        loss_weight: weight of the generator's term (0.001 in the authors' config).
        gp_weight: weight of the gradient penalty (10).
        mask_gradients: restrict the gradient norm to the hole (True, as the TF code).
    """

    tiny_cfg = dict(loss_weight=0.001)

    def __init__(self, loss_weight: float = 1.0, gp_weight: float = 10.0,
                 mask_gradients: bool = True) -> None:
        super().__init__(loss_weight)
        self.gp_weight = float(gp_weight)
        self.mask_gradients = bool(mask_gradients)

    def generator_loss(self, fake_logits: Tensor) -> Tensor:
        return -sum(c.mean() for c in _critics(fake_logits))

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return sum(f.mean() - r.mean()
                   for r, f in zip(_critics(real_logits), _critics(fake_logits)))

    def gradient_penalty(self, judge, real: Tensor, fake: Tensor, mask: Tensor) -> Tensor:
        """Unweighted penalty summed over the critics, at one random interpolate per sample."""
        alpha = torch.rand(real.shape[0], 1, 1, 1, device=real.device, dtype=real.dtype)
        mixed = (alpha * real + (1 - alpha) * fake).detach().requires_grad_(True)
        penalty = real.new_zeros(())
        critics = _critics(judge(mixed))
        weight = mask if self.mask_gradients else torch.ones_like(mask)
        for critic in critics:
            grad, = torch.autograd.grad(critic.sum(), mixed, create_graph=True)
            # the epsilon keeps sqrt differentiable for a sample without hole
            norm = (grad.pow(2) * weight).flatten(1).sum(1).add(1e-12).sqrt()
            penalty = penalty + (norm - 1).pow(2).mean()
        return penalty

    def discriminator_terms(self, judge, real: Tensor, fake: Tensor, batch: dict):
        real_logits, fake_logits = judge(real), judge(fake)
        gp = self.gradient_penalty(judge, real, fake, batch['mask'])
        log = {'d_real': real_logits.detach().mean(), 'd_fake': fake_logits.detach().mean()}
        return ({'loss_d': self.discriminator_loss(real_logits, fake_logits),
                 'loss_gp': self.gp_weight * gp}, log)


def hole_distance(mask: Tensor) -> Tensor:
    """Chessboard distance of each hole pixel of ``mask`` ``[B, 1, H, W]`` (1 = hole) to
    the nearest known pixel (1 next to the hole's edge), 0 on known pixels; pixels beyond
    the image border count as known. Computed by repeated 3x3 erosions of the hole."""
    hole = (mask > 0.5).to(torch.float32)
    dist = torch.zeros_like(hole)
    while bool(hole.any()):
        dist += hole
        hole = -F.max_pool2d(-F.pad(hole, (1, 1, 1, 1)), 3, stride=1)   # erosion
    return dist


def discount_weights(mask: Tensor, gamma: float) -> Tensor:
    """``gamma ** distance`` on hole pixels (see :func:`hole_distance`), 0 elsewhere."""
    dist = hole_distance(mask)
    return torch.where(dist > 0, torch.pow(float(gamma), dist), torch.zeros_like(dist))


@LOSSES.register_module()
class SpatiallyDiscountedL1Loss(BaseReconstructionLoss):
    """DeepFill v1's spatially discounted L1 (Sec. 3.1): hole pixels weighted by
    ``gamma ** d`` with ``d`` their distance to the nearest known pixel, so that pixels deep
    in the hole, whose content is most ambiguous, count less.

    ``sum(|pred - target| * w) / (C * number of hole pixels)``, ``w`` from
    :func:`discount_weights`; known pixels are left to a plain L1 term. The TF code computes
    the weights for its rectangular box only (``max(gamma^min(i, H-i), gamma^min(j, W-j))``);
    here the distance comes from the mask, so any hole shape gets them (for a rectangle the
    two agree: ``tests/plugins/test_deepfillv1.py``).

    Args:
        gamma: discount per pixel (0.99 in the paper; the released config has 0.9).
    """

    tiny_cfg = dict(gamma=0.9)

    def __init__(self, loss_weight: float = 1.0, outputs: Sequence[str] = ('output',),
                 gamma: float = 0.99) -> None:
        super().__init__(loss_weight, outputs)
        if not 0 < gamma <= 1:
            raise ValueError(f'SpatiallyDiscountedL1Loss: gamma must be in (0, 1], got {gamma}')
        self.gamma = float(gamma)

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        with torch.no_grad():
            weight = discount_weights(mask, self.gamma).to(pred.dtype)
        count = mask.sum().clamp_min(1) * pred.shape[1]
        return ((pred - target).abs() * weight).sum() / count
