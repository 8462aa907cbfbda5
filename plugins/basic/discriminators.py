"""A PatchGAN discriminator (Isola et al., pix2pix, CVPR 2017) on image + mask."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from toolbox import BaseDiscriminator
from toolbox.registry import DISCRIMINATORS


@DISCRIMINATORS.register_module()
class PatchDiscriminator(BaseDiscriminator):
    """Strided 4x4 convolutions ending in a one-channel map of patch logits ``[B, 1, h, w]``.

    Args:
        base_channels: width of the first layer, doubled per layer up to ``8x``.
        num_layers: stride-2 layers.
        spectral_norm: spectral normalisation on every convolution.
        in_channels: image channels (3); the mask is appended as one more channel.
    """

    tiny_cfg = dict(base_channels=8, num_layers=2)

    def __init__(self,
                 base_channels: int = 64,
                 num_layers: int = 3,
                 spectral_norm: bool = True,
                 in_channels: int = 3) -> None:
        super().__init__()
        # Imported here, not at plugin load: mmcv.cnn pulls in mmengine's model machinery
        # (about 1.5 s), which looking components up must not pay for.
        from mmcv.cnn import ConvModule
        act = dict(type='LeakyReLU', negative_slope=0.2)
        layers, c_in = [], in_channels + 1
        for i in range(num_layers):
            c_out = base_channels * min(2 ** i, 8)
            layers.append(ConvModule(c_in, c_out, 4, stride=2, padding=1, act_cfg=act,
                                     with_spectral_norm=spectral_norm))
            c_in = c_out
        layers.append(ConvModule(c_in, 1, 3, padding=1, act_cfg=None,
                                 with_spectral_norm=spectral_norm))
        self.layers = nn.Sequential(*layers)

    def forward(self, image: Tensor, mask: Tensor, **conditions: Tensor) -> Tensor:
        return self.layers(torch.cat([image, mask], dim=1))    # [B, 1, H/2^n, W/2^n]
