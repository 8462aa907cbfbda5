"""CSA's two generators (Liu et al., ICCV 2019, Sec. 3.1) and the two-stage generator.

* :class:`CSARoughNet`: the rough network, a pix2pix U-Net (4x4 stride-2 convolutions,
  instance norm, tanh), on the image whose hole is filled with the mean colour.
* :class:`CSARefinementNet`: the refinement U-Net. Each level goes down with a dilated 4x4
  stride-2 convolution and a 3x3 convolution, and up with a 3x3 and a 4x4 stride-2
  transposed convolution; the Coherent Semantic Attention layer follows the 3x3
  convolution of the level at 1/8 of the input (32x32x512 at 256x256); no final tanh.
* :class:`CSAGenerator`: both, the refinement net reading the rough result pasted into the
  hole and the masked image (6 channels), as the official model's forward.

Parameter counts at the official defaults (``base_channels=64``, ``num_downs=8``): rough
net 54,419,459, refinement net 77,692,291.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from toolbox.bases import BaseGenerator
from toolbox.registry import GENERATORS

from .attention import CoherentSemanticAttention, feature_hole
from .init import normal_init

__all__ = ['CSARoughNet', 'CSARefinementNet', 'CSAGenerator', 'MEAN_COLOUR']

#: the official hole fill of the rough net's input: ImageNet's mean (123, 104, 117) in [-1, 1]
MEAN_COLOUR = (2 * 123 / 255 - 1, 2 * 104 / 255 - 1, 2 * 117 / 255 - 1)


def _norm(c: int) -> nn.Module:
    return nn.InstanceNorm2d(c, affine=True)


def _skip(x: Tensor, deeper: Tensor) -> Tensor:
    """``[deeper, x]`` along channels, ``deeper`` resized to ``x`` if the sizes differ."""
    if deeper.shape[-2:] != x.shape[-2:]:
        deeper = F.interpolate(deeper, size=x.shape[-2:], mode='bilinear', align_corners=False)
    return torch.cat([deeper, x], 1)


class _RoughLevel(nn.Module):
    """One level of the pix2pix U-Net: ``[up(inner(down(x))), x]``."""

    def __init__(self, outer: int, inner: int, inner_level: nn.Module | None,
                 in_channels: int | None = None, outermost: bool = False) -> None:
        super().__init__()
        in_channels = in_channels or outer
        self.outermost, self.inner = outermost, inner_level
        down_conv = nn.Conv2d(in_channels, inner, 4, stride=2, padding=1)
        if outermost:
            self.down = nn.Sequential(down_conv)
            self.up = nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1),
                                    nn.Tanh())
        elif inner_level is None:             # innermost: no norm on the way down
            self.down = nn.Sequential(nn.LeakyReLU(0.2), down_conv)
            self.up = nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(inner, outer, 4, 2, 1),
                                    _norm(outer))
        else:
            self.down = nn.Sequential(nn.LeakyReLU(0.2), down_conv, _norm(inner))
            self.up = nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1),
                                    _norm(outer))

    def forward(self, x: Tensor) -> Tensor:
        y = self.down(x)
        if self.inner is not None:
            y = self.inner(y)
        y = self.up(y)
        return y if self.outermost else _skip(x, y)


@GENERATORS.register_module()
class CSARoughNet(BaseGenerator):
    """The rough network: a pix2pix U-Net of ``num_downs`` halvings (8 at 256x256).

    ``forward(masked_image, mask)`` fills the hole with :data:`MEAN_COLOUR` (the official
    input) and returns ``{'output': [B, 3, H, W]}`` in [-1, 1].
    """

    tiny_cfg = dict(base_channels=4, num_downs=5)
    #: the hole is filled with the mean colour: an estimate there is not read
    uses_estimate = False

    def __init__(self, in_channels: int = 3, out_channels: int = 3, base_channels: int = 64,
                 num_downs: int = 8) -> None:
        super().__init__()
        if num_downs < 5:
            raise ValueError(f'CSARoughNet: num_downs must be >= 5, got {num_downs}')
        c = base_channels
        level = _RoughLevel(8 * c, 8 * c, None)
        for _ in range(num_downs - 5):
            level = _RoughLevel(8 * c, 8 * c, level)
        for outer, inner in ((4 * c, 8 * c), (2 * c, 4 * c), (c, 2 * c)):
            level = _RoughLevel(outer, inner, level)
        self.net = _RoughLevel(out_channels, c, level, in_channels, outermost=True)
        self.size_multiple = 2 ** num_downs
        normal_init(self)

    def fill(self, masked: Tensor, mask: Tensor) -> Tensor:
        colour = masked.new_tensor(MEAN_COLOUR).view(1, 3, 1, 1)
        return masked * (1 - mask) + colour * mask

    def forward(self, masked: Tensor, mask: Tensor) -> dict[str, Tensor]:
        return {'output': self.net(self.fill(masked, mask))}


class _RefineLevel(nn.Module):
    """One level of the refinement U-Net; with ``attention`` the CSA level, which also
    records its features for the consistency loss."""

    def __init__(self, outer: int, inner: int, inner_level: nn.Module | None,
                 attention: bool = False) -> None:
        super().__init__()
        self.inner, self.attention = inner_level, None
        self.down = nn.Sequential(nn.LeakyReLU(0.2),
                                  nn.Conv2d(outer, outer, 4, stride=2, padding=3, dilation=2))
        if inner_level is None:               # innermost
            self.up = nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(inner, outer, 4, 2, 1),
                                    _norm(outer))
            return
        self.down.append(_norm(outer))
        self.down_3 = nn.Sequential(nn.LeakyReLU(0.2), nn.Conv2d(outer, inner, 3, padding=1))
        if attention:
            self.attention = CoherentSemanticAttention()
        self.norm_3 = _norm(inner)
        self.up = nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(inner * 2, outer, 3, padding=1),
                                _norm(outer), nn.ReLU(),
                                nn.ConvTranspose2d(outer, outer, 4, 2, 1), _norm(outer))

    def forward(self, x: Tensor, hole: Tensor | None, record: dict) -> Tensor:
        y = self.down(x)
        if self.inner is None:
            return _skip(x, self.up(y))
        y = self.down_3(y)
        if self.attention is not None:
            y = self.attention(y, hole)
            record['csa'] = y
        y = self.norm_3(y)
        deeper = self.inner(y, hole, record)
        if self.attention is not None:
            # the decoder's features at this level (the official InnerCos2's input)
            record['csa_decoder'] = deeper[:, :y.shape[1]]
        return _skip(x, self.up(deeper))


@GENERATORS.register_module()
class CSARefinementNet(BaseGenerator):
    """The refinement U-Net with the CSA layer at 1/8 of the input size.

    ``forward(x, mask)`` with ``x`` [B, in_channels, H, W] returns ``{'output', 'csa',
    'csa_decoder', 'csa_hole'}``: the image (no tanh, as the official net), the CSA
    layer's output and the decoder's features at that level (both ``8 base_channels``
    channels, for the consistency loss) and the feature-level hole (float, 1 = hole).

    Args:
        num_downs: halvings in all (8 at 256x256: the innermost features are 1x1).
        threshold: a feature position is a hole when the mask averaged down to it
            exceeds this (the official 5/16).
    """

    tiny_cfg = dict(in_channels=3, base_channels=4, num_downs=5)

    def __init__(self, in_channels: int = 6, out_channels: int = 3, base_channels: int = 64,
                 num_downs: int = 8, threshold: float = 5 / 16) -> None:
        super().__init__()
        if num_downs < 5:
            raise ValueError(f'CSARefinementNet: num_downs must be >= 5, got {num_downs}')
        c = base_channels
        level = _RefineLevel(8 * c, 8 * c, None)
        for _ in range(num_downs - 4):
            level = _RefineLevel(8 * c, 8 * c, level)
        level = _RefineLevel(4 * c, 8 * c, level, attention=True)
        level = _RefineLevel(2 * c, 4 * c, level)
        self.inner = _RefineLevel(c, 2 * c, level)
        self.first = nn.Conv2d(in_channels, c, 3, padding=1)
        self.last = nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(2 * c, out_channels, 3,
                                                                padding=1))
        self.threshold = float(threshold)
        self.size_multiple = 2 ** num_downs
        normal_init(self)

    def forward(self, x: Tensor, mask: Tensor) -> dict[str, Tensor]:
        hole = feature_hole(mask, 3, self.threshold)
        record: dict[str, Tensor] = {}
        y = self.last(self.inner(self.first(x), hole, record))
        return {'output': y, **record, 'csa_hole': hole.to(y.dtype)}


@GENERATORS.register_module()
class CSAGenerator(BaseGenerator):
    """The rough net, then the refinement net on ``[rough result in the hole and the known
    pixels, masked image]`` (6 channels; the hole of the second half is 0, as the official
    forward leaves it). Returns ``{'rough', 'output', 'csa', 'csa_decoder', 'csa_hole'}``.

    Args:
        rough, refinement: keyword arguments of :class:`CSARoughNet` and
            :class:`CSARefinementNet`.
        detach_rough: pass no gradient from the refinement net into the rough net (the
            official code pastes ``fake_P.data``: the rough net learns from its own L1 term
            only). The paper does not say; True follows the code.
    """

    tiny_cfg = dict(rough=dict(base_channels=4, num_downs=5),
                    refinement=dict(base_channels=4, num_downs=5))
    #: the rough net fills the hole itself and the refinement net reads it zeroed
    uses_estimate = False

    def __init__(self, rough: dict | None = None, refinement: dict | None = None,
                 detach_rough: bool = True) -> None:
        super().__init__()
        self.rough = CSARoughNet(**(rough or {}))
        self.refinement = CSARefinementNet(**(refinement or {}))
        self.detach_rough = bool(detach_rough)
        self.size_multiple = max(self.rough.size_multiple, self.refinement.size_multiple)

    def forward(self, masked: Tensor, mask: Tensor) -> dict[str, Tensor]:
        rough = self.rough(masked, mask)['output']
        pasted = (rough.detach() if self.detach_rough else rough) * mask + masked * (1 - mask)
        refined = self.refinement(torch.cat([pasted, masked * (1 - mask)], 1), mask)
        return {'rough': rough, **refined}
