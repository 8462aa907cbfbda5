"""The Context Encoder: a conv encoder, a channel-wise fully connected bottleneck, a
deconv decoder.

Paper: D. Pathak, P. Krähenbühl, J. Donahue, T. Darrell, A. A. Efros, "Context Encoders:
Feature Learning by Inpainting", CVPR 2016, section 3.1. The encoder follows the authors'
released 128² layout (``train.lua``: five 4x4 stride-2 convolutions, 64-64-128-256-512
filters, batch norm after all but the first, LeakyReLU 0.2), ending at 4 x 4 x 512 for a
128² input. The bottleneck is the paper's channel-wise fully connected layer
(:class:`ChannelWiseFC`: each of the ``m`` feature maps of ``n x n`` is fully connected
to its own output map, ``m n^4`` weights) followed by a 1x1 convolution that propagates
information across channels. The decoder mirrors the encoder with five 4x4 stride-2
up-convolutions (ReLU, batch norm, a final tanh) back to the input size.

What differs: the released code replaces the channel-wise FC by a 4x4 convolution to a
4000-d vector (``bottleneck='conv'`` here, with a 4x4 up-convolution back); its decoder
outputs only the 64² centre, ours the whole image (the hole is any mask, and the
inpaintor pastes the known pixels back), so the decoder has a fifth up-convolution.
The input is the masked image itself (its holes hold the estimate the toolbox gives them,
zeros by default; the authors fill them with the mean colour).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from toolbox import BaseGenerator
from toolbox.bases import check_image_and_mask
from toolbox.registry import GENERATORS

__all__ = ['ChannelWiseFC', 'ContextEncoderGenerator']


class ChannelWiseFC(nn.Module):
    """Fully connected within each channel, no parameter across channels: input
    ``[B, C, H, W]``, ``out[b, c] = W_c @ x[b, c].flatten() + b_c`` with ``W_c``
    ``(HW) x (HW)``; ``C (HW)^2`` weights and ``C HW`` biases."""

    def __init__(self, channels: int, size: int, bias: bool = True) -> None:
        super().__init__()
        self.channels, self.size = int(channels), int(size)
        n = self.size * self.size
        self.weight = nn.Parameter(torch.empty(self.channels, n, n))
        self.bias = nn.Parameter(torch.zeros(self.channels, n)) if bias else None
        # each output sees n inputs: the fan-in of a linear layer
        nn.init.uniform_(self.weight, -1 / math.sqrt(n), 1 / math.sqrt(n))

    def forward(self, x: Tensor) -> Tensor:
        b, c, h, w = x.shape
        if (c, h, w) != (self.channels, self.size, self.size):
            raise ValueError(f'ChannelWiseFC: built for [B, {self.channels}, {self.size}, '
                             f'{self.size}], got {list(x.shape)}')
        out = torch.einsum('cij,bcj->bci', self.weight, x.reshape(b, c, h * w))
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(b, c, h, w)


def _down(cin: int, cout: int, norm: bool) -> nn.Sequential:
    layers = [nn.Conv2d(cin, cout, 4, 2, 1, bias=not norm)]
    if norm:
        layers.append(nn.BatchNorm2d(cout))
    return nn.Sequential(*layers, nn.LeakyReLU(0.2, inplace=True))


def _up(cin: int, cout: int, last: bool = False) -> nn.Sequential:
    if last:
        return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, 1), nn.Tanh())
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


@GENERATORS.register_module()
class ContextEncoderGenerator(BaseGenerator):
    """Encoder, bottleneck, decoder.

    Args:
        image_size: the one input size (128): the fully connected bottleneck is built for
            ``image_size / 32`` squared positions.
        base_channels: filters of the first layer (64); the encoder has
            ``b, b, 2b, 4b, 8b``.
        bottleneck: ``'channel_fc'`` (the paper: channel-wise FC, then a 1x1 convolution
            with batch norm and LeakyReLU) or ``'conv'`` (the released code: a 4x4
            convolution to ``bottleneck_channels`` and a 4x4 up-convolution back).
        bottleneck_channels: the size of the ``'conv'`` bottleneck (4000 as released).
    """

    tiny_cfg = dict(image_size=64, base_channels=4)
    num_downsamples = 5

    def __init__(self, image_size: int = 128, base_channels: int = 64,
                 bottleneck: str = 'channel_fc', bottleneck_channels: int = 4000) -> None:
        super().__init__()
        f = 2 ** self.num_downsamples
        if int(image_size) % f or image_size < f:
            raise ValueError(f'ContextEncoderGenerator: image_size must be a positive '
                             f'multiple of {f}, got {image_size}')
        if bottleneck not in ('channel_fc', 'conv'):
            raise ValueError("ContextEncoderGenerator: bottleneck must be 'channel_fc' or "
                             f"'conv', got {bottleneck!r}")
        self.image_size, self.bottleneck_kind = int(image_size), bottleneck
        b = int(base_channels)
        widths = [b, b, 2 * b, 4 * b, 8 * b]
        cin, enc = 3, []
        for i, cout in enumerate(widths):
            enc.append(_down(cin, cout, norm=i > 0))
            cin = cout
        self.encoder = nn.Sequential(*enc)
        side = self.image_size // f
        if bottleneck == 'channel_fc':
            self.bottleneck = nn.Sequential(
                ChannelWiseFC(cin, side),
                nn.Conv2d(cin, cin, 1, bias=False), nn.BatchNorm2d(cin),
                nn.LeakyReLU(0.2, inplace=True))
        else:
            k = int(bottleneck_channels)
            self.bottleneck = nn.Sequential(
                nn.Conv2d(cin, k, side), nn.BatchNorm2d(k), nn.LeakyReLU(0.2, inplace=True),
                nn.ConvTranspose2d(k, cin, side, bias=False), nn.BatchNorm2d(cin),
                nn.ReLU(inplace=True))
        dec_widths = [4 * b, 2 * b, b, b]
        dec = []
        for cout in dec_widths:
            dec.append(_up(cin, cout))
            cin = cout
        dec.append(_up(cin, 3, last=True))
        self.decoder = nn.Sequential(*dec)

    @property
    def size_multiple(self) -> int:      # the one size it runs at
        return self.image_size

    @property
    def fixed_size(self) -> tuple[int, int]:
        return (self.image_size, self.image_size)

    def forward(self, masked_image: Tensor, mask: Tensor, **guidance: Tensor) -> dict:
        check_image_and_mask(masked_image, mask, where='ContextEncoderGenerator')
        if tuple(masked_image.shape[2:]) != self.fixed_size:
            raise ValueError(f'ContextEncoderGenerator: built for {self.image_size}x'
                             f'{self.image_size} inputs (image_size=...), got '
                             f'{masked_image.shape[2]}x{masked_image.shape[3]}')
        return {'output': self.decoder(self.bottleneck(self.encoder(masked_image)))}
