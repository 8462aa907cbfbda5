"""The DMFN generator: a one-stage encoder, a stack of DMFBs, a decoder.

Paper: Z. Hui, J. Li, X. Wang, X. Gao, "Image Fine-grained Inpainting", arXiv:2002.02609.
Layer plan (``base_channels=64``, 256 x 256 input, as the paper's Figure 1 and the authors'
released ``InpaintingGenerator``)::

    [masked image, mask] 4 ch
    Conv5x5 4 -> 64, ReLU                                 256²
    Conv3x3 s2 64 -> 128, IN, ReLU                        128²
    Conv3x3 128 -> 128, IN, ReLU
    Conv3x3 s2 128 -> 256, IN, ReLU                       64²
    8 x DMFB(256, 64, rates 1, 2, 4, 8)
    Conv3x3 256 -> 256, IN, ReLU
    ConvT4x4 s2 256 -> 128, IN, ReLU; Conv3x3 128 -> 128, IN, ReLU      128²
    ConvT4x4 s2 128 -> 64, IN, ReLU;  Conv3x3 64 -> 64, IN, ReLU        256²
    Conv3x3 64 -> 3, tanh

What differs: the DMFBs follow the paper's Figure 2 (K_i and a 1x1 fusion; see
``dmfb.py``), not the released block. The default has 8 blocks, the authors' released
configs' ``n_res: 8`` (the text available to us does not restate the count).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from toolbox import BaseGenerator
from toolbox.bases import check_image_and_mask
from toolbox.registry import GENERATORS

from .dmfb import DMFB

__all__ = ['DMFNGenerator']


def _block(cin: int, cout: int, kernel: int, stride: int = 1, norm: bool = True,
           act: nn.Module | None = None) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2)]
    if norm:
        layers.append(nn.InstanceNorm2d(cout, affine=False))
    layers.append(act if act is not None else nn.ReLU(inplace=True))
    return layers


def _up(cin: int, cout: int) -> list[nn.Module]:
    """Transposed 4x4 stride-2 convolution (x2), IN, ReLU, then a 3x3 convolution."""
    return [nn.ConvTranspose2d(cin, cout, 4, 2, 1), nn.InstanceNorm2d(cout, affine=False),
            nn.ReLU(inplace=True), *_block(cout, cout, 3)]


@GENERATORS.register_module()
class DMFNGenerator(BaseGenerator):
    """Dense multi-scale fusion network (one stage).

    Args:
        base_channels: width unit ``nf`` (64): the encoder widens to ``2 nf`` and ``4 nf``;
            the DMFBs work on ``4 nf`` channels with branches of ``nf``.
        num_blocks: DMFBs in the middle (8).
        rates: dilation rates inside each DMFB.
        combination: DMFB variant, ``'dense'`` (the paper's), ``'sum'`` (w/o K_i) or
            ``'none'`` (w/o combination).

    ``forward(masked_image [B, 3, H, W], mask [B, 1, H, W]) -> {'output': [B, 3, H, W]}``
    with H and W multiples of 4; the output is in [-1, 1] and not composited.
    """

    size_multiple = 4
    tiny_cfg = dict(base_channels=8, num_blocks=2)

    def __init__(self,
                 base_channels: int = 64,
                 num_blocks: int = 8,
                 rates: Sequence[int] = (1, 2, 4, 8),
                 combination: str = 'dense') -> None:
        super().__init__()
        nf = int(base_channels)
        rates = tuple(rates)
        if 4 * nf % len(rates):
            raise ValueError(f'DMFNGenerator: 4 * base_channels ({4 * nf}) must be divisible '
                             f'by the number of rates ({len(rates)})')
        self.encoder = nn.Sequential(
            *_block(4, nf, 5, norm=False),               # [B, nf, H, W]
            *_block(nf, 2 * nf, 3, stride=2),            # [B, 2nf, H/2, W/2]
            *_block(2 * nf, 2 * nf, 3),
            *_block(2 * nf, 4 * nf, 3, stride=2))        # [B, 4nf, H/4, W/4]
        self.blocks = nn.Sequential(*(DMFB(4 * nf, 4 * nf // len(rates), rates, combination)
                                      for _ in range(int(num_blocks))))
        self.decoder = nn.Sequential(
            *_block(4 * nf, 4 * nf, 3),
            *_up(4 * nf, 2 * nf),                        # [B, 2nf, H/2, W/2]
            *_up(2 * nf, nf),                            # [B, nf, H, W]
            *_block(nf, 3, 3, norm=False, act=nn.Tanh()))

    def forward(self, masked_image: Tensor, mask: Tensor, **guidance: Tensor) -> dict[str, Tensor]:
        check_image_and_mask(masked_image, mask, where='DMFNGenerator',
                             multiple=self.size_multiple)
        x = torch.cat([masked_image, mask], dim=1)       # [B, 4, H, W]
        return {'output': self.decoder(self.blocks(self.encoder(x)))}
