"""The AOT block (Aggregated cOntextual-Transformation, Zeng et al. TVCG 2022, Sec. 3.2).

Split: the input goes through one 3x3 convolution per dilation rate, each giving a
quarter (``dim / len(rates)``) of the channels. Aggregate: the branches are concatenated
and fused by a 3x3 convolution. Gated residual: a spatially varying gate
``g = sigmoid(norm(gate_conv(x)))`` mixes input and transformation,
``x * (1 - g) + aggregated * g``. ``norm`` is the authors' ``my_layer_norm``:
per sample and channel, ``5 * (2 * (f - mean) / (std + 1e-9) - 1)`` (std unbiased, as
``torch.std``), which keeps the gate away from saturating at 0.5 everywhere.
All convolutions pad by reflection, as the authors' code.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

__all__ = ['AOTBlock', 'gate_norm']


def gate_norm(feat: Tensor) -> Tensor:
    """The authors' normalisation of the gate's pre-activation (see the module doc)."""
    mean = feat.mean((2, 3), keepdim=True)
    std = feat.std((2, 3), keepdim=True) + 1e-9
    return 5 * (2 * (feat - mean) / std - 1)


def _reflect_conv(cin: int, cout: int, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.ReflectionPad2d(dilation),
                         nn.Conv2d(cin, cout, 3, dilation=dilation))


class AOTBlock(nn.Module):
    """``forward(x [B, dim, H, W]) -> [B, dim, H, W]``; ``dim`` divisible by the number of
    rates (the authors: 256 channels, rates 1, 2, 4, 8)."""

    def __init__(self, dim: int, rates: Sequence[int] = (1, 2, 4, 8)) -> None:
        super().__init__()
        rates = tuple(int(r) for r in rates)
        if not rates or dim % len(rates):
            raise ValueError(f'AOTBlock: dim {dim} must be divisible by the number of '
                             f'rates {len(rates)} ({list(rates)})')
        self.rates = rates
        self.branches = nn.ModuleList(
            nn.Sequential(*_reflect_conv(dim, dim // len(rates), r), nn.ReLU(True))
            for r in rates)
        self.fuse = _reflect_conv(dim, dim)
        self.gate = _reflect_conv(dim, dim)

    def transform(self, x: Tensor) -> Tensor:
        """The aggregated contextual transformation (split, dilate, concatenate, fuse)."""
        return self.fuse(torch.cat([branch(x) for branch in self.branches], 1))

    def forward(self, x: Tensor) -> Tensor:
        g = torch.sigmoid(gate_norm(self.gate(x)))
        return x * (1 - g) + self.transform(x) * g
