"""StructureFlow's two-scale discriminator (Ren et al., ICCV 2019; the official
``MultiDiscriminator``): the same spectral-normalised residual discriminator at full size
and on a 3x3 average-pooled (stride 2, padding not counted) half-size copy. 598,272
parameters each, 1,196,544 for the pair at the official width 64 (3 layers)."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from toolbox.bases import BaseDiscriminator
from toolbox.registry import DISCRIMINATORS

from .blocks import ConvBlock, DownResBlock, xavier_init

__all__ = ['TwoScaleDiscriminator', 'StructureFlowDiscriminator']


def _single(d: int, num_layers: int, sn: bool) -> nn.Sequential:
    layers = [ConvBlock(3, d, 4, 2, 1, 'none', 'lrelu', 'reflect', sn)]
    cin = d
    for _ in range(num_layers - 1):
        cout = min(8 * d, 2 * cin)
        layers.append(DownResBlock(cin, cout, 'lrelu', 'reflect', sn))
        cin = cout
    layers.append(ConvBlock(cin, 1, 1, 1, 0, 'none', 'none', 'zero', sn, bias=False))
    return nn.Sequential(*layers)


@DISCRIMINATORS.register_module()
class TwoScaleDiscriminator(BaseDiscriminator):
    """``scales(image)`` -> ``[logits at full size, logits at half size]`` (patch maps);
    ``forward`` returns both flattened and concatenated, ``[B, N1 + N2]``.
    :class:`~.model.StructureFlowInpaintor` averages its LSGAN terms over the two
    scales, each a mean over its own patch map, as the official code.

    Args:
        base_channels: the first layer's width (64).
        num_layers: the strided convolution and ``num_layers - 1`` residual blocks (3).
        spectral_norm: on every convolution (True).
    """

    size_multiple = 2 ** 4
    tiny_cfg = dict(base_channels=4, num_layers=2)

    def __init__(self, base_channels: int = 64, num_layers: int = 3,
                 spectral_norm: bool = True) -> None:
        super().__init__()
        self.scale1 = _single(base_channels, num_layers, spectral_norm)
        self.down = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)
        self.scale2 = _single(base_channels, num_layers, spectral_norm)
        xavier_init(self)

    def scales(self, image: Tensor) -> list[Tensor]:
        return [self.scale1(image), self.scale2(self.down(image))]

    def forward(self, image: Tensor, mask: Tensor | None = None, **conditions) -> Tensor:
        return torch.cat([s.flatten(1) for s in self.scales(image)], 1)


@DISCRIMINATORS.register_module()
class StructureFlowDiscriminator(BaseDiscriminator):
    """The two discriminators of StructureFlow's training: ``texture`` judges images
    (``forward`` is its), ``structure`` judges smoothed images in the structure stage.

    Args:
        structure: keyword arguments of the structure stage's :class:`TwoScaleDiscriminator`.
        texture: keyword arguments of the texture stages' :class:`TwoScaleDiscriminator`.
    """

    size_multiple = 2 ** 4
    tiny_cfg = dict(structure=dict(base_channels=4, num_layers=2),
                    texture=dict(base_channels=4, num_layers=2))

    def __init__(self, structure: dict | None = None, texture: dict | None = None) -> None:
        super().__init__()
        self.structure = TwoScaleDiscriminator(**dict(structure or {}))
        self.texture = TwoScaleDiscriminator(**dict(texture or {}))

    def forward(self, image: Tensor, mask: Tensor | None = None, **conditions) -> Tensor:
        return self.texture(image, mask)
