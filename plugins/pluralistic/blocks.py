"""The residual blocks Pluralistic's networks are made of, and its short+long-term
attention (Zheng et al., CVPR 2019, Sec. 3.4).

Every convolution is spectrally normalised (``torch.nn.utils.spectral_norm``: one power
iteration per training forward; the weight is ``weight_orig``, the vectors ``weight_u``
and ``weight_v``), except the attention's query projection, as in the official code.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import spectral_norm

__all__ = ['ResidualBlock', 'FirstDownBlock', 'UpBlock', 'ToRGB', 'ShortLongAttention', 'sn']


def sn(module: nn.Module, use: bool = True) -> nn.Module:
    # dim=0 for transposed convolutions too (PyTorch's default there is 1): the official
    # code normalises every weight as a matrix [shape[0], -1]
    return spectral_norm(module, dim=0) if use else module


def _norm(kind: str | None, channels: int) -> list[nn.Module]:
    if kind is None or kind == 'none':
        return []
    if kind == 'instance':
        return [nn.InstanceNorm2d(channels, affine=True)]
    if kind == 'batch':
        return [nn.BatchNorm2d(channels)]
    raise ValueError(f"norm must be 'none', 'instance' or 'batch', got {kind!r}")


class ResidualBlock(nn.Module):
    """``[norm] act conv3 [norm] act conv3`` plus a 1x1 shortcut, both halved by average
    pooling when ``down``."""

    def __init__(self, cin: int, cout: int, hidden: int | None = None, norm: str | None = None,
                 slope: float = 0.1, down: bool = False, spectral: bool = True) -> None:
        super().__init__()
        hidden = cout if hidden is None else hidden
        act = nn.LeakyReLU(slope)
        self.main = nn.Sequential(*_norm(norm, cin), act, sn(nn.Conv2d(cin, hidden, 3, 1, 1),
                                                             spectral),
                                  *_norm(norm, hidden), act,
                                  sn(nn.Conv2d(hidden, cout, 3, 1, 1), spectral))
        self.shortcut = sn(nn.Conv2d(cin, cout, 1), spectral)
        self.down = down

    def forward(self, x: Tensor) -> Tensor:
        main, short = self.main(x), self.shortcut(x)
        if self.down:
            return F.avg_pool2d(main, 2) + F.avg_pool2d(short, 2)
        return main + short


class FirstDownBlock(nn.Module):
    """The image's first block: ``conv3 act conv3 pool`` plus ``pool conv1`` (no activation
    before the first convolution)."""

    def __init__(self, cin: int, cout: int, slope: float = 0.1, spectral: bool = True) -> None:
        super().__init__()
        self.main = nn.Sequential(sn(nn.Conv2d(cin, cout, 3, 1, 1), spectral), nn.LeakyReLU(slope),
                                  sn(nn.Conv2d(cout, cout, 3, 1, 1), spectral), nn.AvgPool2d(2))
        self.shortcut = sn(nn.Conv2d(cin, cout, 1), spectral)

    def forward(self, x: Tensor) -> Tensor:
        return self.main(x) + self.shortcut(F.avg_pool2d(x, 2))


class UpBlock(nn.Module):
    """``[norm] act conv3 [norm] act deconv3/2`` plus a ``deconv3/2`` shortcut: doubles H, W."""

    def __init__(self, cin: int, cout: int, hidden: int | None = None, norm: str | None = None,
                 slope: float = 0.1, spectral: bool = True) -> None:
        super().__init__()
        hidden = cout if hidden is None else hidden
        act = nn.LeakyReLU(slope)
        self.main = nn.Sequential(
            *_norm(norm, cin), act, sn(nn.Conv2d(cin, hidden, 3, 1, 1), spectral),
            *_norm(norm, hidden), act,
            sn(nn.ConvTranspose2d(hidden, cout, 3, 2, 1, output_padding=1), spectral))
        self.shortcut = sn(nn.ConvTranspose2d(cin, cout, 3, 2, 1, output_padding=1), spectral)

    def forward(self, x: Tensor) -> Tensor:
        return self.main(x) + self.shortcut(x)


class ToRGB(nn.Module):
    """``act, reflection pad, conv3, tanh``: an image in [-1, 1] at one scale."""

    def __init__(self, cin: int, cout: int = 3, slope: float = 0.1, spectral: bool = True) -> None:
        super().__init__()
        self.act = nn.LeakyReLU(slope)
        self.conv = sn(nn.Conv2d(cin, cout, 3), spectral)

    def forward(self, x: Tensor) -> Tensor:
        return torch.tanh(self.conv(F.pad(self.act(x), (1, 1, 1, 1), mode='reflect')))


class ShortLongAttention(nn.Module):
    """Short+long-term attention (Sec. 3.4).

    Self-attention over the decoder feature ``x`` (short-term): ``A = softmax_j(q_i . q_j)``
    with one 1x1 projection ``q`` for query and key, ``x + gamma * x A^T``. With the encoder
    feature ``pre`` of the same size and the visible mask ``valid`` (long-term):
    ``alpha * (1 - valid) * pre A^T + valid * pre``, i.e. the attention copies encoder
    features into the hole and keeps them where they are known; the two are fused by a
    residual block. ``gamma`` and ``alpha`` start at 0.

    The fusing block's activations have slope 0.01 (PyTorch's default LeakyReLU, which is
    what the official ``Auto_Attn`` gets).
    """

    def __init__(self, channels: int, pre_channels: int | None = None,
                 norm: str | None = None) -> None:
        super().__init__()
        pre_channels = channels if pre_channels is None else pre_channels
        self.query = nn.Conv2d(channels, channels // 4, 1)
        self.gamma = nn.Parameter(torch.zeros(1))
        self.alpha = nn.Parameter(torch.zeros(1))
        self.fuse = ResidualBlock(channels + pre_channels, channels, channels, norm=norm,
                                  slope=0.01)

    def forward(self, x: Tensor, pre: Tensor | None = None,
                valid: Tensor | None = None) -> tuple[Tensor, Tensor]:
        b, c, h, w = x.shape
        q = self.query(x).flatten(2)                                  # [B, C/4, N]
        attention = torch.softmax(q.transpose(1, 2) @ q, dim=-1)      # [B, N, N]
        out = x + self.gamma * (x.flatten(2) @ attention.transpose(1, 2)).view(b, c, h, w)
        if pre is None:
            return out, attention
        flow = (pre.flatten(2) @ attention.transpose(1, 2)).view(b, -1, h, w)
        context = self.alpha * (1 - valid) * flow + valid * pre
        return self.fuse(torch.cat([out, context], 1)), attention
