"""PRVS's layers (Li et al., ICCV 2019, Sec. 3.1-3.2): the Visual Structure Reconstruction
(VSR) layer, its edge generator, and the plain partial-convolution layer of the rest of
the U-Net. Masks are NVIDIA's multi-channel ones (``PartialConv2d(multi_channel=True)``):
``[B, C, H, W]``, 1 = valid, one channel per feature channel.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from toolbox.nn import PartialConv2d

__all__ = ['Bottleneck', 'EdgeGenerator', 'VSRLayer', 'PConvLayer', 'ACTIVATIONS']


def _activation(name: str | None) -> nn.Module:
    if name == 'relu':
        return nn.ReLU()
    if name == 'leaky':
        return nn.LeakyReLU(0.2)
    if name is None or name == 'none':
        return nn.Identity()
    raise ValueError(f"PRVS: activation must be 'relu', 'leaky' or 'none', got {name!r}")


ACTIVATIONS = ('relu', 'leaky', 'none')


class Bottleneck(nn.Module):
    """ResNet's bottleneck block (1x1 down to ``width // 4``, 3x3, 1x1 back, batch norm
    after each, identity shortcut, ReLU): the "residual block" of the edge generator and
    the image resolver after the last layer."""

    def __init__(self, width: int) -> None:
        super().__init__()
        inner = width // 4
        self.conv1 = nn.Conv2d(width, inner, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(inner)
        self.conv2 = nn.Conv2d(inner, inner, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(inner)
        self.conv3 = nn.Conv2d(inner, width, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(width)

    def forward(self, x: Tensor) -> Tensor:
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        return F.relu(self.bn3(self.conv3(h)) + x)


class EdgeGenerator(nn.Module):
    """``(features and edge [B, C+1, H, W], mask [B, C+1, H, W]) -> (edge [B, 1, H, W],
    mask' [B, width, H, W])``: a partial convolution (no bias, stride 1), a bottleneck and
    a 1x1 convolution to one channel (no activation: the edge map is a raw score)."""

    def __init__(self, in_channels: int, kernel_size: int, width: int = 64) -> None:
        super().__init__()
        self.conv = PartialConv2d(in_channels, width, kernel_size, 1, kernel_size // 2,
                                  bias=False, multi_channel=True)
        self.resolver = Bottleneck(width)
        self.to_edge = nn.Conv2d(width, 1, 1, bias=False)

    def forward(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        h, mask = self.conv(x, mask)
        return self.to_edge(self.resolver(h)), mask


class VSRLayer(nn.Module):
    """``(features [B, C, H, W], mask [B, C, H, W], edge [B, 1, h, w]) -> (features',
    mask', edge')``.

    The edge map is resized (nearest) to the features. The edge generator reads features
    and edge under their mask and grows the valid region by one ring (``M_pc1``); the new
    edge map keeps the input edges where they were known and takes the generated ones only
    in that ring: ``E = E_in * M_in + E_conv * (M_pc1 - M_in)`` (zero where still unknown).
    A partial convolution then reads the features with that edge map (its mask: the input
    mask and ``M_pc1``), followed by an optional x2 transposed convolution (decoder), batch
    norm and activation. The output mask is the feature convolution's, limited to
    ``M_pc1``, at the output size.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3,
                 stride: int = 2, batch_norm: bool = True, activation: str | None = 'relu',
                 upsample: bool = False, edge_width: int = 64) -> None:
        super().__init__()
        self.edge = EdgeGenerator(in_channels + 1, kernel_size, edge_width)
        self.feature = PartialConv2d(in_channels + 1, out_channels, kernel_size, stride,
                                     kernel_size // 2, multi_channel=True)
        self.up = nn.ConvTranspose2d(out_channels, out_channels, 4, 2, 1) if upsample else None
        self.bn = nn.BatchNorm2d(out_channels) if batch_norm else None
        self.act = _activation(activation)

    def forward(self, x: Tensor, mask: Tensor, edge: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        edge = F.interpolate(edge, size=x.shape[2:])
        known = mask[:, :1]
        generated, grown = self.edge(torch.cat([x, edge], 1), torch.cat([mask, known], 1))
        grown = grown[:, :1]                                         # M_pc1, [B, 1, H, W]
        edge = edge * known + generated * (grown - known)
        h, h_mask = self.feature(torch.cat([x, edge], 1), torch.cat([mask, grown], 1))
        if self.up is not None:
            h = self.up(h)
        if self.bn is not None:
            h = self.bn(h)
        h = self.act(h)
        size = h.shape[2:]
        h_mask = F.interpolate(h_mask, size=size) * F.interpolate(grown, size=size)
        return h, h_mask, edge


class PConvLayer(nn.Module):
    """``(features, mask) -> (features', mask')``: a partial convolution without bias
    (stride 2 in the encoder; stride 1 then a x2 transposed convolution in the decoder),
    batch norm and activation; the mask is resized (nearest) to the output."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3,
                 stride: int = 2, activation: str | None = 'relu',
                 upsample: bool = False) -> None:
        super().__init__()
        self.conv = PartialConv2d(in_channels, out_channels, kernel_size, stride,
                                  kernel_size // 2, bias=False, multi_channel=True)
        self.up = (nn.ConvTranspose2d(out_channels, out_channels, 4, 2, 1, bias=False)
                   if upsample else None)
        self.bn = nn.BatchNorm2d(out_channels)
        self.act = _activation(activation)

    def forward(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        h, mask = self.conv(x, mask)
        if self.up is not None:
            h = self.up(h)
        h = self.act(self.bn(h))
        return h, F.interpolate(mask, size=h.shape[2:])
