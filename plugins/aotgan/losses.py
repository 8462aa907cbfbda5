"""SM-PatchGAN, AOT-GAN's soft-mask-guided PatchGAN objective (Zeng et al., TVCG 2022,
Sec. 3.3, Eq. 4-5; the authors' ``smgan``).

Least squares: the discriminator learns 0 for the patches of real images and, for the
inpainted (composited) image, the *soft* label ``sigma(m)``: the hole mask blurred by a
Gaussian (the authors: 71x71 kernel, sigma 10, zero padding), so patches deep in the hole
are fake (1), known patches real (0) and the boundary in between. As the authors, the
logits are upsampled (bilinear, align_corners) to the mask's size before the comparison.
The generator's term is ``mean((D(z) - 1)^2)``; the authors multiply it by
``m / mean(m)`` *after* ``MSELoss`` has already reduced it to a scalar, so their term is
the plain mean over all pixels, which ``hole_only=False`` (the default) reproduces;
``hole_only=True`` gives the paper's Eq. 5 (hole pixels only, normalised by the hole area).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from toolbox import BaseAdversarialLoss
from toolbox.nn.precision import at_least_float32
from toolbox.registry import LOSSES

__all__ = ['SoftMaskGANLoss', 'gaussian_kernel', 'soft_mask_label']


def gaussian_kernel(size: int, sigma: float, dtype: torch.dtype = torch.float32) -> Tensor:
    """``[size]`` normalised 1-D Gaussian centred on ``size // 2`` (computed in float64,
    rounded once to ``dtype``)."""
    x = torch.arange(size, dtype=torch.float64) - size // 2
    k = torch.exp(-x ** 2 / (2 * float(sigma) ** 2))
    return (k / k.sum()).to(dtype)


def soft_mask_label(mask: Tensor, size: int = 71, sigma: float = 10.0) -> Tensor:
    """The mask ``[B, 1, H, W]`` blurred by a ``size`` x ``size`` Gaussian (zero padding)."""
    if size % 2 == 0 or size < 1:
        raise ValueError(f'soft_mask_label: size must be odd and positive, got {size}')
    k = gaussian_kernel(size, sigma, mask.dtype).to(mask.device)
    pad = size // 2
    out = F.conv2d(mask, k.view(1, 1, size, 1), padding=(pad, 0))
    return F.conv2d(out, k.view(1, 1, 1, size), padding=(0, pad))


@LOSSES.register_module()
class SoftMaskGANLoss(BaseAdversarialLoss):
    """SM-PatchGAN (see the module doc).

    Args:
        loss_weight: the generator term's weight (the authors: 0.01).
        kernel_size, sigma: the Gaussian blur of the label (the authors: 71, 10).
        hole_only: the generator's term over the hole only (paper) instead of everywhere
            (the authors' code).
        real_label: the discriminator's target for real patches: 0 (the authors' code);
            MMagic's ``GANLoss(gan_type='smgan')`` trains with 1 (its default real label),
            set in ``configs/aotgan/places_512_mmagic.py``.
    """

    tiny_cfg = dict(kernel_size=7, sigma=2.0)

    def __init__(self, loss_weight: float = 1.0, kernel_size: int = 71, sigma: float = 10.0,
                 hole_only: bool = False, real_label: float = 0.0) -> None:
        super().__init__(loss_weight)
        self.real_label = float(real_label)
        if int(kernel_size) % 2 == 0 or int(kernel_size) < 1:
            raise ValueError(f'SoftMaskGANLoss: kernel_size must be odd, got {kernel_size}')
        self.kernel_size = int(kernel_size)
        self.sigma = float(sigma)
        self.hole_only = bool(hole_only)

    @staticmethod
    def _to_mask_size(logits: Tensor, mask: Tensor) -> Tensor:
        if logits.shape[-2:] == mask.shape[-2:]:
            return logits
        return F.interpolate(logits, size=mask.shape[-2:], mode='bilinear',
                             align_corners=True)

    def label(self, mask: Tensor) -> Tensor:
        return soft_mask_label(at_least_float32(mask), self.kernel_size, self.sigma)

    def discriminator_terms(self, judge, real: Tensor, fake: Tensor, batch: dict):
        mask = batch['mask']
        real_logits = self._to_mask_size(judge(real), mask)
        fake_logits = self._to_mask_size(judge(fake), mask)
        loss = (F.mse_loss(fake_logits, self.label(mask).expand_as(fake_logits))
                + (real_logits - self.real_label).pow(2).mean())
        return {'loss_d': loss}, {'d_real': real_logits.detach().mean(),
                                  'd_fake': fake_logits.detach().mean()}

    def generator_terms(self, judge, fake: Tensor, real: Tensor, batch: dict,
                        fake_logits: Tensor | None = None) -> Tensor:
        mask = batch['mask']
        logits = self._to_mask_size(judge(fake) if fake_logits is None else fake_logits, mask)
        err = (logits - 1).pow(2)
        if not self.hole_only:
            return err.mean()
        m = mask.to(err.dtype).expand_as(err)
        return (err * m).sum() / m.sum().clamp_min(1.0)

    def generator_loss(self, fake_logits: Tensor) -> Tensor:
        return (fake_logits - 1).pow(2).mean()
