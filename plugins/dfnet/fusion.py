"""DFNet's fusion block (Hong et al., ACM MM 2019, Sec. 3.2, Fig. 3; the authors'
``FusionBlock`` / ``BlendBlock``).

At a decoder scale with features ``F``: a 1x1 convolution maps ``F`` to a raw image
``R``; the blend network predicts an alpha map ``A`` from ``[I, R]`` (``I``: the input image
resized to that scale, bilinear): 1x1 conv to ``max(6 // 2, 32) = 32`` channels, BN,
LeakyReLU, 3x3 conv to ``alpha_channels``, BN, LeakyReLU, 1x1 conv, sigmoid. The result is
the alpha composition ``A * R + (1 - A) * I``.

The authors' images are in [0, 1] and ``R = sigmoid(conv(F))``; here images are in
[-1, 1] and ``R = tanh(conv(F))`` (``2 sigmoid(2x) - 1``: the same map up to the affine
change of range), the same parameters.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ['FusionBlock', 'SameConv', 'alpha_composite', 'resize_like']


def resize_like(image: Tensor, like: Tensor) -> Tensor:
    """``image`` resized (bilinear, align_corners=False) to ``like``'s height and width."""
    if image.shape[-2:] == like.shape[-2:]:
        return image
    return F.interpolate(image, like.shape[-2:], mode='bilinear', align_corners=False)


def alpha_composite(alpha: Tensor, raw: Tensor, image: Tensor) -> Tensor:
    """``alpha * raw + (1 - alpha) * image``."""
    return alpha * raw + (1 - alpha) * image


class SameConv(nn.Module):
    """A convolution with TensorFlow-style 'same' padding (zeros; the extra pixel right and
    below when ``kernel - stride`` is odd), as the authors' ``Conv2dSame``."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1) -> None:
        super().__init__()
        total = kernel - stride
        self.pad = (total // 2, total - total // 2) * 2       # left, right, top, bottom
        self.conv = nn.Conv2d(cin, cout, kernel, stride)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(F.pad(x, self.pad))


class FusionBlock(nn.Module):
    """``forward(image, features) -> (result, alpha, raw)`` at the features' scale."""

    def __init__(self, feat_channels: int, alpha_channels: int = 3) -> None:
        super().__init__()
        mid = max(6 // 2, 32)
        self.to_image = SameConv(feat_channels, 3, 1)
        self.blend = nn.Sequential(
            SameConv(6, mid, 1), nn.BatchNorm2d(mid), nn.LeakyReLU(0.2),
            SameConv(mid, alpha_channels, 3), nn.BatchNorm2d(alpha_channels),
            nn.LeakyReLU(0.2),
            SameConv(alpha_channels, alpha_channels, 1), nn.Sigmoid())

    def forward(self, image: Tensor, features: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        image = resize_like(image, features)
        raw = torch.tanh(self.to_image(features))
        alpha = self.blend(torch.cat([image, raw], 1))
        return alpha_composite(alpha, raw, image), alpha, raw
