"""The LBAM generator: a U-Net of ``num_layers`` forward attention layers and as many
decoder layers with reverse attention (Xie et al., ICCV 2019, Sec. 3.3 and Fig. 3).

Encoder: 4x4 convolutions of stride 2 (widths 64, 128, 256, 512, 512, 512, 512 at the
default 7 layers), each re-normalised by its learnable forward attention map; the first
reads the image and the known-pixel mask (4 channels), its mask convolution the mask as 3
channels, as the official code. Reverse branch: ``num_layers - 1`` mask convolutions on
``1 - M`` (1 in the hole) give the reverse attention maps. Decoder: at each level, the
transposed convolution of the deeper features and the encoder's pre-attention features of
that level are weighted by the forward and the reverse maps of that level; a last
transposed convolution gives RGB through ``tanh``.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from toolbox.bases import BaseGenerator, check_image_and_mask
from toolbox.registry import GENERATORS

from .attention import (PAPER_INIT, RELEASED_REVERSE_INIT, ForwardAttentionConv,
                        ReverseAttentionDeconv, ReverseMaskConv)

__all__ = ['LBAMGenerator']

_REVERSE_INITS = {'paper': PAPER_INIT, 'released': RELEASED_REVERSE_INIT}


@GENERATORS.register_module()
class LBAMGenerator(BaseGenerator):
    """``forward(masked_image, mask) -> {'output'}`` in [-1, 1] (not composited).

    The network computes in [0, 1], as the official code: the input is mapped there and the
    output ``tanh(x)`` is ``2 * ((tanh(x) + 1) / 2) - 1``, the official ``(tanh + 1) / 2``
    in the toolbox's range, so the official weights give the same results.

    Args:
        base_channels: width of the first layer (64); widths double up to 8x.
        num_layers: encoder depth (7, for 256x256 inputs); inputs must be multiples of
            ``2 ** num_layers``.
        alpha: exponent of the mask update ``ReLU(x) ** alpha`` (0.8).
        batch_norm: batch norm after the attention of every layer but the first and the
            last. The paper's model has it; the released model (and the parameter count of
            the issue) has not: the official README says the released model drops it.
        reverse_init: initial ``(a, mu, gamma_l, gamma_r)`` of the reverse attention
            layers: ``'paper'`` (1.1, 2.0, 1.0, 1.0, as the forward ones) or
            ``'released'`` (the official code's 1.1, 1.0, 0.5, 0.5).
        clamp: how the official bounds of ``a``, ``mu``, ``gamma`` apply (see
            :data:`~toolbox_plugins.lbam.attention.CLAMP_MODES`): ``'values'`` (the
            default: the official outputs, parameters left untouched), ``'inplace'`` (the
            official code: parameters projected at every forward), ``'none'``.
        hole_offset: added to the hole pixels of the input (``masked_image + hole_offset *
            mask``). 0: the holes as the engine fills them (0, mid-grey); -1: the official
            test script's black holes (0 in [0, 1]), which its released weights expect.
    """

    tiny_cfg = dict(base_channels=4, num_layers=3)

    def __init__(self, base_channels: int = 64, num_layers: int = 7, alpha: float = 0.8,
                 batch_norm: bool = False, reverse_init: str = 'paper',
                 clamp: str = 'values', hole_offset: float = 0.0) -> None:
        super().__init__()
        if num_layers < 2:
            raise ValueError(f'LBAMGenerator: num_layers must be >= 2, got {num_layers}')
        if reverse_init not in _REVERSE_INITS:
            raise ValueError(f"LBAMGenerator: reverse_init must be 'paper' or 'released', "
                             f'got {reverse_init!r}')
        self.num_layers = int(num_layers)
        self.hole_offset = float(hole_offset)
        c = int(base_channels)
        widths = [min(c * 2 ** i, 8 * c) for i in range(self.num_layers)]
        self.encoder = nn.ModuleList()
        for i, width in enumerate(widths):
            self.encoder.append(ForwardAttentionConv(
                4 if i == 0 else widths[i - 1], width, 3 if i == 0 else widths[i - 1],
                alpha=alpha, batch_norm=batch_norm and i > 0, clamp=clamp))
        # reverse[i] gives the reverse map of encoder level i (resolution / 2^(i+1))
        self.reverse = nn.ModuleList(
            ReverseMaskConv(3 if i == 0 else widths[i - 1], widths[i], alpha=alpha,
                            init=_REVERSE_INITS[reverse_init], clamp=clamp)
            for i in range(self.num_layers - 1))
        # decoder[i] produces level i from level i + 1
        self.decoder = nn.ModuleList(
            ReverseAttentionDeconv(widths[i + 1] if i == self.num_layers - 2
                                   else 2 * widths[i + 1], widths[i], widths[i],
                                   batch_norm=batch_norm)
            for i in range(self.num_layers - 1))
        self.to_rgb = nn.ConvTranspose2d(2 * widths[0], 3, 4, 2, 1, bias=False)
        nn.init.normal_(self.to_rgb.weight, 0.0, 0.02)

    @property
    def size_multiple(self) -> int:   # type: ignore[override]
        return 2 ** self.num_layers

    def forward(self, masked_image: Tensor, mask: Tensor) -> dict[str, Tensor]:
        check_image_and_mask(masked_image, mask, where='LBAMGenerator',
                             multiple=self.size_multiple)
        if self.hole_offset:
            masked_image = masked_image + self.hole_offset * mask
        known = 1.0 - mask
        x = torch.cat([(masked_image + 1) / 2, known], 1)
        m = known.expand(-1, 3, -1, -1)
        skips, forward_maps = [], []
        for layer in self.encoder:
            x, m, pre, attention = layer(x, m)
            skips.append(pre)
            forward_maps.append(attention)
        r = mask.expand(-1, 3, -1, -1)
        reverse_maps = []
        for layer in self.reverse:
            attention, r = layer(r)
            reverse_maps.append(attention)
        for i in reversed(range(self.num_layers - 1)):
            x = self.decoder[i](skips[i], x,
                                torch.cat([forward_maps[i], reverse_maps[i]], 1))
        return {'output': torch.tanh(self.to_rgb(x))}
