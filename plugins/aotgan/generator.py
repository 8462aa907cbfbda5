"""AOT-GAN's generator (Zeng et al., TVCG 2022, Fig. 2; the authors' ``InpaintGenerator``).

Encoder: reflection-padded 7x7 convolution of image + mask to ``C``, two 4x4 stride-2
convolutions to ``2C`` and ``4C`` (ReLU after each); ``num_blocks`` AOT blocks at
``4C``; decoder: two (bilinear x2, align_corners, 3x3 convolution, ReLU) steps back to ``C``
and a 3x3 convolution to RGB, ``tanh``. With ``C = 64`` and 8 blocks: 15,200,835
parameters, the authors' count (``tests/plugins/test_aotgan.py``).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from toolbox import BaseGenerator
from toolbox.registry import GENERATORS

from .aot import AOTBlock

__all__ = ['AOTGANGenerator', 'normal_init']


def normal_init(module: nn.Module, std: float = 0.02) -> None:
    """The authors' initialisation: convolution weights ~ N(0, std), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class _Up(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(F.interpolate(x, scale_factor=2, mode='bilinear',
                                       align_corners=True))


@GENERATORS.register_module()
class AOTGANGenerator(BaseGenerator):
    """``forward(masked_image, mask) -> {'output'}`` in [-1, 1].

    ``masked_image``'s holes are read as given, shifted by ``hole_offset``: the engine
    passes zeros there (or a progressive model's estimate), the authors and MMagic add the
    mask to the zero-filled image, ``image * (1 - mask) + mask``, so that their networks see
    white (1) holes.

    Args:
        base_channels: ``C`` (the authors: 64).
        num_blocks: AOT blocks (the authors' default: 8).
        rates: dilation rates of each block (the authors: 1, 2, 4, 8).
        hole_offset: added to the hole pixels of the input (``masked_image + hole_offset *
            mask``). 0 (default): the holes as the engine fills them; 1: the authors' and
            MMagic's white holes, which their released weights expect
            (``configs/aotgan/places_512_mmagic.py``).
    """

    size_multiple = 4
    tiny_cfg = dict(base_channels=4, num_blocks=1, rates=(1, 2))

    def __init__(self, base_channels: int = 64, num_blocks: int = 8,
                 rates: Sequence[int] = (1, 2, 4, 8), hole_offset: float = 0.0) -> None:
        super().__init__()
        c = int(base_channels)
        self.hole_offset = float(hole_offset)
        self.encoder = nn.Sequential(
            nn.ReflectionPad2d(3), nn.Conv2d(4, c, 7), nn.ReLU(True),
            nn.Conv2d(c, 2 * c, 4, stride=2, padding=1), nn.ReLU(True),
            nn.Conv2d(2 * c, 4 * c, 4, stride=2, padding=1), nn.ReLU(True))
        self.middle = nn.Sequential(*[AOTBlock(4 * c, rates) for _ in range(int(num_blocks))])
        self.decoder = nn.Sequential(
            _Up(4 * c, 2 * c), nn.ReLU(True), _Up(2 * c, c), nn.ReLU(True),
            nn.Conv2d(c, 3, 3, padding=1))
        normal_init(self)

    def forward(self, masked_image: Tensor, mask: Tensor) -> dict[str, Tensor]:
        h, w = masked_image.shape[-2:]
        if h % 4 or w % 4:
            raise ValueError(f'AOTGANGenerator: height and width must be multiples of 4, '
                             f'got {h}x{w}')
        if self.hole_offset:
            masked_image = masked_image + self.hole_offset * mask
        x = self.encoder(torch.cat([masked_image, mask], 1))
        return {'output': torch.tanh(self.decoder(self.middle(x)))}
