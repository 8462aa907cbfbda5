"""SN-PatchGAN, the discriminator of DeepFill v2.

Paper: J. Yu et al., "Free-Form Image Inpainting with Gated Convolution", ICCV 2019
(Sec. 3.3): six 5x5 stride-2 convolutions with spectral normalisation (Miyato et al.,
ICLR 2018) and leaky ReLU on image, mask (and sketch); every element of the output feature
map ``[B, 4c, H/64, W/64]`` is a GAN logit, trained with the hinge loss (``HingeGANLoss``
of the basic plugin).

What differs from the paper: symmetric zero padding 2 (TensorFlow's ``'SAME'`` pads 1/2 at
stride 2; same output size). Spectral normalisation does one power iteration per training
forward, in the order of Miyato et al.'s Algorithm 1 (:mod:`toolbox.nn.spectral_norm`; torch's
parametrisation runs it half an iteration ahead). As in the authors' code, the last layer
has the leaky ReLU too.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from toolbox import BaseDiscriminator
from toolbox.bases import check_image_and_mask
from toolbox.nn.spectral_norm import spectral_norm
from toolbox.registry import DISCRIMINATORS

__all__ = ['SNPatchGANDiscriminator']


@DISCRIMINATORS.register_module()
class SNPatchGANDiscriminator(BaseDiscriminator):
    """Spectral-normalised PatchGAN: ``forward(image, mask, sketch=None)`` -> ``[B, C, h, w]``.

    Args:
        base_channels: width of the first layer (64); the layers have
            ``c, 2c, 4c, 4c, 4c, 4c`` channels.
        num_layers: stride-2 layers (6); the map shrinks by ``2 ** num_layers``.
        sketch: take the sketch channel ``[B, 1, H, W]`` as one more input (user-guided
            inpainting), inside the hole only; a missing sketch counts as empty.
        spectral_norm: spectral normalisation on every convolution.
        in_channels: image channels (3); the mask is appended as one more channel.
    """

    tiny_cfg = dict(base_channels=8, num_layers=3)

    def __init__(self,
                 base_channels: int = 64,
                 num_layers: int = 6,
                 sketch: bool = False,
                 spectral_norm: bool = True,
                 in_channels: int = 3) -> None:
        super().__init__()
        if num_layers < 1 or base_channels < 1:
            raise ValueError('SNPatchGANDiscriminator: num_layers and base_channels must be >= 1')
        self.use_sketch = bool(sketch)
        self.conditions = ('sketch',) if sketch else ()
        self.in_channels = in_channels
        layers, c_in = [], in_channels + 1 + (1 if sketch else 0)
        for i in range(num_layers):
            c_out = base_channels * min(2 ** i, 4)
            conv = nn.Conv2d(c_in, c_out, 5, stride=2, padding=2)
            layers += [_sn(conv) if spectral_norm else conv, nn.LeakyReLU(0.2)]
            c_in = c_out
        self.layers = nn.Sequential(*layers)

    def forward(self, image: Tensor, mask: Tensor, sketch: Tensor | None = None,
                **conditions: Tensor) -> Tensor:
        check_image_and_mask(image, mask, where=type(self).__name__, channels=self.in_channels)
        parts = [image, mask]
        if self.use_sketch:
            # as in the authors' code, only the sketch inside the hole (what G was given)
            parts.append(torch.zeros_like(mask) if sketch is None
                         else sketch.to(mask.dtype) * mask)
        return self.layers(torch.cat(parts, dim=1))     # [B, 4c, H/2^n, W/2^n]


def _sn(conv: nn.Conv2d) -> nn.Module:
    return spectral_norm(conv)
