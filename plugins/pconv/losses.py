"""The losses of Partial Convolutions (Liu et al., ECCV 2018, Sec. 3.4).

``L = L_valid + 6 L_hole + 0.05 L_perceptual + 120 (L_style_out + L_style_comp) + 0.1 L_tv``;
``L_valid`` and ``L_hole`` are the toolbox's ``L1Loss(valid_weight=1, hole_weight=6)``
(mean over all pixels and channels: the paper's ``1 / N_Igt``). The other terms are here.
Each receives the raw output ``I_out``, the ground truth and the hole mask, and forms the
composite ``I_comp`` (the output in the hole, the ground truth elsewhere) itself.

Features: VGG-16's pool1, pool2, pool3 of the engine's frozen :class:`toolbox.nn.vgg.FrozenVGG`
(ImageNet weights, torchvision's ``vgg16-397923af.pth``; ``pretrained=False`` builds random
weights, for tests only).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from toolbox import BaseReconstructionLoss
from toolbox.nn.vgg import FrozenVGG, gram, shared_vgg
from toolbox.registry import LOSSES

__all__ = ['PConvPerceptualLoss', 'PConvStyleLoss', 'DilatedHoleTVLoss', 'gram',
           'dilated_hole_tv']

#: the features the losses compare
POOLS = ('pool1', 'pool2', 'pool3')


def _vgg(pretrained: bool, weights: str | None) -> FrozenVGG:
    return shared_vgg('vgg16', POOLS, pretrained=pretrained, weights=weights,
                      name='VGG16 (PConv losses)', option="the loss's vgg_weights=PATH")


def _composite(pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    return pred * mask + target * (1 - mask)


class _VGGLoss(BaseReconstructionLoss):
    def __init__(self, loss_weight: float = 1.0, outputs: Sequence[str] = ('output',),
                 pretrained: bool = True, vgg_weights: str | None = None) -> None:
        super().__init__(loss_weight, outputs)
        # a plain attribute: the frozen network is no part of the loss's state_dict
        object.__setattr__(self, '_vgg', _vgg(pretrained, vgg_weights))

    def _features(self, pred, target, mask):
        vgg = self._vgg.to(pred.device)
        with torch.no_grad():
            real = vgg(target)
        return vgg(pred), vgg(_composite(pred, target, mask)), real


@LOSSES.register_module()
class PConvPerceptualLoss(_VGGLoss):
    """Equation 3: ``sum_p |psi_p(I_out) - psi_p(I_gt)|_1 / N + |psi_p(I_comp) -
    psi_p(I_gt)|_1 / N`` over pool1..3 (``N``: elements of ``psi_p``; weight 0.05)."""

    tiny_cfg = dict(pretrained=False)

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        out, comp, real = self._features(pred, target, mask)
        return sum(F.l1_loss(o, r) + F.l1_loss(c, r) for o, c, r in zip(out, comp, real))


@LOSSES.register_module()
class PConvStyleLoss(_VGGLoss):
    """Equations 4 and 5: ``L_style_out + L_style_comp``, the L1 distances of the Gram
    matrices (``K_p = 1 / (C H W)``) over pool1..3, each divided by ``C^2`` (weight 120)."""

    tiny_cfg = dict(pretrained=False)

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        out, comp, real = self._features(pred, target, mask)
        return sum(F.l1_loss(gram(o), gram(r)) + F.l1_loss(gram(c), gram(r))
                   for o, c, r in zip(out, comp, real))


def dilated_hole_tv(image: Tensor, mask: Tensor) -> Tensor:
    """Equation 6: ``sum_{(i,j), (i,j+1) in P} |I[i,j+1] - I[i,j]| / N + (the same down
    the rows)``, ``P`` the hole dilated by one pixel (3x3), ``N`` the elements of
    ``image``."""
    region = F.max_pool2d((mask > 0.5).to(image.dtype), 3, stride=1, padding=1)
    horizontal = region[..., :, 1:] * region[..., :, :-1]
    vertical = region[..., 1:, :] * region[..., :-1, :]
    tv = ((image[..., :, 1:] - image[..., :, :-1]).abs() * horizontal).sum() \
        + ((image[..., 1:, :] - image[..., :-1, :]).abs() * vertical).sum()
    return tv / image.numel()


@LOSSES.register_module()
class DilatedHoleTVLoss(BaseReconstructionLoss):
    """Total variation of the composite on the 1-pixel dilated hole (equation 6; weight
    0.1)."""

    tiny_cfg = {}

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        return dilated_hole_tv(_composite(pred, target, mask), mask)
