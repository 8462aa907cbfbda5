"""The dense multi-scale fusion block (DMFB) of DMFN.

Paper: Z. Hui, J. Li, X. Wang, X. Gao, "Image Fine-grained Inpainting", arXiv:2002.02609
(2020), Figure 2 and equation (1); Table 2 gives the parameter counts that
``tests/plugins/test_dmfn.py`` asserts.

Structure (``channels=256``, ``branch_channels=64``, rates 1, 2, 4, 8)::

    x -> Conv3x3(256 -> 64) -> IN -> ReLU                       # "first convolution"
      -> x_i = Conv3x3(64 -> 64, dilation r_i)     i = 1..4     # first column
      -> y_1 = x_1,  y_i = K_i(x_i + y_{i-1})      i = 2..4     # second column, K_i 3x3
         (each K_i followed by IN -> ReLU)
      -> concat(y_1..y_4) -> IN -> ReLU -> Conv1x1(256 -> 256) -> IN
    out = x + that                                              # residual

Instance normalisation has no affine parameters (the released code's ``affine=False``);
with them the counts of Table 2 would not be met. Every convolution has a bias.

Variants (``combination=``):

* ``'dense'`` -- the DMFB above: 471,808 parameters at 256/64;
* ``'sum'`` -- "w/o K_i": the cumulative sums ``y_i = x_i + y_{i-1}`` without the K_i
  convolutions: 361,024;
* ``'none'`` -- "w/o combination": the four dilated outputs are concatenated directly:
  361,024.

Table 2's "rate=2" and "rate=8" models (803,392 parameters each) are not described in
the paper's text; see the plugin README for why no structure was guessed.

What differs from the released code (``models/block.py`` of the authors' repository): that
block has no K_i and fuses with a 3x3 convolution (885,312 parameters); the paper's
Figure 2, which this follows, has the K_i and a 1x1 fusion, and only that reading gives
Table 2's 471,808.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

__all__ = ['DMFB', 'COMBINATIONS']

COMBINATIONS = ('dense', 'sum', 'none')


def _conv(cin: int, cout: int, kernel: int, dilation: int = 1, stride: int = 1) -> nn.Conv2d:
    """A convolution with 'same' zero padding for odd kernels (with bias)."""
    return nn.Conv2d(cin, cout, kernel, stride=stride, padding=dilation * (kernel // 2),
                     dilation=dilation, bias=True)


class DMFB(nn.Module):
    """Dense multi-scale fusion block, ``[B, C, H, W] -> [B, C, H, W]``.

    Args:
        channels: input and output channels (256 in the paper).
        branch_channels: channels of the reduced features and of every branch (64);
            ``channels`` must equal ``branch_channels * len(rates)`` for the concatenation
            to fit the residual.
        rates: dilation rates of the parallel 3x3 convolutions, ``(1, 2, 4, 8)``.
        combination: ``'dense'`` (the DMFB), ``'sum'`` (w/o K_i) or ``'none'``
            (w/o combination); see the module docstring.
    """

    def __init__(self,
                 channels: int = 256,
                 branch_channels: int = 64,
                 rates: Sequence[int] = (1, 2, 4, 8),
                 combination: str = 'dense') -> None:
        super().__init__()
        rates = tuple(int(r) for r in rates)
        if combination not in COMBINATIONS:
            raise ValueError(f'DMFB: combination must be one of {COMBINATIONS}, '
                             f'got {combination!r}')
        if branch_channels * len(rates) != channels:
            raise ValueError(f'DMFB: branch_channels * len(rates) = '
                             f'{branch_channels} * {len(rates)} must equal channels '
                             f'({channels})')
        self.combination = combination
        self.reduce = _conv(channels, branch_channels, 3)
        self.branches = nn.ModuleList(_conv(branch_channels, branch_channels, 3, dilation=r)
                                      for r in rates)
        # K_2 .. K_n (none for the first branch, whose output passes unchanged).
        self.combine = nn.ModuleList(_conv(branch_channels, branch_channels, 3)
                                     for _ in rates[1:]) if combination == 'dense' else None
        self.fuse = _conv(channels, channels, 1)
        self.norm_branch = nn.InstanceNorm2d(branch_channels, affine=False)
        self.norm = nn.InstanceNorm2d(channels, affine=False)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        h = self.act(self.norm_branch(self.reduce(x)))          # [B, c, H, W]
        outs = [branch(h) for branch in self.branches]          # n x [B, c, H, W]
        if self.combination == 'dense':
            ys = [outs[0]]
            for x_i, k_i in zip(outs[1:], self.combine):
                ys.append(self.act(self.norm_branch(k_i(x_i + ys[-1]))))
        elif self.combination == 'sum':
            ys = [outs[0]]
            for x_i in outs[1:]:
                ys.append(x_i + ys[-1])
        else:
            ys = outs
        fused = self.fuse(self.act(self.norm(torch.cat(ys, dim=1))))   # [B, C, H, W]
        return x + self.norm(fused)
