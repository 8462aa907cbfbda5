"""DFNet's generator (Hong et al., "Deep Fusion Network for Image Completion", ACM MM 2019;
the authors' ``DFNet``): a U-Net whose decoder ends each of its last scales in a fusion
block (:mod:`.fusion`).

Encoder: ``len(kernels)`` stride-2 'same' convolutions of image + mask; the first to
``C`` channels without norm or activation, each next one doubling up to ``8C`` with BN and
ReLU (the authors: C = 64, kernels 7, 5, 5, 3, 3, 3, 3, 3). Decoder: per level, nearest
x2 upsampling, concatenation with the encoder's input at that scale, a 3x3 'same'
convolution to that input's channel count, BN, LeakyReLU 0.2 (the last level ends in
4 channels, as the image + mask it mirrors). Fusion blocks on the last ``num_fusion``
levels (the authors: 6, scales 1 to 1/32), alpha maps of 3 channels.

Outputs: ``'output'`` (full size) and ``'output_s2'``, ``'output_s4'``, ... (the fused
results at 1/2, 1/4, ... of the size), plus ``'alpha'`` and ``'raw'`` at full size.
With the defaults: 32,880,504 parameters, the authors' count (asserted in the tests).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from toolbox import BaseGenerator
from toolbox.registry import GENERATORS

from .fusion import FusionBlock, SameConv

__all__ = ['DFNetGenerator']


class _Down(nn.Sequential):
    def __init__(self, cin: int, cout: int, kernel: int, normed: bool) -> None:
        layers = [SameConv(cin, cout, kernel, 2)]
        if normed:
            layers += [nn.BatchNorm2d(cout), nn.ReLU()]
        super().__init__(*layers)


class _Up(nn.Module):
    def __init__(self, c_up: int, c_skip: int, cout: int, kernel: int) -> None:
        super().__init__()
        self.decode = nn.Sequential(SameConv(c_up + c_skip, cout, kernel), nn.BatchNorm2d(cout),
                                    nn.LeakyReLU(0.2))

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        x = F.interpolate(x, scale_factor=2, mode='nearest')
        return self.decode(torch.cat([x, skip], 1))


@GENERATORS.register_module()
class DFNetGenerator(BaseGenerator):
    """``forward(masked_image, mask) -> {'output', 'output_s2', ..., 'alpha', 'raw'}``.

    Args:
        base_channels: ``C`` (the authors: 64; channels double up to ``8C``).
        encoder_kernels: kernel of each encoder level (its length is the depth; the
            authors: 7, 5, 5, 3, 3, 3, 3, 3). Height and width must be multiples of
            ``2 ** depth``.
        decoder_kernel: kernel of each decoder convolution (the authors: 3).
        num_fusion: fusion blocks on the last (finest) levels (the authors: 6).
        alpha_channels: channels of the alpha maps (the authors: 3).
    """

    tiny_cfg = dict(base_channels=4, encoder_kernels=(3, 3, 3), num_fusion=2)

    def __init__(self, base_channels: int = 64,
                 encoder_kernels: Sequence[int] = (7, 5, 5, 3, 3, 3, 3, 3),
                 decoder_kernel: int = 3, num_fusion: int = 6,
                 alpha_channels: int = 3) -> None:
        super().__init__()
        kernels = tuple(int(k) for k in encoder_kernels)
        if not 1 <= int(num_fusion) <= len(kernels):
            raise ValueError(f'DFNetGenerator: num_fusion must be in 1..{len(kernels)} (the '
                             f'depth), got {num_fusion}')
        c, top = int(base_channels), 8 * int(base_channels)
        ins, outs = [4], [c]
        for _ in kernels[1:]:
            ins.append(outs[-1])
            outs.append(min(outs[-1] * 2, top))
        self.encoder = nn.ModuleList(_Down(i, o, k, n > 0)
                                     for n, (i, o, k) in enumerate(zip(ins, outs, kernels)))
        self.decoder = nn.ModuleList()
        self.fusion = nn.ModuleDict()
        c_up = outs[-1]
        depth = len(kernels)
        for level in range(depth - 1, -1, -1):   # coarsest first; level 0 is full size
            self.decoder.append(_Up(c_up, ins[level], ins[level], int(decoder_kernel)))
            c_up = ins[level]
            if level < int(num_fusion):
                self.fusion[str(level)] = FusionBlock(ins[level], int(alpha_channels))
        self.depth = depth

    @property
    def size_multiple(self) -> int:
        return 2 ** self.depth

    @staticmethod
    def output_name(level: int) -> str:
        return 'output' if level == 0 else f'output_s{2 ** level}'

    def forward(self, masked_image: Tensor, mask: Tensor) -> dict[str, Tensor]:
        h, w = masked_image.shape[-2:]
        m = self.size_multiple
        if h % m or w % m:
            raise ValueError(f'DFNetGenerator: height and width must be multiples of {m} '
                             f'(2 ** depth), got {h}x{w}')
        x = torch.cat([masked_image, mask], 1)
        skips = [x]
        for down in self.encoder:
            x = down(x)
            skips.append(x)
        out: dict[str, Tensor] = {}
        for i, up in enumerate(self.decoder):
            level = self.depth - 1 - i
            x = up(x, skips[level])
            if str(level) in self.fusion:
                result, alpha, raw = self.fusion[str(level)](masked_image, x)
                out[self.output_name(level)] = result
        out['alpha'], out['raw'] = alpha, raw
        return out
