"""CSA's discriminators (Liu et al., ICCV 2019, Sec. 3.4): a PatchGAN on the image and a
patch discriminator on VGG-16's relu3_3 features of it, as the official ``netD``
(``NLayerDiscriminator``, 3 layers, instance norm) and ``netF`` (``PFDiscriminator``).

:class:`CSADiscriminator` holds both, so that one optimiser trains them (Adam is
per-parameter: two Adam optimisers with the official equal settings update exactly as one)
and :class:`~toolbox_plugins.csa.model.CSAInpaintor` judges with each.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from toolbox.bases import BaseDiscriminator
from toolbox.nn.vgg import shared_vgg
from toolbox.registry import DISCRIMINATORS

from .init import normal_init

__all__ = ['CSAPatchDiscriminator', 'CSAFeatureDiscriminator', 'CSADiscriminator',
           'csa_vgg']


def csa_vgg(pretrained: bool = True, weights: str | None = None):
    """The frozen VGG-16 (relu3_3, relu4_3) the discriminator and the consistency loss
    share (built once per process)."""
    return shared_vgg('vgg16', ('relu3_3', 'relu4_3'), pretrained, weights,
                      name='VGG16 (CSA)', option='vgg_weights=PATH')


@DISCRIMINATORS.register_module()
class CSAPatchDiscriminator(BaseDiscriminator):
    """PatchGAN: 4x4 convolutions, ``base_channels * (1, 2, 4)`` with stride 2, ``8
    base_channels`` with stride 1, then one logit per patch; instance norm (so biased
    convolutions, as the official net), leaky ReLU 0.2. 2,766,529 parameters."""

    tiny_cfg = dict(base_channels=4)

    def __init__(self, in_channels: int = 3, base_channels: int = 64) -> None:
        super().__init__()
        c = base_channels
        layers = [nn.Conv2d(in_channels, c, 4, 2, 1), nn.LeakyReLU(0.2)]
        for cin, cout, stride in ((c, 2 * c, 2), (2 * c, 4 * c, 2), (4 * c, 8 * c, 1)):
            layers += [nn.Conv2d(cin, cout, 4, stride, 1), nn.InstanceNorm2d(cout, affine=True),
                       nn.LeakyReLU(0.2)]
        layers.append(nn.Conv2d(8 * c, 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)
        normal_init(self)

    def forward(self, image: Tensor, mask: Tensor | None = None) -> Tensor:
        return self.net(image)


@DISCRIMINATORS.register_module()
class CSAFeatureDiscriminator(BaseDiscriminator):
    """The feature patch discriminator on 256-channel VGG relu3_3 maps: three 4x4 stride-2
    convolutions (256 -> 512 -> 512 -> 512, instance norm without affine after the second),
    leaky ReLU 0.2; its 512 output channels are the logits. 10,487,296 parameters.

    ``forward(image, mask)`` reads VGG-16 relu3_3 of ``image``; :meth:`judge_features`
    takes the features."""

    tiny_cfg = dict(pretrained=False)

    def __init__(self, in_channels: int = 256, channels: int = 512, pretrained: bool = True,
                 vgg_weights: str | None = None) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, channels, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(channels, channels, 4, 2, 1), nn.InstanceNorm2d(channels),
            nn.LeakyReLU(0.2), nn.Conv2d(channels, channels, 4, 2, 1))
        self._vgg_args = (bool(pretrained), vgg_weights)
        normal_init(self)

    def features(self, image: Tensor) -> Tensor:
        """VGG-16 relu3_3 of ``image`` (the frozen network is built at the first use and
        kept out of this module's parameters and state dict)."""
        vgg = csa_vgg(*self._vgg_args).to(image.device)
        return vgg(image, ['relu3_3'])[0]

    def judge_features(self, features: Tensor) -> Tensor:
        return self.net(features)

    def forward(self, image: Tensor, mask: Tensor | None = None) -> Tensor:
        return self.judge_features(self.features(image))


@DISCRIMINATORS.register_module()
class CSADiscriminator(BaseDiscriminator):
    """Both discriminators: ``patch`` (:class:`CSAPatchDiscriminator`) and ``feature``
    (:class:`CSAFeatureDiscriminator`). ``forward`` returns both logits flattened and
    concatenated ``[B, N_patch + N_feature]``; the CSA model judges with each separately.
    """

    tiny_cfg = dict(patch=dict(base_channels=4), feature=dict(pretrained=False))

    def __init__(self, patch: dict | None = None, feature: dict | None = None) -> None:
        super().__init__()
        self.patch = CSAPatchDiscriminator(**(patch or {}))
        self.feature = CSAFeatureDiscriminator(**(feature or {}))

    def forward(self, image: Tensor, mask: Tensor | None = None) -> Tensor:
        return torch.cat([self.patch(image).flatten(1), self.feature(image).flatten(1)], 1)
