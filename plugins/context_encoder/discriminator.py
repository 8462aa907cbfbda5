"""The Context Encoder's adversarial discriminator.

Paper: Pathak et al., CVPR 2016, section 3.2: the discriminator is not conditioned on
the context; in the released code (``train.lua``, ``conditionAdv=0``) it judges the
predicted 64² centre with four 4x4 stride-2 convolutions (64-128-256-512, batch norm
after all but the first, LeakyReLU 0.2) and a 4x4 convolution to one logit.

What differs: the toolbox's generator predicts the whole image, so this discriminator
judges a square crop of ``crop_size`` centred on each sample's hole (the whole image's
centre when there is no hole), clamped inside the image: for the paper's centre mask at
128² and ``crop_size=64`` that is exactly the released code's input. It then has
``log2(crop_size / 4)`` stride-2 layers.
"""
from __future__ import annotations

import math

from torch import Tensor, nn

from toolbox import BaseDiscriminator
from toolbox.bases import check_image_and_mask

from toolbox.crops import hole_centred_crop
from toolbox.registry import DISCRIMINATORS

__all__ = ['ContextEncoderDiscriminator']


@DISCRIMINATORS.register_module()
class ContextEncoderDiscriminator(BaseDiscriminator):
    """``forward(image [B, 3, H, W], mask) -> logits [B, 1]`` on the hole-centred crop.

    Args:
        crop_size: side of the judged crop (64), a power of two >= 8, at most the image.
        base_channels: filters of the first layer (64), doubling up to ``8 * b``.
    """

    tiny_cfg = dict(crop_size=16, base_channels=4)

    def __init__(self, crop_size: int = 64, base_channels: int = 64) -> None:
        super().__init__()
        n = math.log2(crop_size / 4) if crop_size > 0 else 0
        if crop_size < 8 or n != int(n):
            raise ValueError('ContextEncoderDiscriminator: crop_size must be a power of two '
                             f'>= 8, got {crop_size}')
        self.crop_size = int(crop_size)
        layers, cin = [], 3
        for i in range(int(n)):
            cout = base_channels * min(2 ** i, 8)
            layers.append(nn.Conv2d(cin, cout, 4, 2, 1, bias=i == 0))
            if i:
                layers.append(nn.BatchNorm2d(cout))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            cin = cout
        layers.append(nn.Conv2d(cin, 1, 4))
        self.net = nn.Sequential(*layers)

    def forward(self, image: Tensor, mask: Tensor, **conditions: Tensor) -> Tensor:
        check_image_and_mask(image, mask, where='ContextEncoderDiscriminator')
        crop = hole_centred_crop(image, mask, self.crop_size)
        return self.net(crop).flatten(1)
