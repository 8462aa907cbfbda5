"""The partial-convolution U-Net of Liu et al., "Image Inpainting for Irregular Holes Using
Partial Convolutions", ECCV 2018 (Sec. 3.3 and the supplementary's architecture table).

Encoder: ``layer_size`` partial convolutions of stride 2 (7 at 256², 8 at 512²), kernels
7, 5, 5, 3, 3, ...; widths 64, 128, 256, 512, 512, ...; batch norm after all but the
first; ReLU. Decoder: at each level nearest-neighbour x2 upsampling of features and mask,
concatenation with the encoder's features and mask of that level (the last level: the
input image and mask), a 3x3 partial convolution, batch norm (not on the last layer) and
LeakyReLU 0.2; the last layer outputs RGB, without activation. Only that last
convolution has a bias (as naoto0804/pytorch-inpainting-with-partial-conv; the others are
followed by batch norm, except the first, which has none either).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from toolbox import BaseGenerator
from toolbox.bases import check_image_and_mask
from toolbox.registry import GENERATORS

from toolbox.nn.partial_conv import PartialConv2d

__all__ = ['PConvUNet']


class _Block(nn.Module):
    def __init__(self, cin: int, cout: int, k: int, stride: int, bn: bool,
                 act: nn.Module | None, bias: bool = False) -> None:
        super().__init__()
        self.conv = PartialConv2d(cin, cout, k, stride, k // 2, bias=bias)
        self.bn = nn.BatchNorm2d(cout) if bn else None
        self.act = act

    def forward(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        x, mask = self.conv(x, mask)
        if self.bn is not None:
            x = self.bn(x)
        if self.act is not None:
            x = self.act(x)
        return x, mask


@GENERATORS.register_module()
class PConvUNet(BaseGenerator):
    """``forward(masked_image, mask) -> {'output'}`` (raw RGB, not composited).

    Args:
        layer_size: encoder depth: 7 for 256² images, 8 for 512² (the paper's); inputs
            must be multiples of ``2 ** layer_size``.
        base_channels: width of the first layer (64); widths double up to 8x.
        freeze_encoder_bn: the fine-tuning phase (Sec. 4.1): the encoder's batch norms
            stay in eval mode (running statistics fixed) and their scale and shift are not
            trained; the decoder's keep training.

    Only the known pixels are read (the first partial convolution multiplies the input by
    the mask), hence ``uses_estimate = False``.
    """

    uses_estimate = False
    tiny_cfg = dict(layer_size=3, base_channels=4)

    def __init__(self, layer_size: int = 7, base_channels: int = 64,
                 freeze_encoder_bn: bool = False) -> None:
        super().__init__()
        if layer_size < 3:
            raise ValueError(f'PConvUNet: layer_size must be >= 3, got {layer_size}')
        self.layer_size = int(layer_size)
        c = int(base_channels)
        widths = [min(c * 2 ** i, 8 * c) for i in range(self.layer_size)]
        kernels = [7, 5, 5] + [3] * (self.layer_size - 3)
        self.encoder = nn.ModuleList()
        cin = 3
        for i, (w, k) in enumerate(zip(widths, kernels)):
            self.encoder.append(_Block(cin, w, k, 2, bn=i > 0, act=nn.ReLU()))
            cin = w
        self.decoder = nn.ModuleList()        # decoder[i] produces level i (0: the image)
        skips = [3] + widths[:-1]
        for i in range(self.layer_size):
            up = widths[i]
            out = 3 if i == 0 else widths[i - 1]
            self.decoder.append(_Block(up + skips[i], out, 3, 1, bn=i > 0,
                                       act=None if i == 0 else nn.LeakyReLU(0.2),
                                       bias=i == 0))
        self.freeze_encoder_bn = bool(freeze_encoder_bn)
        if self.freeze_encoder_bn:
            for block in self.encoder:
                if block.bn is not None:
                    block.bn.requires_grad_(False)

    @property
    def size_multiple(self) -> int:   # type: ignore[override]
        return 2 ** self.layer_size

    def train(self, mode: bool = True) -> 'PConvUNet':
        super().train(mode)
        if self.freeze_encoder_bn:
            for block in self.encoder:
                if block.bn is not None:
                    block.bn.eval()
        return self

    def forward(self, masked_image: Tensor, mask: Tensor, **guidance: Tensor) -> dict[str, Tensor]:
        check_image_and_mask(masked_image, mask, where='PConvUNet',
                             multiple=self.size_multiple)
        x, m = masked_image, 1.0 - mask                       # m: 1 = valid
        feats, masks = [x], [m]
        for block in self.encoder:
            x, m = block(x, m)
            feats.append(x)
            masks.append(m)
        for i in reversed(range(self.layer_size)):
            x = F.interpolate(x, scale_factor=2, mode='nearest')
            m = F.interpolate(m, scale_factor=2, mode='nearest')
            skip, skip_mask = feats[i], masks[i]
            both = torch.cat([m.expand(-1, x.shape[1], -1, -1),
                              skip_mask.expand(-1, skip.shape[1], -1, -1)], 1)
            x, m = self.decoder[i](torch.cat([x, skip], 1), both)
        return {'output': x}
