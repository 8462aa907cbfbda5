"""LaMa's discriminator: the N-layer PatchGAN of pix2pixHD (Wang et al., CVPR 2018) as the
LaMa paper (Suvorov et al., WACV 2022) uses it: 4x4 convolutions, ``num_layers`` of them
with stride 2, one with stride 1, BN and leaky ReLU 0.2, then a 4x4 convolution to one
logit channel. Every intermediate activation is returned for the feature-matching loss.

What differs: optionally the mask as a fourth input channel (``with_mask``; LaMa's
discriminator sees the image only, the default here).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from toolbox import BaseDiscriminator
from toolbox.registry import DISCRIMINATORS


@DISCRIMINATORS.register_module()
class NLayerDiscriminator(BaseDiscriminator):
    """PatchGAN with ``num_layers`` stride-2 stages: logits ``[B, 1, h, w]``.

    Args:
        base_channels: width of the first layer (``ndf``), doubled per stage up to
            ``max_channels``.
        num_layers: stride-2 layers (LaMa: 4 at 64 channels, 6,962,369 parameters).
        max_channels: width cap (512).
        in_channels: image channels.
        with_mask: append the hole mask as one more input channel.
        value_range: ``'[-1,1]'`` (default) or ``'[0,1]'``: images are mapped to [0, 1]
            first, the range LaMa's discriminator was trained on (for its weights).
    """

    tiny_cfg = dict(base_channels=8, num_layers=2)

    def __init__(self,
                 base_channels: int = 64,
                 num_layers: int = 4,
                 max_channels: int = 512,
                 in_channels: int = 3,
                 with_mask: bool = False,
                 value_range: str = '[-1,1]') -> None:
        super().__init__()
        if value_range not in ('[-1,1]', '[0,1]'):
            raise ValueError("NLayerDiscriminator: value_range must be '[-1,1]' or '[0,1]', "
                             f'got {value_range!r}')
        self.value_range = value_range
        self.with_mask = bool(with_mask)
        act = lambda: nn.LeakyReLU(0.2, inplace=True)  # noqa: E731
        c = base_channels
        stages = [nn.Sequential(nn.Conv2d(in_channels + int(with_mask), c, 4, 2, 2), act())]
        for _ in range(1, num_layers):
            c_next = min(c * 2, max_channels)
            stages.append(nn.Sequential(nn.Conv2d(c, c_next, 4, 2, 2), nn.BatchNorm2d(c_next),
                                        act()))
            c = c_next
        c_next = min(c * 2, max_channels)
        stages.append(nn.Sequential(nn.Conv2d(c, c_next, 4, 1, 2), nn.BatchNorm2d(c_next),
                                    act()))
        stages.append(nn.Conv2d(c_next, 1, 4, 1, 2))
        self.stages = nn.ModuleList(stages)

    def forward_with_features(self, image: Tensor, mask: Tensor,
                              **conditions: Tensor) -> tuple[Tensor, list[Tensor]]:
        if self.value_range == '[0,1]':
            image = (image + 1) / 2
        x = torch.cat([image, mask.to(image.dtype)], 1) if self.with_mask else image
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return feats[-1], feats[:-1]            # [B, 1, h, w], activations of every stage

    def forward(self, image: Tensor, mask: Tensor, **conditions: Tensor) -> Tensor:
        return self.forward_with_features(image, mask)[0]
