"""Convolutions padded as TensorFlow's ``'SAME'``, as the authors' DeepFill v1 code uses."""
from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ['SameConv2d', 'same_padding']


def same_padding(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """``(before, after)`` padding of TensorFlow's ``'SAME'`` along one axis: the output has
    ``ceil(size / stride)`` positions, and an odd total puts the extra pixel after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


class SameConv2d(nn.Conv2d):
    """``nn.Conv2d`` with TensorFlow's ``'SAME'`` zero padding (one-sided for a stride-2
    layer on an even size), so that each output pixel sees the input window TF's does."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1,
                 dilation: int = 1) -> None:
        super().__init__(cin, cout, kernel, stride, padding=0, dilation=dilation)

    def forward(self, x: Tensor) -> Tensor:
        k, s, d = self.kernel_size[0], self.stride[0], self.dilation[0]
        top, bottom = same_padding(x.shape[2], k, s, d)
        left, right = same_padding(x.shape[3], k, s, d)
        if top or bottom or left or right:
            x = F.pad(x, (left, right, top, bottom))
        return super().forward(x)
