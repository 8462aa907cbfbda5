"""The partial convolution (Liu et al., ECCV 2018, Sec. 3.1), with NVIDIA's multi-channel
masks.

With ``X`` the features under the sliding window, ``M`` its binary mask (1 = valid) and
``W, b`` the filter::

    x' = W^T (X * M) * sum(1) / sum(M) + b    if sum(M) > 0,   0 otherwise
    m' = 1                                    if sum(M) > 0,   0 otherwise

``sum(1)`` is the number of elements under the window (``C_in k^2``) and ``sum(M)`` the
number of valid ones among them, so the response is re-normalised to the fraction of valid
inputs. Masks are given per channel or as one channel shared by all channels.

The updated mask is one channel (every output channel shares it) unless
``multi_channel=True``, the option of NVIDIA's reference implementation
(``models/partialconv2d.py``) that layers chained on per-channel masks (PRVS) need: the mask
must then be ``[B, C_in, H, W]`` and the updated one is ``[B, C_out, H', W']`` -- the same
map repeated, since every output channel sees all input channels.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ['PartialConv2d']


class PartialConv2d(nn.Conv2d):
    """``forward(x [B, C_in, H, W], mask) -> (x' [B, C_out, H', W'], mask')``, mask
    1 = valid (binary). Arguments as ``nn.Conv2d`` (zero padding), plus:

    Args:
        multi_channel: ``False``: ``mask`` is ``[B, 1 or C_in, H, W]`` and ``mask'`` is
            ``[B, 1, H', W']``. ``True``: ``mask`` is ``[B, C_in, H, W]`` and ``mask'`` is
            ``[B, C_out, H', W']``.
    """

    def __init__(self, *args, multi_channel: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.groups != 1 or self.padding_mode != 'zeros':
            # the window count sum(1) below assumes every output sees all C_in channels
            # through zero padding
            raise ValueError(f'PartialConv2d: only groups=1 and zero padding are supported, '
                             f'got groups={self.groups}, padding_mode={self.padding_mode!r}')
        self.multi_channel = bool(multi_channel)

    def forward(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        cin = x.shape[1]
        channels = (cin,) if self.multi_channel else (1, cin)
        if (mask.ndim != 4 or mask.shape[1] not in channels or mask.shape[0] != x.shape[0]
                or mask.shape[2:] != x.shape[2:]):
            which = f'{cin}' if self.multi_channel else f'1 or {cin}'
            raise ValueError(f'PartialConv2d(multi_channel={self.multi_channel}): mask must be '
                             f'[{x.shape[0]}, {which}, {x.shape[2]}, {x.shape[3]}], got '
                             f'{list(mask.shape)}')
        with torch.no_grad():
            ones = torch.ones(1, mask.shape[1], *self.kernel_size, dtype=x.dtype,
                              device=x.device)
            valid = F.conv2d(mask.to(x.dtype), ones, stride=self.stride, padding=self.padding,
                             dilation=self.dilation)             # sum(M), [B, 1, H', W']
            if mask.shape[1] == 1:
                valid = valid * cin                              # shared by all channels
            window = cin * self.kernel_size[0] * self.kernel_size[1]   # sum(1)
            new_mask = (valid > 0).to(x.dtype)
            ratio = window / valid.clamp_min(1) * new_mask
        raw = F.conv2d(x * mask.to(x.dtype), self.weight, None, self.stride, self.padding,
                       self.dilation)
        out = raw * ratio
        if self.bias is not None:
            out = out + self.bias.view(1, -1, 1, 1) * new_mask
        if self.multi_channel:
            new_mask = new_mask.expand(-1, self.out_channels, -1, -1).contiguous()
        return out, new_mask
