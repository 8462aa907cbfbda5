"""LaMa's losses (Suvorov et al., WACV 2022): the non-saturating GAN loss with an R1
penalty, the discriminator feature-matching loss, and the high-receptive-field perceptual
loss (HRFPL) on a configurable frozen backbone.

The L1 term (weight 10 on known pixels, 0 in the hole) is the basic plugin's ``L1Loss``
with ``hole_weight=0, valid_weight=1, loss_weight=10``.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from toolbox import BaseAdversarialLoss, BaseFeatureMatchingLoss, BaseReconstructionLoss
from toolbox.models.adversarial import (nonsaturating_discriminator_loss,
                                        nonsaturating_generator_loss, r1_penalty)
from toolbox.nn.precision import at_least_float32
from toolbox.nn.vgg import FrozenVGG
from toolbox.registry import LOSSES
from toolbox.weights import timm_weights_file

from .resnet_pl import ade20k_resnet50dilated, to_ade20k

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def patch_holes(mask: Tensor, size: Sequence[int]) -> Tensor:
    """``[B, 1, h, w]``: 1 where the cell of ``mask [B, 1, H, W]`` under each of the ``h x w``
    logits holds any hole pixel."""
    return F.adaptive_max_pool2d(at_least_float32(mask), tuple(size))


@LOSSES.register_module()
class NonSaturatingR1Loss(BaseAdversarialLoss):
    """Non-saturating logistic GAN loss with Mescheder et al.'s R1 penalty on real images:
    ``r1_weight * mean_b ||d D(x_b) / d x_b||^2`` added to the discriminator's loss.

    With ``mask_as_fake_target`` (LaMa's training configs), the discriminator learns that
    only the patches of the fake image that touch a hole are fake: the others, which the
    generator only had to copy, get the real target. Train with
    ``GANInpaintor(disc_input='output')`` so that D judges the raw output, whose known
    region the generator does have to reproduce, as LaMa does.

    Args:
        loss_weight: weight of the generator's term (LaMa: 10).
        r1_weight: the penalty's weight (LaMa: 0.001).
        mask_as_fake_target: label fake patches by the hole mask.
        mask_sampling: how the hole mask becomes one label per logit: ``'any'`` (default):
            a patch is a hole patch when any pixel of its cell of the input (the input
            size divided by the logit map's) is a hole, so a patch that touches a hole is
            never called real; ``'nearest'``: the mask sampled at the nearest pixel
            (``F.interpolate(mode='nearest')``), as LaMa's code (``allow_scale_mask``,
            ``mask_scale_mode='nearest'``).
    """

    tiny_cfg = dict(r1_weight=0.001, mask_as_fake_target=True)

    def __init__(self, loss_weight: float = 1.0, r1_weight: float = 0.001,
                 mask_as_fake_target: bool = False, mask_sampling: str = 'any') -> None:
        super().__init__(loss_weight)
        self.r1_weight = float(r1_weight)
        self.mask_as_fake_target = bool(mask_as_fake_target)
        if mask_sampling not in ('any', 'nearest'):
            raise ValueError("NonSaturatingR1Loss: mask_sampling must be 'any' or 'nearest', "
                             f'got {mask_sampling!r}')
        self.mask_sampling = mask_sampling

    def generator_loss(self, fake_logits: Tensor) -> Tensor:
        return nonsaturating_generator_loss(fake_logits)

    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor,
                           mask: Tensor | None = None) -> Tensor:
        if not self.mask_as_fake_target:
            return nonsaturating_discriminator_loss(real_logits, fake_logits)
        if mask is None:
            raise ValueError('NonSaturatingR1Loss(mask_as_fake_target=True) needs the hole '
                             'mask: discriminator_loss(real_logits, fake_logits, mask=...)')
        size = tuple(fake_logits.shape[-2:])
        hole = (patch_holes(mask, size) if self.mask_sampling == 'any' else
                F.interpolate(mask.float(), size=size, mode='nearest')).to(fake_logits.dtype)
        fake = hole * F.softplus(fake_logits) + (1 - hole) * F.softplus(-fake_logits)
        return F.softplus(-real_logits).mean() + fake.mean()

    def real_penalty(self, real_image: Tensor, real_logits: Tensor) -> Tensor:
        if not real_image.requires_grad:
            raise ValueError('NonSaturatingR1Loss.real_penalty: real_image must require '
                             'gradients (the discriminator must see it with requires_grad)')
        if self.r1_weight == 0:
            return real_logits.new_zeros(())
        return r1_penalty(real_image, real_logits) * self.r1_weight

    def discriminator_terms(self, judge, real: Tensor, fake: Tensor, batch: dict):
        # the penalty differentiates D(real) with respect to the real image
        real = real.detach().requires_grad_(True)
        real_logits, fake_logits = judge(real), judge(fake)
        terms = {'loss_d': self.discriminator_loss(real_logits, fake_logits, mask=batch['mask']),
                 'loss_d_penalty': self.real_penalty(real, real_logits)}
        return terms, {'d_real': real_logits.detach().mean(),
                       'd_fake': fake_logits.detach().mean()}


@LOSSES.register_module()
class DiscriminatorFeatureMatchingLoss(BaseFeatureMatchingLoss):
    """Mean over the discriminator's layers of the mean L2 (``kind='l2'``, LaMa's
    "discriminator perceptual loss") or L1 distance between fake and real feature maps.

    Args:
        loss_weight: LaMa: 100.
        kind: ``'l2'`` (squared error) or ``'l1'``.
    """

    tiny_cfg = dict(kind='l2')

    def __init__(self, loss_weight: float = 1.0, kind: str = 'l2') -> None:
        super().__init__(loss_weight)
        if kind not in ('l1', 'l2'):
            raise ValueError(f"DiscriminatorFeatureMatchingLoss: kind must be 'l1' or 'l2', "
                             f'got {kind!r}')
        self.kind = kind

    def forward(self, fake_features: list[Tensor], real_features: list[Tensor]) -> Tensor:
        if len(fake_features) != len(real_features) or not fake_features:
            raise ValueError('DiscriminatorFeatureMatchingLoss: got '
                             f'{len(fake_features)} fake and {len(real_features)} real '
                             'feature maps; expected the same non-zero number')
        dist = F.mse_loss if self.kind == 'l2' else F.l1_loss
        losses = [dist(f, r.detach()) for f, r in zip(fake_features, real_features)]
        return torch.stack(losses).mean()


#: indices in ``features`` of the last ReLU of each VGG block
VGG_LAYERS = {'vgg16': (3, 8, 15, 22, 29), 'vgg19': (3, 8, 17, 26, 35)}


@LOSSES.register_module()
class HRFPerceptualLoss(BaseReconstructionLoss):
    """High-receptive-field perceptual loss: sum over the chosen stages of a frozen
    backbone of the mean squared difference of the features of prediction and target.

    LaMa uses the encoder of a dilated ResNet-50 trained for ADE20k segmentation
    (``'ade20k:resnet50dilated'``, its three-convolution stem, :mod:`.resnet_pl`; weights
    from its file ``encoder_epoch_20.pth``); any timm backbone (``'timm:resnet50'``, with
    ``output_stride=8`` for the dilated variant) or torchvision's ``'vgg19'`` /
    ``'vgg16'`` can stand in. Images are mapped from [-1, 1] to ImageNet normalisation.
    The backbone is frozen; gradients flow through it to the prediction.

    Args:
        loss_weight: LaMa: 30.
        outputs: generator outputs it applies to (the raw output, as in LaMa).
        backbone: ``'ade20k:resnet50dilated'``, ``'timm:<name>'`` or ``'vgg19'`` /
            ``'vgg16'``.
        pretrained: load the backbone's weights from ``weights`` or the caches (fails within
            a second offline, naming the file). ``False``: random weights, for tests only.
        weights: a local file or folder of the weights (ADE20k: ``encoder_epoch_20.pth``
            of ``ade20k-resnet50dilated-ppm_deepsup``; timm: the model's
            ``.safetensors``/``.pth``; VGG: torchvision's ``vgg19-dcbb9e9d.pth``).
        layers: ResNet stages / timm ``out_indices`` (default ``(1, 2, 3, 4)``, the four
            ResNet stages) or indices into VGG's ``features`` (default: the last ReLU of
            each block).
        output_stride: timm only; 8 dilates the last two stages as LaMa's segmentation
            ResNet does (``None``: the backbone's own, 32). The ADE20k encoder is always 8.
        backbone_mode: ``'eval'`` (default): the backbone's batch norms use its running
            statistics, as a frozen network should; ``'train'``: they normalise with each
            batch's statistics (and move the running ones), as in LaMa's training, where
            Lightning's ``model.train()`` reaches the loss network too.
    """

    tiny_cfg = dict(backbone='timm:resnet18', pretrained=False, output_stride=None,
                    layers=(1, 2))

    def __init__(self,
                 loss_weight: float = 1.0,
                 outputs: Sequence[str] = ('output',),
                 backbone: str = 'timm:resnet50',
                 pretrained: bool = True,
                 weights: str | None = None,
                 layers: Sequence[int] | None = None,
                 output_stride: int | None = 8,
                 backbone_mode: str = 'eval') -> None:
        super().__init__(loss_weight, outputs)
        self.backbone = backbone
        if backbone_mode not in ('eval', 'train'):
            raise ValueError("HRFPerceptualLoss: backbone_mode must be 'eval' or 'train', got "
                             f'{backbone_mode!r}')
        self.backbone_mode = backbone_mode
        if backbone == 'ade20k:resnet50dilated':
            self.net = ade20k_resnet50dilated(tuple(layers or (1, 2, 3, 4)), pretrained,
                                              weights)
            mean, std = IMAGENET_MEAN, IMAGENET_STD
            self._vgg_layers = None
        elif backbone.startswith('timm:'):
            import timm
            name = backbone[len('timm:'):]
            kwargs = dict(features_only=True, out_indices=tuple(layers or (1, 2, 3, 4)))
            if output_stride is not None:
                kwargs['output_stride'] = int(output_stride)
            if pretrained:
                path = timm_weights_file(name, f'LaMa perceptual network ({name}, timm)',
                                         weights, option='HRFPerceptualLoss(weights=...)')
                self.net = timm.create_model(name, pretrained=True,
                                             pretrained_cfg_overlay=dict(file=path), **kwargs)
            else:
                self.net = timm.create_model(name, pretrained=False, **kwargs)
            cfg = getattr(self.net, 'pretrained_cfg', {}) or {}
            mean, std = cfg.get('mean', IMAGENET_MEAN), cfg.get('std', IMAGENET_STD)
            self._vgg_layers = None
        elif backbone in VGG_LAYERS:
            self.net = FrozenVGG(backbone, tuple(layers or VGG_LAYERS[backbone]), pretrained,
                                 weights,
                                 name=f'LaMa perceptual network ({backbone}, torchvision)',
                                 option='HRFPerceptualLoss(weights=...)')
            # in network order, each once
            self._vgg_layers = tuple(sorted(set(self.net.layers), key=self.net.index))
            mean, std = IMAGENET_MEAN, IMAGENET_STD
        else:
            raise ValueError("HRFPerceptualLoss: backbone must be 'ade20k:resnet50dilated', "
                             f"'timm:<model name>', 'vgg19' or 'vgg16', got {backbone!r}")
        self.net.requires_grad_(False)
        self.net.eval()
        self.register_buffer('mean', torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.backbone_mode == 'eval':
            self.net.eval()      # frozen: batch-norm statistics never change
        return self

    def ade20k_state_dict(self) -> dict[str, Tensor]:
        """The ADE20k backbone's weights under the names of its file
        (``encoder_epoch_20.pth``): to give another implementation the same weights."""
        if self.backbone != 'ade20k:resnet50dilated':
            raise ValueError('HRFPerceptualLoss.ade20k_state_dict: the backbone is '
                             f'{self.backbone!r}, not ade20k:resnet50dilated')
        return to_ade20k(self.net.state_dict())

    def features(self, image: Tensor) -> list[Tensor]:
        if self._vgg_layers is not None:
            return self.net(image, self._vgg_layers)   # FrozenVGG normalises [-1, 1] input
        x = ((image + 1) / 2 - self.mean) / self.std          # [-1, 1] -> ImageNet normalised
        return list(self.net(x))

    def forward(self, pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        fake = self.features(pred)
        with torch.no_grad():
            real = self.features(target)
        # Summed over stages, as the authors do (their weight 30 applies to the sum).
        return torch.stack([F.mse_loss(f, r) for f, r in zip(fake, real)]).sum()
