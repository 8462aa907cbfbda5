"""Pluralistic's losses (Zheng et al., CVPR 2019, Sec. 3.3 and 3.5): the KL terms of the
two paths, the multi-scale L1 appearance terms, and the LSGAN of its two discriminators.
The weights (20 for KL and L1, times the 4 output scales for KL; 1 for the adversarial
terms) are the model's (:class:`~.model.PluralisticInpaintor`), as in the official code.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from toolbox.bases import BaseAdversarialLoss
from toolbox.registry import LOSSES

__all__ = ['kl_normal', 'prior_sigma', 'kl_terms', 'multiscale_l1', 'pyramid',
           'PluralisticLSGANLoss']


def kl_normal(mu1: Tensor, sigma1: Tensor, mu2: Tensor, sigma2: Tensor) -> Tensor:
    """``KL(N(mu1, sigma1^2) || N(mu2, sigma2^2))`` per element:
    ``log(sigma2 / sigma1) + (sigma1^2 + (mu1 - mu2)^2) / (2 sigma2^2) - 1/2``."""
    return (torch.log(sigma2 / sigma1) + (sigma1 ** 2 + (mu1 - mu2) ** 2) / (2 * sigma2 ** 2)
            - 0.5)


def prior_sigma(mask: Tensor) -> Tensor:
    """The fixed prior's ``sigma(n) = 1 / (1 + exp(8 (v - 0.8)))`` per sample ``[B, 1, 1, 1]``,
    ``v`` the visible fraction (minus 1e-5, as the official code): a small hole gets a
    narrow prior (little diversity), a large one a wide prior."""
    visible = 1 - mask.flatten(1).mean(1) - 1e-5
    return torch.sigmoid(-8 * (visible - 0.8)).view(-1, 1, 1, 1)


def kl_terms(post: tuple[Tensor, Tensor], prior: tuple[Tensor, Tensor], mask: Tensor,
             rec_direction: str = 'paper') -> tuple[Tensor, Tensor]:
    """``(kl_rec, kl_g)``, each a mean over elements.

    * reconstructive path: the posterior ``q(z | I_c)`` against ``N(0, sigma(n)^2)``:
      ``KL(q || N_m)`` (``'paper'``, Eq. 7) or ``KL(N_m || q)`` (``'code'``, the official
      ``kl_divergence(m_distribution, p_distribution)``);
    * generative path: ``KL(q || p(z | I_m))`` with ``q`` held fixed (no gradient to the
      posterior, as the official code), so the prior follows the posterior.
    """
    (q_mu, q_sigma), (p_mu, p_sigma) = post, prior
    zero, s = torch.zeros_like(q_mu), prior_sigma(mask).expand_as(q_sigma)
    if rec_direction == 'paper':
        kl_rec = kl_normal(q_mu, q_sigma, zero, s)
    elif rec_direction == 'code':
        kl_rec = kl_normal(zero, s, q_mu, q_sigma)
    else:
        raise ValueError(f"kl_terms: rec_direction must be 'paper' or 'code', got "
                         f'{rec_direction!r}')
    kl_g = kl_normal(q_mu.detach(), q_sigma.detach(), p_mu, p_sigma)
    return kl_rec.mean(), kl_g.mean()


def pyramid(image: Tensor, scales: int) -> list[Tensor]:
    """``image`` at 1/2^(scales-1) .. 1/1 of its size (coarse to fine; bilinear with
    aligned corners, as the official ``scale_pyramid``)."""
    h, w = image.shape[2:]
    out = [image]
    for k in range(1, scales):
        out.append(F.interpolate(image, size=(h // 2 ** k, w // 2 ** k), mode='bilinear',
                                 align_corners=True))
    return out[::-1]


def multiscale_l1(images: Sequence[Tensor], target: Tensor, weight: Tensor | None = None) -> Tensor:
    """``sum_k mean |I_k - T_k|`` over the output scales (coarse to fine), ``T_k`` the
    target at that scale; with ``weight`` (a mask, 1 = counted), ``mean |W_k I_k - W_k T_k|``
    (the generative path is held to the visible region only)."""
    targets = pyramid(target, len(images))
    weights = pyramid(weight, len(images)) if weight is not None else [None] * len(images)
    total = 0
    for image, t, w in zip(images, targets, weights):
        total = total + (F.l1_loss(image, t) if w is None else F.l1_loss(image * w, t * w))
    return total


@LOSSES.register_module()
class PluralisticLSGANLoss(BaseAdversarialLoss):
    """The least-squares GAN of Pluralistic (the official default ``gan_mode='lsgan'``).

    Discriminator: ``(mean (D(real) - 1)^2 + mean D(fake)^2) / 2``; generator (generative
    path): ``mean (D(fake) - 1)^2``; reconstructive path (:meth:`paired_loss`):
    ``mean (D(rec) - D(real))^2``, matching the discriminator's scores of the
    reconstruction to those of its ground truth.
    """

    def generator_loss(self, fake_logits: Tensor) -> Tensor:
        return ((fake_logits - 1) ** 2).mean()

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return 0.5 * (((real_logits - 1) ** 2).mean() + (fake_logits ** 2).mean())

    def paired_loss(self, fake_logits: Tensor, real_logits: Tensor) -> Tensor:
        return ((fake_logits - real_logits) ** 2).mean()
