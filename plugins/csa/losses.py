"""CSA's consistency loss (Liu et al., ICCV 2019, Sec. 3.3, Eq. 5).

``L_c = sum_{y in M} |CSA(I)_y - Phi(I_gt)_y|^2 + |CSA_d(I)_y - Phi(I_gt)_y|^2``: the CSA
layer's output and the decoder's features at the same level, at the hole positions ``M``
of that level, against VGG-16's relu4_3 features of the ground truth (same size and
channel count: 32x32x512 at 256x256). Normalised as the official ``InnerCos`` layers'
``MSELoss``: divided by the element count ``B C H W`` of the feature map.

Unlike the official code, which adds ``Variable(loss.data, requires_grad=True)`` to the
generator's loss (a constant: the term is logged but trains nothing), this loss sends its
gradient into the generator, as the paper describes. The official ``MSELoss`` also counts
the known positions as ``|0 - Phi(I_gt)_y|^2`` (a constant there); this loss sums over the
hole only, as Eq. 5.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from .discriminator import csa_vgg

__all__ = ['CSAConsistencyLoss']


class CSAConsistencyLoss(nn.Module):
    """Built by :class:`~toolbox_plugins.csa.model.CSAInpaintor` from its ``consistency``
    config. ``forward(csa, csa_decoder, hole, gt)`` -> the unweighted ``L_c``.

    Args:
        loss_weight: its weight in the generator's loss (1 in the official code).
        pretrained: ImageNet VGG-16 weights (``vgg16-397923af.pth``); ``False`` for tests.
        vgg_weights: a path to that file, if not in the usual folders.
    """

    def __init__(self, loss_weight: float = 1.0, pretrained: bool = True,
                 vgg_weights: str | None = None) -> None:
        super().__init__()
        self.loss_weight = float(loss_weight)
        self._vgg_args = (bool(pretrained), vgg_weights)

    def target(self, gt: Tensor) -> Tensor:
        """VGG-16 relu4_3 of ``gt`` (no gradient: the ground truth trains nothing)."""
        vgg = csa_vgg(*self._vgg_args).to(gt.device)
        with torch.no_grad():
            return vgg(gt, ['relu4_3'])[0]

    @staticmethod
    def formula(csa: Tensor, csa_decoder: Tensor, hole: Tensor, target: Tensor) -> Tensor:
        """Eq. 5 on given features: the squared errors at the hole, over ``B C H W``."""
        # A narrow generator (the demo's, the tests') has fewer channels than relu4_3's
        # 512: it is held to the first ones. The paper's net has exactly 512.
        if csa.shape[1] < target.shape[1]:
            target = target[:, :csa.shape[1]]
        if csa.shape != target.shape or csa_decoder.shape != target.shape:
            raise ValueError(f'CSAConsistencyLoss: the CSA features {tuple(csa.shape)} and '
                             f'{tuple(csa_decoder.shape)} must match VGG relu4_3 of the '
                             f'ground truth {tuple(target.shape)}')
        hole = hole.to(csa.dtype)
        return (((csa - target) * hole).pow(2).sum()
                + ((csa_decoder - target) * hole).pow(2).sum()) / target.numel()

    def forward(self, csa: Tensor, csa_decoder: Tensor, hole: Tensor, gt: Tensor) -> Tensor:
        return self.formula(csa, csa_decoder, hole, self.target(gt))
