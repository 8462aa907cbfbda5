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
[0, 1] image unnormalised); the network is the engine's frozen VGG19
(:func:`toolbox.nn.vgg.shared_vgg`), one instance shared with DMFN's losses.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from toolbox import BaseReconstructionLoss
from toolbox.nn.vgg import gram as gram_matrix
from toolbox.nn.vgg import shared_vgg, vgg_layers
from toolbox.registry import LOSSES

__all__ = ['HoleNormalizedL1Loss', 'StyleLoss', 'gram_matrix']


@LOSSES.register_module()
class HoleNormalizedL1Loss(BaseReconstructionLoss):
    """The registered ``L1Loss`` (hole- and valid-weighted mean absolute error) divided by
    the batch's hole fraction ``mean(mask)``, as the authors' image model
    (``l1(outputs, images) / mean(masks)`` on the raw output): the loss of a small hole is
    not drowned by the known pixels the generator only has to copy. A batch without holes
    is not divided.

    Args:
        hole_weight, valid_weight: as ``L1Loss``'s (the authors: both 1).
    """

    tiny_cfg = dict(hole_weight=2.0, valid_weight=0.5)

    def __init__(self,
                 loss_weight: float = 1.0,
                 outputs: Sequence[str] = ('output',),
                 hole_weight: float = 1.0,
                 valid_weight: float = 1.0) -> None:
        super().__init__(loss_weight, outputs)
        # Built by name from the registry: the pixel loss is the basic plugin's, and a
        # plugin imports only the engine and its own folder.
        l1 = LOSSES.build(dict(type='L1Loss', hole_weight=hole_weight,
                               valid_weight=valid_weight))
        self.hole_weight, self.valid_weight = l1.hole_weight, l1.valid_weight
        # a plain attribute: no second loss in the module tree (it has no state)
        self.__dict__['l1'] = l1

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        fraction = mask.float().mean()
        return self.__dict__['l1'](pred, target, mask) / torch.where(
            fraction > 0, fraction, torch.ones_like(fraction))


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
        names = vgg_layers('vgg19')
        unknown = [n for n in layers if n not in names]
        if unknown or not layers:
            raise ValueError(f'StyleLoss: layers must be among {list(names)}, got '
                             f'{list(layers)}')
        if region not in ('hole', 'all'):
            raise ValueError(f"StyleLoss: region must be 'hole' or 'all', got {region!r}")
        self.layers = layers
        self.region = region
        # Shared and frozen: kept out of this module's parameters and state_dict.
        self.__dict__['vgg'] = shared_vgg('vgg19', pretrained=pretrained, weights=vgg_weights,
                                          name='VGG19 (EdgeConnect style loss)',
                                          option="the loss's vgg_weights=PATH")

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
        for f, r in zip(fake, real):
            total = total + (gram_matrix(f) - gram_matrix(r.detach())).abs().mean()
        return total
