"""LBAM's two-column discriminator (Xie et al., ICCV 2019, Sec. 3.4).

Two columns of ``num_layers`` 4x4 convolutions of stride 2 (widths 64, 128, 256, 512,
512, 512), batch norm on all but the first, LeakyReLU 0.2: one column reads the known
region of the image (``image * (1 - hole)``), the other the hole (``image * hole``). Their
features, concatenated, go through a 4x4 convolution to one logit per 4x4 patch of the
last level (one logit at 256x256), and a sigmoid as in the official code.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from toolbox.bases import BaseDiscriminator
from toolbox.registry import DISCRIMINATORS

__all__ = ['LBAMDiscriminator']


def _column(base_channels: int, num_layers: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    cin = 3
    for i in range(num_layers):
        cout = min(base_channels * 2 ** i, 8 * base_channels)
        layers.append(nn.Conv2d(cin, cout, 4, 2, 1))
        if i > 0:
            layers.append(nn.BatchNorm2d(cout))
        layers.append(nn.LeakyReLU(0.2))
        cin = cout
    return nn.Sequential(*layers)


@DISCRIMINATORS.register_module()
class LBAMDiscriminator(BaseDiscriminator):
    """``forward(image, mask) -> [B, N]`` scores (N = 1 at 256x256 with 6 layers).

    Args:
        base_channels: width of the first layer of each column (64).
        num_layers: layers per column (6, for 256x256); height and width must be
            multiples of ``2 ** num_layers`` and at least four times that.
        sigmoid: squash the scores to (0, 1), as the official code (which feeds them to
            a WGAN-GP objective all the same); ``False`` gives a plain critic.
    """

    tiny_cfg = dict(base_channels=4, num_layers=4)

    def __init__(self, base_channels: int = 64, num_layers: int = 6,
                 sigmoid: bool = True) -> None:
        super().__init__()
        self.num_layers = int(num_layers)
        self.known_column = _column(int(base_channels), self.num_layers)
        self.hole_column = _column(int(base_channels), self.num_layers)
        width = min(int(base_channels) * 2 ** (self.num_layers - 1), 8 * int(base_channels))
        self.fusion = nn.Conv2d(2 * width, 1, 4)
        self.sigmoid = bool(sigmoid)

    @property
    def size_multiple(self) -> int:   # type: ignore[override]
        return 2 ** self.num_layers

    def forward(self, image: Tensor, mask: Tensor) -> Tensor:
        smallest = 4 * 2 ** self.num_layers
        if image.shape[-1] < smallest or image.shape[-2] < smallest:
            raise ValueError(f'LBAMDiscriminator: images must be at least {smallest}x'
                             f'{smallest} with num_layers={self.num_layers}, got '
                             f'{image.shape[-2]}x{image.shape[-1]}')
        features = torch.cat([self.known_column(image * (1 - mask)),
                              self.hole_column(image * mask)], 1)
        scores = self.fusion(features).flatten(1)
        return torch.sigmoid(scores) if self.sigmoid else scores
