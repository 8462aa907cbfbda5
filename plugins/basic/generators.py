"""A small convolutional encoder-decoder: the simplest useful inpainting generator."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from toolbox import BaseGenerator
from toolbox.registry import GENERATORS


@GENERATORS.register_module()
class EncoderDecoderGenerator(BaseGenerator):
    """Encoder-decoder on the masked image and the mask.

    Args:
        base_channels: width of the first layer; doubles at each downsampling, capped at
            ``8 * base_channels``.
        num_downsamples: stride-2 stages; inputs must be multiples of ``2**num_downsamples``.
        num_bottleneck: 3x3 convolutions at the lowest resolution.
        in_channels: image channels (3).
    """

    tiny_cfg = dict(base_channels=8, num_downsamples=2, num_bottleneck=1)

    def __init__(self,
                 base_channels: int = 32,
                 num_downsamples: int = 3,
                 num_bottleneck: int = 2,
                 in_channels: int = 3) -> None:
        super().__init__()
        # Imported here, not at plugin load: mmcv.cnn pulls in mmengine's model machinery
        # (about 1.5 s), which looking components up must not pay for.
        from mmcv.cnn import ConvModule
        if base_channels < 1 or num_downsamples < 0:
            raise ValueError('EncoderDecoderGenerator: base_channels must be >= 1 and '
                             'num_downsamples >= 0')
        self.size_multiple = 2 ** num_downsamples
        act = dict(type='ELU')
        widths = [min(base_channels * 2 ** i, base_channels * 8)
                  for i in range(num_downsamples + 1)]
        self.stem = ConvModule(in_channels + 1, widths[0], 5, padding=2, act_cfg=act)
        self.down = nn.ModuleList(
            ConvModule(widths[i], widths[i + 1], 3, stride=2, padding=1, act_cfg=act)
            for i in range(num_downsamples))
        self.bottleneck = nn.Sequential(*[
            ConvModule(widths[-1], widths[-1], 3, padding=2, dilation=2, act_cfg=act)
            for _ in range(num_bottleneck)])
        self.up = nn.ModuleList(
            ConvModule(widths[i + 1] + widths[i], widths[i], 3, padding=1, act_cfg=act)
            for i in reversed(range(num_downsamples)))
        self.head = nn.Conv2d(widths[0], in_channels, 3, padding=1)

    def forward(self, masked_image: Tensor, mask: Tensor, **guidance: Tensor) -> dict[str, Tensor]:
        x = self.stem(torch.cat([masked_image, mask], dim=1))   # [B, C0, H, W]
        skips = [x]
        for layer in self.down:
            x = layer(x)
            skips.append(x)
        x = self.bottleneck(skips.pop())                        # [B, Cn, H/2^n, W/2^n]
        for layer in self.up:
            skip = skips.pop()
            x = F.interpolate(x, size=skip.shape[2:], mode='nearest')
            x = layer(torch.cat([x, skip], dim=1))
        return {'output': torch.tanh(self.head(x))}             # [B, 3, H, W]
