"""EdgeConnect's image-model losses that the other plugins do not already provide.

The image model G2 trains on ``L1 + 0.1 L_adv + 0.1 L_perc + 250 L_style`` (paper, Sec.
3.2; the authors' ``config.yml``). The adversarial term is the basic plugin's
``NonSaturatingGANLoss`` (the authors' ``nsgan``: ``BCELoss`` after a sigmoid); the
perceptual term is DMFN's ``VGGFeatureMatchingLoss`` with unit layer weights on relu1_1 ...
relu5_1 of the raw output. The edge model's feature matching is DMFN's
``DMFNFeatureMatchingLoss`` with unit layer weights (the authors sum the L1 of the five
discriminator layers). Here: the L1 term the authors normalise by the hole fraction, and the
style loss.

Differences from the authors' code: VGG19 sees ImageNet-normalised input (theirs feeds the
[0, 1] image unnormalised); the network is torchvision's VGG19 shared with DMFN's losses.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from toolbox import BaseReconstructionLoss
from toolbox.registry import LOSSES
from toolbox_plugins.basic.losses import L1Loss
from toolbox_plugins.dmfn.vgg import VGG19_LAYERS, shared_vgg19

__all__ = ['HoleNormalizedL1Loss', 'StyleLoss', 'gram_matrix']


@LOSSES.register_module()
class HoleNormalizedL1Loss(L1Loss):
    """``L1Loss`` divided by the batch's hole fraction ``mean(mask)``, as the authors'
    image model (``l1(outputs, images) / mean(masks)`` on the raw output): the loss of a
    small hole is not drowned by the known pixels the generator only has to copy. A batch
    without holes is not divided."""

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        fraction = mask.float().mean()
        return super().forward(pred, target, mask) / torch.where(
            fraction > 0, fraction, torch.ones_like(fraction))


def gram_matrix(features: Tensor) -> Tensor:
    """``[B, C, C]`` Gram matrices of ``features`` ``[B, C, H, W]``, divided by ``C H W``."""
    b, c, h, w = features.shape
    f = features.reshape(b, c, h * w)
    return f @ f.transpose(1, 2) / (c * h * w)


@LOSSES.register_module()
class StyleLoss(BaseReconstructionLoss):
    """Sum over VGG19 layers of the mean absolute difference of the Gram matrices of the
    output's and the target's features (Gatys et al.; EdgeConnect Sec. 3.2).

    With ``region='hole'`` (the authors) both images are blacked out outside the hole
    first (``x * mask`` in [0, 1]), so only the hole's texture is compared.

    Args:
        layers: VGG19 layers (the authors: relu2_2, relu3_4, relu4_4, relu5_2).
        region: ``'hole'`` or ``'all'`` (the whole images).
        pretrained: torchvision's ImageNet weights (file via :mod:`toolbox.weights`;
            ``vgg_weights=PATH``); ``False`` builds random weights, for tests only.
    """

    tiny_cfg = dict(pretrained=False, layers=('relu2_2', 'relu3_4'))

    def __init__(self,
                 loss_weight: float = 1.0,
                 outputs: Sequence[str] = ('output',),
                 layers: Sequence[str] = ('relu2_2', 'relu3_4', 'relu4_4', 'relu5_2'),
                 region: str = 'hole',
                 pretrained: bool = True,
                 vgg_weights: str | None = None) -> None:
        super().__init__(loss_weight, outputs)
        layers = (layers,) if isinstance(layers, str) else tuple(layers)
        unknown = [n for n in layers if n not in VGG19_LAYERS]
        if unknown or not layers:
            raise ValueError(f'StyleLoss: layers must be among {list(VGG19_LAYERS)}, got '
                             f'{list(layers)}')
        if region not in ('hole', 'all'):
            raise ValueError(f"StyleLoss: region must be 'hole' or 'all', got {region!r}")
        self.layers = layers
        self.region = region
        # Shared and frozen: kept out of this module's parameters and state_dict.
        self.__dict__['vgg'] = shared_vgg19(pretrained, vgg_weights)

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        if pred.shape != target.shape or pred.ndim != 4 or pred.shape[1] != 3:
            raise ValueError(f'StyleLoss: pred and target must be [B, 3, H, W] alike, got '
                             f'{list(pred.shape)} and {list(target.shape)}')
        if self.region == 'hole':       # black ([0, 1]: 0, here -1) outside the hole
            pred, target = (pred + 1) * mask - 1, (target + 1) * mask - 1
        vgg = self.__dict__['vgg']
        if vgg.mean.device != pred.device:
            vgg.to(pred.device)
        fake, real = vgg(pred, self.layers), vgg(target, self.layers)
        total = pred.new_zeros(())
        for name in self.layers:
            total = total + (gram_matrix(fake[name])
                             - gram_matrix(real[name].detach())).abs().mean()
        return total
