"""The partial convolution (Liu et al., ECCV 2018, Sec. 3.1).

With ``X`` the features under the sliding window, ``M`` its binary mask (1 = valid) and
``W, b`` the filter::

    x' = W^T (X * M) * sum(1) / sum(M) + b    if sum(M) > 0,   0 otherwise
    m' = 1                                    if sum(M) > 0,   0 otherwise

``sum(1)`` is the number of elements under the window (``C_in k^2``) and ``sum(M)`` the
number of valid ones among them, so the response is re-normalised to the fraction of valid
inputs. Masks are given per channel or as one channel shared by all channels; the updated
mask is one channel (all output channels share it).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ['PartialConv2d']


class PartialConv2d(nn.Conv2d):
    """``forward(x [B, C, H, W], mask [B, 1 or C, H, W]) -> (x', mask' [B, 1, H', W'])``,
    mask 1 = valid. Arguments as ``nn.Conv2d`` (zero padding)."""

    def forward(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        cin = x.shape[1]
        if mask.shape[1] not in (1, cin) or mask.shape[2:] != x.shape[2:]:
            raise ValueError(f'PartialConv2d: mask must be [B, 1 or {cin}, '
                             f'{x.shape[2]}, {x.shape[3]}], got {list(mask.shape)}')
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
        return out, new_mask
