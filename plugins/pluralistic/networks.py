"""Pluralistic's networks (Zheng et al., "Pluralistic Image Completion", CVPR 2019): the
representation network (encoder and the prior head of the generative path), the
posterior head of the reconstructive path, the generation network (decoder) and the
discriminator. See README.md for the layout and the counts.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from toolbox.bases import BaseDiscriminator, BaseGenerator
from toolbox.registry import DISCRIMINATORS, GENERATORS

from .blocks import FirstDownBlock, ResidualBlock, ShortLongAttention, ToRGB, UpBlock, sn

__all__ = ['PluralisticGenerator', 'PluralisticPosterior', 'PluralisticDiscriminator',
           'Encoder', 'Decoder', 'gaussian']


def _widths(base: int, top: int, levels: int) -> list[int]:
    """Channels after the first block and each down-sampling: base * 2^i, capped at top."""
    return [min(base * 2 ** i, top) for i in range(levels)]


def gaussian(head_output: Tensor) -> tuple[Tensor, Tensor]:
    """``(mu, sigma)`` of a head's ``2 z`` channels: sigma = softplus of the second half."""
    mu, raw = head_output.chunk(2, dim=1)
    return mu, F.softplus(raw)


class Encoder(nn.Module):
    """The representation network: a residual encoder (``layers`` halvings) whose features
    are kept, then ``infer_blocks`` residual blocks and the prior head ``p(z | I_m)``."""

    def __init__(self, in_channels: int, base_channels: int, max_channels: int, layers: int,
                 z_channels: int, infer_blocks: int) -> None:
        super().__init__()
        widths = _widths(base_channels, max_channels, layers)
        self.down = nn.ModuleList([FirstDownBlock(in_channels, widths[0])] + [
            ResidualBlock(a, b, a, down=True) for a, b in zip(widths, widths[1:])])
        top = widths[-1]
        self.infer = nn.Sequential(*[ResidualBlock(top, top, top) for _ in range(infer_blocks)])
        self.prior = ResidualBlock(top, 2 * z_channels, top)

    def features(self, image: Tensor) -> list[Tensor]:
        feats, x = [], image
        for block in self.down:
            x = block(x)
            feats.append(x)
        return feats

    def prior_of(self, deepest: Tensor) -> tuple[Tensor, Tensor]:
        return gaussian(self.prior(self.infer(deepest)))


class Decoder(nn.Module):
    """The generation network: ``z`` to features, added to the visible region's deepest
    feature, then ``layers`` up-sampling blocks; short+long-term attention after the second
    one; an image at each of the last ``output_scales`` levels, each fed to the next block."""

    def __init__(self, out_channels: int, base_channels: int, max_channels: int, layers: int,
                 z_channels: int, output_scales: int, attention: bool, norm: str) -> None:
        super().__init__()
        if not 1 <= output_scales <= layers - 1:
            raise ValueError(f'PluralisticGenerator: output_scales must be in 1..{layers - 1}, '
                             f'got {output_scales}')
        # block i gives min(base 2^(layers-1-i), max) channels, from min(base 2^(layers-1), max)
        outs = [min(base_channels * 2 ** (layers - 1 - i), max_channels) for i in range(layers)]
        widths = [outs[0]] + outs
        self.from_z = ResidualBlock(z_channels, widths[0], widths[0])
        self.first_out = layers - output_scales
        self.up, self.to_rgb = nn.ModuleList(), nn.ModuleList()
        for i in range(layers):
            extra = out_channels if i > self.first_out else 0
            self.up.append(UpBlock(widths[i] + extra, widths[i + 1], widths[i + 1], norm=norm))
            if i >= self.first_out:
                self.to_rgb.append(ToRGB(widths[i + 1], out_channels))
        # after the second block: 1/2^(layers-2) of the output, as the encoder's (layers-3)-th
        pre = _widths(base_channels, max_channels, layers)[layers - 3]
        self.attention = ShortLongAttention(widths[2], pre) if attention else None

    def forward(self, z: Tensor, visible: Tensor, pre: Tensor,
                valid: Tensor) -> tuple[list[Tensor], Tensor | None]:
        x = self.from_z(z) + visible
        images, attention = [], None
        for i, block in enumerate(self.up):
            x = block(x)
            if i == 1 and self.attention is not None:
                x, attention = self.attention(x, pre, valid)
            if i >= self.first_out:
                image = self.to_rgb[i - self.first_out](x)
                images.append(image)
                x = torch.cat([x, image], 1)
        return images, attention


@GENERATORS.register_module()
class PluralisticGenerator(BaseGenerator):
    """The generative path of Pluralistic: encode the visible region ``I_m``, draw
    ``z ~ p(z | I_m) = N(mu, sigma)`` from the prior head, decode with short+long-term
    attention to the encoder feature at 1/2^(layers-2) of the output size (1/8 by default).

    ``forward(masked, mask)`` (mask 1 = hole) returns ``{'output': the finest image,
    'scale{k}': coarser ones, 'mu', 'sigma'}``. ``noise`` ``[B, z, H/2^layers,
    W/2^layers]`` fixes the draw (``z = mu + sigma * noise``); ``rng`` is a
    ``torch.Generator`` to draw it from.
    The reconstructive path (the posterior from the hole's content) is
    :class:`PluralisticPosterior`, which the model trains beside this network.

    Args (defaults: the official ``Pluralistic`` model): ``base_channels`` 32,
    ``max_channels`` 128, ``layers`` 5 (size multiple 2^5), ``z_channels`` 128,
    ``infer_blocks`` 6 (the official ``L`` of the encoder), ``output_scales`` 4,
    ``attention``, ``norm`` of the decoder ('instance').
    """

    uses_estimate = False        # the hole is zeroed: the official I_m = mask * I
    # the attention is [N, N] at 1/8 of the size: 1 GiB per image at 1024 x 1024
    max_inference_side = 512
    tiny_cfg = dict(base_channels=4, max_channels=8, layers=4, z_channels=4, infer_blocks=1,
                    output_scales=2)

    def __init__(self, base_channels: int = 32, max_channels: int = 128, layers: int = 5,
                 z_channels: int = 128, infer_blocks: int = 6, output_scales: int = 4,
                 attention: bool = True, norm: str = 'instance') -> None:
        super().__init__()
        if layers < 3:
            raise ValueError(f'PluralisticGenerator: layers must be >= 3, got {layers}')
        self.layers, self.z_channels = int(layers), int(z_channels)
        self.encoder = Encoder(3, base_channels, max_channels, layers, z_channels, infer_blocks)
        self.decoder = Decoder(3, base_channels, max_channels, layers, z_channels,
                               output_scales, attention, norm)

    @property
    def size_multiple(self) -> int:
        return 2 ** self.layers

    def decode(self, z: Tensor, feats: list[Tensor], mask: Tensor):
        """Images (coarse to fine) from ``z`` and the visible region's encoder features."""
        pre = feats[self.layers - 3]          # at the attention's size, 1/2^(layers-2)
        valid = 1 - F.interpolate(mask, size=pre.shape[2:], mode='bilinear', align_corners=True)
        return self.decoder(z, feats[-1], pre, valid)

    def forward(self, masked: Tensor, mask: Tensor, noise: Tensor | None = None,
                rng: torch.Generator | None = None) -> dict[str, Tensor]:
        feats = self.encoder.features(masked * (1 - mask))
        mu, sigma = self.encoder.prior_of(feats[-1])
        if noise is None:
            noise = torch.randn(mu.shape, generator=rng, device=mu.device, dtype=mu.dtype)
        images, _ = self.decode(mu + sigma * noise, feats, mask)
        out = {f'scale{k}': image for k, image in enumerate(images[:-1])}
        return dict(out, output=images[-1], mu=mu, sigma=sigma)


class PluralisticPosterior(nn.Module):
    """The reconstructive path's head ``q(z | I_c)``: one residual block on the encoder's
    deepest feature of the hole's content (the official ``posterior``)."""

    def __init__(self, channels: int = 128, z_channels: int = 128) -> None:
        super().__init__()
        self.head = ResidualBlock(channels, 2 * z_channels, channels)

    def forward(self, deepest: Tensor) -> tuple[Tensor, Tensor]:
        return gaussian(self.head(deepest))


@DISCRIMINATORS.register_module()
class PluralisticDiscriminator(BaseDiscriminator):
    """The residual discriminator (the official ``ResDiscriminator``): ``num_layers``
    halvings, self-attention before the fourth block, a residual block and a 3x3 convolution
    without padding: a map of scores ``[B, 1, H/2^L - 2, W/2^L - 2]``. Spectral norm
    throughout, LeakyReLU 0.1. Pluralistic trains two: one for each path."""

    size_multiple = 32
    tiny_cfg = dict(base_channels=4, max_channels=16, num_layers=4)

    def __init__(self, base_channels: int = 32, max_channels: int = 128, num_layers: int = 5,
                 attention: bool = True) -> None:
        super().__init__()
        if num_layers < 4 and attention:
            raise ValueError('PluralisticDiscriminator: the attention needs num_layers >= 4, '
                             f'got {num_layers}')
        widths = _widths(base_channels, max_channels, num_layers)
        self.down = nn.ModuleList([FirstDownBlock(3, widths[0])] + [
            ResidualBlock(a, b, a, down=True) for a, b in zip(widths, widths[1:])])
        # the official attention is built with the fusing block it never uses here (no
        # encoder feature): it is kept so that counts and checkpoints match
        self.attention = ShortLongAttention(widths[2]) if attention else None
        self.last = ResidualBlock(widths[-1], widths[-1], widths[-1])
        self.act = nn.LeakyReLU(0.1)
        self.score = sn(nn.Conv2d(widths[-1], 1, 3))

    def forward(self, image: Tensor, mask: Tensor | None = None) -> Tensor:
        x = self.down[0](image)
        for i, block in enumerate(self.down[1:]):
            if i == 2 and self.attention is not None:
                x, _ = self.attention(x)
            x = block(x)
        return self.score(self.act(self.last(x)))
