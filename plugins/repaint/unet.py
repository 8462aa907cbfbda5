"""The DDPM denoiser: a UNet with a timestep embedding, residual blocks and self-attention
at low resolution (Ho et al., 2020; the layout of Dhariwal & Nichol's guided diffusion,
whose 256x256 models the RePaint paper samples from).

What differs from guided diffusion: the network predicts the noise only (the paper's
models also learn the variance); the residual blocks add the timestep embedding
(no scale-shift norm) and resample by strided convolution / nearest upsampling; no layer
is zero-initialised, so a freshly built network already depends on its timestep.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from toolbox import BaseDenoiser
from toolbox.registry import DENOISERS


def timestep_embedding(t: Tensor, dim: int, max_period: float = 10000.0) -> Tensor:
    """Sinusoidal embedding ``[B, dim]`` of the integer timesteps ``t`` ``[B]``."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device) / half)
    angles = t.float()[:, None] * freqs[None]
    emb = torch.cat([angles.cos(), angles.sin()], 1)
    return F.pad(emb, (0, dim % 2))


def _norm(channels: int, groups: int) -> nn.GroupNorm:
    return nn.GroupNorm(math.gcd(groups, channels), channels)


class ResBlock(nn.Module):
    """norm-SiLU-conv, plus the projected timestep embedding, norm-SiLU-dropout-conv;
    a 1x1 convolution on the skip path when the width changes."""

    def __init__(self, cin: int, cout: int, emb_dim: int, dropout: float, groups: int) -> None:
        super().__init__()
        self.norm1, self.conv1 = _norm(cin, groups), nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb_dim, cout)
        self.norm2, self.conv2 = _norm(cout, groups), nn.Conv2d(cout, cout, 3, padding=1)
        self.dropout = nn.Dropout(dropout)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb(F.silu(emb))[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return self.skip(x) + h


class SelfAttention(nn.Module):
    """Multi-head self-attention over all positions, with a residual connection."""

    def __init__(self, channels: int, heads: int, groups: int) -> None:
        super().__init__()
        if channels % heads:
            raise ValueError(f'DiffusionUNet: {channels} channels do not split into {heads} '
                             'attention heads')
        self.heads = heads
        self.norm = _norm(channels, groups)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, self.heads, c // self.heads, h * w) \
            .permute(1, 0, 2, 4, 3).unbind(0)                   # [B, heads, HW, c/heads]
        out = F.scaled_dot_product_attention(q, k, v)
        return x + self.proj(out.permute(0, 1, 3, 2).reshape(b, c, h, w))


class _Level(nn.Module):
    """Residual blocks (each optionally followed by attention) of one resolution."""

    def __init__(self, blocks: list[ResBlock], attention: list[nn.Module]) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(blocks)
        self.attention = nn.ModuleList(attention)


@DENOISERS.register_module()
class DiffusionUNet(BaseDenoiser):
    """UNet noise predictor ``(x_t [B, C, H, W], t [B]) -> eps [B, C, H, W]``.

    Args:
        in_channels: image channels.
        base_channels: width of the first level.
        channel_mults: width of each level as a multiple of ``base_channels``; each level
            after the first halves the resolution (so inputs must be multiples of
            ``2 ** (len(channel_mults) - 1)``).
        num_res_blocks: residual blocks per level on the way down (one more on the way up).
        attention_levels: indices of the levels with self-attention after each block (the
            middle always has one), e.g. the low-resolution ones.
        num_heads: attention heads.
        dropout: dropout inside the residual blocks.
        num_groups: groups of the group norms (reduced to a divisor of the width).
    """

    tiny_cfg = dict(base_channels=8, channel_mults=(1, 2), num_res_blocks=1,
                    attention_levels=(1,), num_heads=2, num_groups=4)

    def __init__(self,
                 in_channels: int = 3,
                 base_channels: int = 64,
                 channel_mults: Sequence[int] = (1, 2, 2, 2),
                 num_res_blocks: int = 2,
                 attention_levels: Sequence[int] = (2,),
                 num_heads: int = 4,
                 dropout: float = 0.0,
                 num_groups: int = 32) -> None:
        super().__init__()
        self.in_channels = int(in_channels)
        mults = [int(m) for m in channel_mults]
        if not mults or any(m < 1 for m in mults):
            raise ValueError(f'DiffusionUNet: channel_mults must be positive, got {mults}')
        bad = [lv for lv in attention_levels if not 0 <= lv < len(mults)]
        if bad:
            raise ValueError(f'DiffusionUNet: attention_levels {bad} outside the '
                             f'{len(mults)} levels')
        self.size_multiple = 2 ** (len(mults) - 1)
        ch = int(base_channels)
        emb_dim = 4 * ch
        self.base_channels = ch
        self.time_mlp = nn.Sequential(nn.Linear(ch, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.stem = nn.Conv2d(self.in_channels, ch, 3, padding=1)

        def attn(width: int, level: int) -> nn.Module:
            return SelfAttention(width, num_heads, num_groups) if level in attention_levels \
                else nn.Identity()

        skips, width = [ch], ch
        self.down, self.downsample = nn.ModuleList(), nn.ModuleList()
        for level, mult in enumerate(mults):
            blocks, attns = [], []
            for _ in range(num_res_blocks):
                blocks.append(ResBlock(width, ch * mult, emb_dim, dropout, num_groups))
                width = ch * mult
                attns.append(attn(width, level))
                skips.append(width)
            self.down.append(_Level(blocks, attns))
            if level < len(mults) - 1:
                self.downsample.append(nn.Conv2d(width, width, 3, stride=2, padding=1))
                skips.append(width)
        self.mid1 = ResBlock(width, width, emb_dim, dropout, num_groups)
        self.mid_attn = SelfAttention(width, num_heads, num_groups)
        self.mid2 = ResBlock(width, width, emb_dim, dropout, num_groups)
        self.up, self.upsample = nn.ModuleList(), nn.ModuleList()
        for level, mult in reversed(list(enumerate(mults))):
            blocks, attns = [], []
            for _ in range(num_res_blocks + 1):
                blocks.append(ResBlock(width + skips.pop(), ch * mult, emb_dim, dropout,
                                       num_groups))
                width = ch * mult
                attns.append(attn(width, level))
            self.up.append(_Level(blocks, attns))
            if level > 0:
                self.upsample.append(nn.Conv2d(width, width, 3, padding=1))
        self.head = nn.Sequential(_norm(width, num_groups), nn.SiLU(),
                                  nn.Conv2d(width, self.in_channels, 3, padding=1))

    def forward(self, x_t: Tensor, t: Tensor) -> Tensor:
        b, c, h, w = x_t.shape
        if c != self.in_channels or h % self.size_multiple or w % self.size_multiple:
            raise ValueError(f'DiffusionUNet: input must be [B, {self.in_channels}, H, W] with '
                             f'H, W multiples of {self.size_multiple}, got {list(x_t.shape)}')
        if t.shape != (b,):
            raise ValueError(f'DiffusionUNet: t must be [B] = [{b}], got {list(t.shape)}')
        emb = self.time_mlp(timestep_embedding(t, self.base_channels))     # [B, 4 * ch]
        x = self.stem(x_t)
        skips = [x]
        for k, level in enumerate(self.down):
            for block, attn in zip(level.blocks, level.attention):
                x = attn(block(x, emb))
                skips.append(x)
            if k < len(self.downsample):
                x = self.downsample[k](x)
                skips.append(x)
        x = self.mid2(self.mid_attn(self.mid1(x, emb)), emb)
        for k, level in enumerate(self.up):
            for block, attn in zip(level.blocks, level.attention):
                x = attn(block(torch.cat([x, skips.pop()], 1), emb))
            if k < len(self.upsample):
                x = self.upsample[k](F.interpolate(x, scale_factor=2.0, mode='nearest'))
        return self.head(x)
