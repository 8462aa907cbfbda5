"""The generator of internal learning (Zhang et al., ICCV 2019): Deep Image Prior's
encoder-decoder with skips, mapping a fixed noise map per frame to that frame's image and,
in the DIP-Vid-Flow setting, its optical flows.

Each of the six levels halves the resolution with a strided 5x5 convolution, refines with a
second 5x5 one, recurses into the next level, upsamples (nearest) and merges the result with
a 1x1 skip branch of its input: BN on the concatenation, a 3x3 and a 1x1 convolution, each
followed by BN and LeakyReLU(0.2). Every convolution pads by reflection. The upsampled path
is cropped to the skip's size, so any frame size works whose coarsest levels stay larger
than the reflection padding (:func:`min_side`).

The modules are registered in the order of the official ``EncoderDecoder2D``'s
``state_dict``, so its weights load by position (``tools`` scripts compare the two).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn
import torch.nn.functional as F

__all__ = ['SkipEncoderDecoder', 'min_side', 'FLOW_STRIDES']

#: the frame strides whose forward and backward flows the flow head predicts
FLOW_STRIDES = (1, 3, 5)


def _pair(k, dims: int) -> tuple:
    return tuple(k) if isinstance(k, (tuple, list)) else (k,) * dims


class _Pad3d(nn.Module):
    """Reflection in space, replication in time (the official ``ReflectionPad3D``)."""

    def __init__(self, pad_t: int, pad_s: int) -> None:
        super().__init__()
        self.pad = (pad_s, pad_s, pad_s, pad_s, pad_t, pad_t)

    def forward(self, x: Tensor) -> Tensor:
        x = F.pad(x, self.pad[:4] + (0, 0), mode='reflect')
        return F.pad(x, (0, 0, 0, 0) + self.pad[4:], mode='replicate')


def _conv(cin: int, cout: int, k, stride: int = 1, dims: int = 2) -> nn.Sequential:
    # the padding as a module of its own, as the official code builds it
    k = _pair(k, dims)
    if dims == 2:
        return nn.Sequential(nn.ReflectionPad2d((k[0] - 1) // 2),
                             nn.Conv2d(cin, cout, k, stride))
    # 3D: frames are never strided, only space
    return nn.Sequential(_Pad3d((k[0] - 1) // 2, (k[1] - 1) // 2),
                         nn.Conv3d(cin, cout, k, (1, stride, stride)))


def _bn(channels: int, dims: int) -> nn.Module:
    # 3D: statistics over frames and pixels, as the official BatchNorm3D (a BatchNorm2d
    # over the frames of its single clip) computes them
    return nn.BatchNorm2d(channels) if dims == 2 else nn.BatchNorm3d(channels)


def _act() -> nn.LeakyReLU:
    return nn.LeakyReLU(0.2)


class _Level(nn.Module):
    """One scale: skip branch, down path (with the deeper levels inside), merge."""

    def __init__(self, cin: int, down: Sequence[int], up: Sequence[int], skip: Sequence[int],
                 k_down, k_up, k_skip, dims: int = 2) -> None:
        super().__init__()
        deepest = len(down) == 1
        d = dims
        self.skip = nn.Sequential(_conv(cin, skip[0], k_skip, dims=d), _bn(skip[0], d), _act())
        self.down = nn.Sequential(_conv(cin, down[0], k_down, 2, d), _bn(down[0], d), _act(),
                                  _conv(down[0], down[0], k_down, dims=d), _bn(down[0], d),
                                  _act())
        self.deeper = None if deepest else _Level(down[0], down[1:], up[1:], skip[1:], k_down,
                                                  k_up, k_skip, d)
        merged = skip[0] + (down[0] if deepest else up[1])
        self.merge = nn.Sequential(_bn(merged, d), _conv(merged, up[0], k_up, dims=d),
                                   _bn(up[0], d), _act(), _conv(up[0], up[0], 1, dims=d),
                                   _bn(up[0], d), _act())
        self.scale = (2.0,) * 2 if dims == 2 else (1.0, 2.0, 2.0)

    def forward(self, x: Tensor) -> Tensor:
        y = self.down(x)
        if self.deeper is not None:
            y = self.deeper(y)
        y = F.interpolate(y, scale_factor=self.scale, mode='nearest')
        h, w = x.shape[-2:]
        # the upsampled path is at least as large as the input; crop it (from the top left,
        # where the official centred crop also starts for a difference of one pixel)
        return self.merge(torch.cat([self.skip(x), y[..., :h, :w]], 1))


class SkipEncoderDecoder(nn.Module):
    """``forward(noise [N, in_channels, H, W]) -> [N, 3 + flow_channels, H, W]``: the image
    (sigmoid, in [0, 1]) and the flows divided by the clip's largest flow value, channels
    ``3 + 4 i .. 3 + 4 i + 3`` the forward then backward flow (x, y) at stride
    ``flow_strides[i]``.

    Args:
        in_channels: channels of the noise map (1 in the paper).
        down, up, skip: channels per level (six levels in the paper).
        k_down, k_up, k_skip: kernel sizes of the down, merge and skip convolutions.
        flow_strides: frame strides with a flow output; ``()``: the image head only
            (DIP-Vid).
        dims: 2, or 3 for the DIP-Vid-3DCN variant: 3D convolutions over the frames of
            the batch (kernel sizes may then be ``(time, space, space)``; the official
            ``DIP_Vid_3DCN.py`` uses ``k_down=(3, 5, 5), k_up=(3, 3, 3), k_skip=1`` and no
            flow head); it still takes and returns ``[N, C, H, W]``, the N frames being one
            clip.
    """

    def __init__(self, in_channels: int = 1,
                 down: Sequence[int] = (16, 32, 64, 128, 128, 128),
                 up: Sequence[int] = (16, 32, 64, 128, 128, 128),
                 skip: Sequence[int] = (4, 4, 4, 4, 4, 4),
                 k_down: int = 5, k_up: int = 3, k_skip: int = 1,
                 flow_strides: Sequence[int] = FLOW_STRIDES, dims: int = 2) -> None:
        super().__init__()
        if not len(down) == len(up) == len(skip) >= 1:
            raise ValueError(f'SkipEncoderDecoder: down, up and skip need one entry per level, '
                             f'got {len(down)}, {len(up)}, {len(skip)}')
        if dims not in (2, 3):
            raise ValueError(f'SkipEncoderDecoder: dims must be 2 or 3, got {dims}')
        self.levels, self.dims = len(down), dims
        self.k_down = _pair(k_down, dims)[-1]          # the spatial size sets min_side
        self.flow_strides = tuple(int(s) for s in flow_strides)
        self.body = _Level(in_channels, down, up, skip, k_down, k_up, k_skip, dims)
        self.image_head = _conv(up[0], 3, 1, dims=dims)
        self.flow_head = (_conv(up[0], 4 * len(self.flow_strides), 1, dims=dims)
                          if self.flow_strides else None)

    def forward(self, noise: Tensor) -> Tensor:
        if self.dims == 3:                         # the frames as the depth of one clip
            noise = noise.transpose(0, 1)[None]
        x = self.body(noise)
        out = torch.sigmoid(self.image_head(x))
        if self.flow_head is not None:
            out = torch.cat([out, self.flow_head(x)], 1)
        return out[0].transpose(0, 1) if self.dims == 3 else out


def min_side(levels: int = 6, k_down: int = 5) -> int:
    """The smallest frame side the generator takes: reflection padding needs every padded
    map to be larger than the pad, down to the second convolution of the deepest level."""
    pad = (k_down - 1) // 2
    side = 1
    while True:
        s, ok = side, True
        for _ in range(levels):
            if s <= pad:                 # the strided convolution's input
                ok = False
                break
            s = (s + 1) // 2
        if ok and s > pad:               # the deepest level's second convolution
            return side
        side += 1
