"""PRVS's edge discriminator (Li et al., ICCV 2019, Sec. 3.3): EdgeConnect's patch
discriminator (five 4x4 convolutions with spectral norm, widths 64, 128, 256, 512, 1,
strides 2, 2, 2, 1, 1, LeakyReLU 0.2), judging an edge map stacked with the grey image.

It returns logits: the official code applies a sigmoid and ``BCELoss``; the loss here
applies ``BCEWithLogits`` to the same logits (the same values, without saturating).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from toolbox.bases import BaseDiscriminator
from toolbox.registry import DISCRIMINATORS

from .edges import canny_edges, grey

__all__ = ['PRVSEdgeDiscriminator']


@DISCRIMINATORS.register_module()
class PRVSEdgeDiscriminator(BaseDiscriminator):
    """``forward(image, mask, edge=None) -> logits [B, 1, h, w]``: is ``edge`` ``[B, 1, H,
    W]`` the edge map of ``image`` ``[B, 3, H, W]`` in [-1, 1]? It sees ``edge`` stacked
    with the grey ``image`` (in [0, 1], as the official code). ``edge=None``: the Canny
    edges of ``image`` (no gradient through them; through the grey image there is).

    The PRVS inpaintor calls it at the size of each edge map the generator returns, with
    the grey ground truth resized to it. ``mask`` is not read.

    Args:
        base_channels: width of the first layer (64); widths 1x, 2x, 4x, 8x.
        spectral_norm: spectral normalisation on every convolution (official: yes); without
            it the convolutions have biases, as EdgeConnect's.
    """

    tiny_cfg = dict(base_channels=4)

    def __init__(self, base_channels: int = 64, spectral_norm: bool = True) -> None:
        super().__init__()
        c = int(base_channels)
        widths = [2, c, 2 * c, 4 * c, 8 * c, 1]
        strides = [2, 2, 2, 1, 1]
        layers = []
        for i, stride in enumerate(strides):
            conv = nn.Conv2d(widths[i], widths[i + 1], 4, stride, 1, bias=not spectral_norm)
            nn.init.normal_(conv.weight, 0.0, 0.02)          # the official init_weights
            if conv.bias is not None:
                nn.init.zeros_(conv.bias)
            if spectral_norm:
                conv = nn.utils.spectral_norm(conv)
            act = nn.LeakyReLU(0.2) if i < len(strides) - 1 else nn.Identity()
            layers.append(nn.Sequential(conv, act))
        self.layers = nn.ModuleList(layers)

    def forward(self, image: Tensor, mask: Tensor, edge: Tensor | None = None) -> Tensor:
        return self.forward_with_features(image, mask, edge)[0]

    def forward_with_features(self, image: Tensor, mask: Tensor,
                              edge: Tensor | None = None) -> tuple[Tensor, list[Tensor]]:
        image01 = (image + 1) / 2
        if edge is None:
            edge = canny_edges(image01)
        return self.judge(torch.cat([edge, grey(image01)], 1))

    def judge(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        """``[edge, grey]`` ``[B, 2, H, W]`` -> ``(logits, features of each layer)``."""
        features = []
        for layer in self.layers:
            x = layer(x)
            features.append(x)
        return x, features
