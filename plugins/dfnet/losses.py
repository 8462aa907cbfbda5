"""DFNet's total-variation loss (Hong et al., ACM MM 2019; the authors'
``TotalVariationLoss``); its other terms are the toolbox's existing L1, perceptual and style
losses applied to the outputs at several scales (see README.md).

The authors' "gradient" is one correlation with the kernel ``[[0, 1, 0], [1, -2, 0],
[0, 0, 0]]`` (zero padding 1) per channel: ``g(i, j) = x(i-1, j) + x(i, j-1) - 2 x(i, j)``,
i.e. minus the sum of the backward differences along rows and columns; the loss is
``mean(|g * mask|)`` over all pixels and channels, the mask resized to the image (the engine
does that for outputs at smaller scales).
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from toolbox import BaseReconstructionLoss
from toolbox.registry import LOSSES

__all__ = ['TotalVariationLoss', 'tv_gradient']


def tv_gradient(image: Tensor) -> Tensor:
    """``x(i-1, j) + x(i, j-1) - 2 x(i, j)`` per channel, zeros outside the image."""
    c = image.shape[1]
    kernel = image.new_tensor([[0., 1., 0.], [1., -2., 0.], [0., 0., 0.]])
    return F.conv2d(image, kernel.expand(c, 1, 3, 3), padding=1, groups=c)


@LOSSES.register_module()
class TotalVariationLoss(BaseReconstructionLoss):
    """``mean(|tv_gradient(pred) * mask|)`` (see the module doc); ``target`` is unused.

    The authors' code applies it to the *resized targets* (so it never reaches the
    generator, a slip); here it applies to the outputs, as the paper intends.
    """

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        if mask.shape[-2:] != pred.shape[-2:]:
            raise ValueError(f'TotalVariationLoss: mask {list(mask.shape)} and pred '
                             f'{list(pred.shape)} differ in size')
        return (tv_gradient(pred) * mask.to(pred.dtype)).abs().mean()
