"""Global&Local's context discriminators: a global one on the whole image, a local one on
a patch around the completed region, their outputs concatenated into one fully connected
layer.

Paper: Iizuka et al., SIGGRAPH 2017, section 3.2 and Tables 2-4: the global
discriminator has six 5x5 stride-2 convolutions (64-128-256-512-512-512) on the 256²
image and a fully connected layer to 1024; the local one five (64-128-256-512-512) on a
128² patch and a fully connected layer to 1024; the concatenated 2048 values go through
one fully connected layer to a single output (batch norm and ReLU after the convolutions,
a sigmoid at the end: here the logit, the GAN loss applies the sigmoid).

The local patch: the ``local_size`` x ``local_size`` pixels centred on the bounding box
of each sample's hole, shifted to lie inside the image
(:func:`toolbox.crops.hole_centred_crop`; pixel-exact, no resampling). The paper takes
the random 128² training patch that contains the hole; centring on the hole is the same
patch whenever the hole is centred in it, and needs no extra input. A sample without
hole uses the image centre.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from toolbox import BaseDiscriminator
from toolbox.bases import check_image_and_mask
from toolbox.crops import hole_centred_crop
from toolbox.registry import DISCRIMINATORS

__all__ = ['GlobalLocalDiscriminator']


def _branch(size: int, base: int, where: str) -> nn.Sequential:
    n = math.log2(size / 4) if size > 0 else 0
    if size < 8 or n != int(n):
        raise ValueError(f'GlobalLocalDiscriminator: {where} must be a power of two >= 8, '
                         f'got {size}')
    layers, cin = [], 3
    for i in range(int(n)):
        cout = base * min(2 ** i, 8)
        layers += [nn.Conv2d(cin, cout, 5, 2, 2), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
        cin = cout
    return nn.Sequential(*layers, nn.Flatten(1))


@DISCRIMINATORS.register_module()
class GlobalLocalDiscriminator(BaseDiscriminator):
    """``forward(image [B, 3, image_size, image_size], mask) -> logits [B, 1]``.

    Args:
        image_size: side of the judged images (256); ``log2(image_size / 4)`` global layers.
        local_size: side of the local patch (128); ``log2(local_size / 4)`` local layers.
        base_channels: filters of each branch's first layer (64), doubling up to ``8 b``.
        fc_channels: outputs of each branch's fully connected layer (1024).
    """

    tiny_cfg = dict(image_size=64, local_size=32, base_channels=4, fc_channels=16)

    def __init__(self, image_size: int = 256, local_size: int = 128,
                 base_channels: int = 64, fc_channels: int = 1024) -> None:
        super().__init__()
        if local_size > image_size:
            raise ValueError(f'GlobalLocalDiscriminator: local_size {local_size} exceeds '
                             f'image_size {image_size}')
        self.image_size, self.local_size = int(image_size), int(local_size)
        self.global_branch = _branch(self.image_size, base_channels, 'image_size')
        self.local_branch = _branch(self.local_size, base_channels, 'local_size')
        width = lambda branch: [m for m in branch if isinstance(m, nn.Conv2d)][-1].out_channels  # noqa: E731
        self.global_fc = nn.Linear(width(self.global_branch) * 16, fc_channels)
        self.local_fc = nn.Linear(width(self.local_branch) * 16, fc_channels)
        self.fc = nn.Linear(2 * fc_channels, 1)

    def forward(self, image: Tensor, mask: Tensor, **conditions: Tensor) -> Tensor:
        check_image_and_mask(image, mask, where='GlobalLocalDiscriminator')
        if tuple(image.shape[2:]) != (self.image_size, self.image_size):
            raise ValueError(f'GlobalLocalDiscriminator: built for {self.image_size}x'
                             f'{self.image_size} images (image_size=...), got '
                             f'{image.shape[2]}x{image.shape[3]}')
        local = hole_centred_crop(image, mask, self.local_size)
        both = torch.cat([self.global_fc(self.global_branch(image)),
                          self.local_fc(self.local_branch(local))], dim=1)
        return self.fc(both)
