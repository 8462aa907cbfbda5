"""The layers StructureFlow's networks are built from (Ren et al., ICCV 2019).

A convolution block is ``pad -> conv -> norm -> activation`` with the padding done by a
separate layer (reflection in the generators), so the convolution itself pads nothing.
The norms are instance norm without affine parameters (``'in'``) and a layer norm over
``(C, H, W)`` of each sample with a per-channel scale and shift (``'ln'``: the official
code's ``LayerNorm``, which normalises the whole feature map, not each channel).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import spectral_norm

__all__ = ['ConvBlock', 'UpConvBlock', 'ResidualBlocks', 'MapLayerNorm', 'DownResBlock',
           'xavier_init']

_PADS = {'reflect': nn.ReflectionPad2d, 'replicate': nn.ReplicationPad2d, 'zero': nn.ZeroPad2d}


class MapLayerNorm(nn.Module):
    """Layer norm over a sample's whole ``[C, H, W]`` map, then ``weight[c] * x + bias[c]``."""

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        # [C, 1, 1]: the official parameter shape, so its checkpoints load unchanged
        self.weight = nn.Parameter(torch.ones(channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(channels, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        shape = x.shape[1:]
        return F.layer_norm(x, shape, self.weight.expand(shape), self.bias.expand(shape),
                            self.eps)


def _norm(kind: str, channels: int) -> nn.Module | None:
    if kind == 'in':
        return nn.InstanceNorm2d(channels)
    if kind == 'ln':
        return MapLayerNorm(channels)
    if kind == 'none':
        return None
    raise ValueError(f"StructureFlow: norm must be 'in', 'ln' or 'none', got {kind!r}")


def _act(kind: str) -> nn.Module | None:
    acts = {'relu': lambda: nn.ReLU(), 'lrelu': lambda: nn.LeakyReLU(0.2),
            'tanh': nn.Tanh, 'none': lambda: None}
    if kind not in acts:
        raise ValueError(f'StructureFlow: activation must be one of {sorted(acts)}, got '
                         f'{kind!r}')
    return acts[kind]()


class ConvBlock(nn.Module):
    """``pad -> conv (optionally spectral-normalised) -> norm -> activation``."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, padding: int = 0,
                 norm: str = 'none', act: str = 'relu', pad: str = 'zero',
                 sn: bool = False, bias: bool = True) -> None:
        super().__init__()
        self.pad = _PADS[pad](padding)
        conv = nn.Conv2d(cin, cout, kernel, stride, bias=bias)
        self.conv = spectral_norm(conv) if sn else conv
        self.norm = _norm(norm, cout)
        self.act = _act(act)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(self.pad(x))
        if self.norm is not None:
            x = self.norm(x)
        return x if self.act is None else self.act(x)


class UpConvBlock(nn.Module):
    """``transposed conv -> norm -> activation`` (the flow column's x2 upsampling)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, padding: int,
                 norm: str = 'none', act: str = 'relu') -> None:
        super().__init__()
        self.conv = nn.ConvTranspose2d(cin, cout, kernel, stride, padding)
        self.norm = _norm(norm, cout)
        self.act = _act(act)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(x)
        if self.norm is not None:
            x = self.norm(x)
        return x if self.act is None else self.act(x)


class _Residual(nn.Module):
    def __init__(self, dim: int, norm: str, act: str, pad: str) -> None:
        super().__init__()
        self.body = nn.Sequential(ConvBlock(dim, dim, 3, 1, 1, norm, act, pad),
                                  ConvBlock(dim, dim, 3, 1, 1, norm, 'none', pad))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class ResidualBlocks(nn.Sequential):
    """``n`` residual blocks of two 3x3 convolutions (no spectral norm, as the official)."""

    def __init__(self, n: int, dim: int, norm: str, act: str, pad: str) -> None:
        super().__init__(*[_Residual(dim, norm, act, pad) for _ in range(n)])


class DownResBlock(nn.Module):
    """The discriminator's residual block that halves the size: two 3x3 convolutions then
    a 2x2 average pool, plus a shortcut of a 2x2 average pool then an activated 1x1."""

    def __init__(self, cin: int, cout: int, act: str, pad: str, sn: bool) -> None:
        super().__init__()
        self.main = nn.Sequential(ConvBlock(cin, cin, 3, 1, 1, 'none', act, pad, sn),
                                  ConvBlock(cin, cout, 3, 1, 1, 'none', act, pad, sn),
                                  nn.AvgPool2d(2, 2))
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, 2),
                                      ConvBlock(cin, cout, 1, 1, 0, 'none', act, pad, sn))

    def forward(self, x: Tensor) -> Tensor:
        return self.main(x) + self.shortcut(x)


def xavier_init(module: nn.Module) -> None:
    """The official initialisation (``INIT_TYPE: xavier``): Xavier-normal convolution
    weights with gain sqrt(2), zero biases. A spectral-normalised convolution's
    ``weight_orig`` is initialised (the official code reaches it through ``weight.data``,
    which shares its storage)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            weight = getattr(m, 'weight_orig', m.weight)
            nn.init.xavier_normal_(weight.data, gain=math.sqrt(2))
            if m.bias is not None:
                nn.init.zeros_(m.bias.data)
