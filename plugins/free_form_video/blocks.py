"""The 3D gated convolution of Chang et al. (ICCV 2019): a feature convolution followed by
LeakyReLU(0.2), multiplied by the sigmoid of a gating convolution of the same input, both
spectrally normalised. The up-sampling block scales height and width by 2 (nearest) before
a gated convolution; time is never resampled."""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ['GatedConv3d', 'GatedUpConv3d', 'same_padding']


def _triple(v: int | Sequence[int]) -> tuple[int, int, int]:
    return (int(v),) * 3 if isinstance(v, int) else tuple(int(x) for x in v)


def same_padding(kernel: int | Sequence[int], dilation: int | Sequence[int]) -> tuple:
    """``(k - 1) * d // 2`` per axis: the padding that keeps a stride-1 convolution's size."""
    return tuple((k - 1) * d // 2 for k, d in zip(_triple(kernel), _triple(dilation)))


class GatedConv3d(nn.Module):
    """``act(feature(x)) * sigmoid(gate(x))``.

    Args:
        activation: LeakyReLU(0.2) on the feature branch; ``False`` for the output layer.
        spectral_norm: spectral normalisation (``torch.nn.utils.spectral_norm``, whose
            ``weight_orig``/``weight_u``/``weight_v`` layout the released checkpoint has) of
            both convolutions; the official output layer has none.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, activation: bool = True, spectral_norm: bool = True) -> None:
        super().__init__()
        args = (in_channels, out_channels, kernel_size, stride, padding, dilation)
        self.feature = nn.Conv3d(*args)
        self.gate = nn.Conv3d(*args)
        if spectral_norm:
            self.feature = nn.utils.spectral_norm(self.feature)
            self.gate = nn.utils.spectral_norm(self.gate)
        self.activation = nn.LeakyReLU(0.2) if activation else None

    def forward(self, x: Tensor) -> Tensor:
        feature = self.feature(x)
        if self.activation is not None:
            feature = self.activation(feature)
        return torch.sigmoid(self.gate(x)) * feature


class GatedUpConv3d(nn.Module):
    """Nearest up-sampling of height and width by 2, then a :class:`GatedConv3d`."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size=3, padding=1,
                 spectral_norm: bool = True) -> None:
        super().__init__()
        self.conv = GatedConv3d(in_channels, out_channels, kernel_size, 1, padding,
                                spectral_norm=spectral_norm)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(F.interpolate(x, scale_factor=(1, 2, 2), mode='nearest'))
