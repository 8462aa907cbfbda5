"""The 3D gated-convolution generator of Chang et al., "Free-form Video Inpainting with 3D
Gated Convolution and Temporal PatchGAN" (ICCV 2019), the ``CoarseNet`` of the official
code (amjltc295/Free-Form-Video-Inpainting, ``model/networks.py`` and ``modules.py``) with
``conv_type='gated'``, ``conv_by='3d'``, ``norm='SN'``.

Conventions at the boundary: the toolbox gives clips in [-1, 1] and masks with 1 = hole;
the official network reads [0, 1] and 1 = valid, with a third input, a guidance channel,
that is zero without guidance. The generator converts on the way in and out, so released
weights work unchanged.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from toolbox.bases import BaseGenerator
from toolbox.registry import GENERATORS

from .blocks import GatedConv3d, GatedUpConv3d, same_padding

__all__ = ['Gated3DGenerator']


@GENERATORS.register_module()
class Gated3DGenerator(BaseGenerator):
    """``forward(masked [B, T, 3, H, W], mask [B, T, 1, H, W]) -> {'output': [B, T, 3, H, W]}``.

    conv1 (k 3x5x5) | two spatial down-samplings (conv2, conv4: k 3x4x4, stride 1x2x2) with
    conv3, conv5, conv6 | four dilated convolutions, dilation (1,2,2), (1,4,4), (1,8,8),
    (1,16,16) | conv7, conv8 | two up-samplings (deconv1, deconv2) with conv9, conv10 |
    conv11 (``nf // 2`` -> 3, no activation, no spectral norm). With
    ``skip_connections`` (as the released checkpoint), deconv1 also reads conv4's features
    and deconv2 conv2's. Parameters (nf = 64): 38,606,598 with skips, 36,394,758 without.

    An image batch ``[B, 3, H, W]`` is taken as clips of one frame. H and W must be
    multiples of 4. The holes of the input are zeroed (as the official code does), so the
    output does not depend on what they held.

    Args:
        base_channels: nf (64 in the paper and the release).
        skip_connections: the U-Net skips of the release (``use_skip_connection=True``).
    """

    size_multiple = 4
    uses_estimate = False
    tiny_cfg = dict(base_channels=4)

    def __init__(self, base_channels: int = 64, skip_connections: bool = True) -> None:
        super().__init__()
        nf = int(base_channels)
        if nf < 2 or nf % 2:
            raise ValueError(f'Gated3DGenerator: base_channels must be even and >= 2, got '
                             f'{base_channels}')
        self.skip_connections = bool(skip_connections)
        g = GatedConv3d
        self.conv1 = g(5, nf, (3, 5, 5), 1, 1)                 # H - 2, as the official code
        self.conv2 = g(nf, 2 * nf, (3, 4, 4), (1, 2, 2), (1, 2, 2))
        self.conv3 = g(2 * nf, 2 * nf, 3, 1, 1)
        self.conv4 = g(2 * nf, 4 * nf, (3, 4, 4), (1, 2, 2), 1)
        self.conv5 = g(4 * nf, 4 * nf, 3, 1, 1)
        self.conv6 = g(4 * nf, 4 * nf, 3, 1, 1)
        self.dilated = nn.ModuleList(
            g(4 * nf, 4 * nf, 3, 1, same_padding(3, (1, d, d)), (1, d, d)) for d in (2, 4, 8, 16))
        self.conv7 = g(4 * nf, 4 * nf, 3, 1, 1)
        self.conv8 = g(4 * nf, 4 * nf, 3, 1, 1)
        skip = 2 if self.skip_connections else 1
        self.deconv1 = GatedUpConv3d(4 * nf * skip, 2 * nf)
        self.conv9 = g(2 * nf, 2 * nf, 3, 1, 1)
        self.deconv2 = GatedUpConv3d(2 * nf * skip, nf)
        self.conv10 = g(nf, nf // 2, 3, 1, 1)
        self.conv11 = g(nf // 2, 3, 3, 1, 1, activation=False, spectral_norm=False)

    def forward(self, masked_image: Tensor, mask: Tensor, **guidance: Tensor) -> dict[str, Tensor]:
        image = masked_image.ndim == 4
        if image:
            masked_image, mask = masked_image[:, None], mask[:, None]
        valid = 1.0 - mask
        # official input: [0, 1] frames with zeroed holes, the valid mask, a zero guidance
        frames = (masked_image + 1) / 2 * valid
        x = torch.cat([frames, valid, torch.zeros_like(valid)], 2).transpose(1, 2)
        c2 = self.conv2(self.conv1(x))
        c4 = self.conv4(self.conv3(c2))
        c = self.conv6(self.conv5(c4))
        for layer in self.dilated:
            c = layer(c)
        c = self.conv8(self.conv7(c))
        if self.skip_connections:
            c = torch.cat([c, c4], 1)
        c = self.conv9(self.deconv1(c))
        if self.skip_connections:
            c = torch.cat([c, c2], 1)
        out = self.conv11(self.conv10(self.deconv2(c))).transpose(1, 2) * 2 - 1
        return {'output': out[:, 0] if image else out}
