"""The Global&Local completion network: a fully convolutional encoder-decoder with four
dilated convolutions at a quarter of the resolution.

Paper: S. Iizuka, E. Simo-Serra, H. Ishikawa, "Globally and Locally Consistent Image
Completion", ACM ToG (SIGGRAPH) 2017, Table 1 (17 layers; every layer but the output is
followed by batch normalisation and ReLU):

    conv 5x5 s1 64 | conv 3x3 s2 128 | conv 3x3 s1 128 | conv 3x3 s2 256 |
    2 x conv 3x3 s1 256 | dilated conv 3x3 256, rates 2, 4, 8, 16 |
    2 x conv 3x3 s1 256 | deconv 4x4 s1/2 128 | conv 3x3 s1 128 |
    deconv 4x4 s1/2 64 | conv 3x3 s1 32 | output conv 3x3 s1 3

The input is the RGB image and the binary mask (4 channels), as in the paper.

What differs: the output is ``tanh`` in [-1, 1] (the toolbox's range) instead of a
sigmoid in [0, 1]; the holes of the input hold the estimate the toolbox gives them (zeros
by default) instead of the training set's mean colour. ``base_channels`` scales every
width (64 as the paper).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from toolbox import BaseGenerator
from toolbox.bases import check_image_and_mask
from toolbox.registry import GENERATORS

__all__ = ['GlobalLocalGenerator', 'TABLE_1']

#: (kind, kernel, stride, dilation, width in units of base_channels / 64) of Table 1,
#: the output layer excluded.
TABLE_1 = (
    ('conv', 5, 1, 1, 64), ('conv', 3, 2, 1, 128), ('conv', 3, 1, 1, 128),
    ('conv', 3, 2, 1, 256), ('conv', 3, 1, 1, 256), ('conv', 3, 1, 1, 256),
    ('conv', 3, 1, 2, 256), ('conv', 3, 1, 4, 256), ('conv', 3, 1, 8, 256),
    ('conv', 3, 1, 16, 256), ('conv', 3, 1, 1, 256), ('conv', 3, 1, 1, 256),
    ('deconv', 4, 2, 1, 128), ('conv', 3, 1, 1, 128), ('deconv', 4, 2, 1, 64),
    ('conv', 3, 1, 1, 32),
)


@GENERATORS.register_module()
class GlobalLocalGenerator(BaseGenerator):
    """``forward(masked_image, mask) -> {'output'}``; height and width multiples of 4.

    Args:
        base_channels: the paper's 64; every width of Table 1 scales with it.
    """

    # 8, not 4: at 4 the 2-channel layer before the output often dies (ReLU) at random
    # initialisation, and the output then ignores its input
    tiny_cfg = dict(base_channels=16)
    size_multiple = 4

    def __init__(self, base_channels: int = 64) -> None:
        super().__init__()
        layers, cin = [], 4
        for kind, k, s, d, width in TABLE_1:
            cout = max(1, width * int(base_channels) // 64)
            if kind == 'conv':
                conv = nn.Conv2d(cin, cout, k, s, padding=d * (k - 1) // 2, dilation=d)
            else:
                conv = nn.ConvTranspose2d(cin, cout, k, s, padding=1)
            layers += [conv, nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
            cin = cout
        layers += [nn.Conv2d(cin, 3, 3, 1, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, masked_image: Tensor, mask: Tensor, **guidance: Tensor) -> dict:
        check_image_and_mask(masked_image, mask, where='GlobalLocalGenerator',
                             multiple=self.size_multiple)
        return {'output': self.net(torch.cat([masked_image, mask], dim=1))}
