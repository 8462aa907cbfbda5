"""The Temporal PatchGAN discriminator (T-PatchGAN) of Chang et al. (ICCV 2019): six 3D
convolutions (the first five spectrally normalised), kernel (3, 5, 5), stride (1, 2, 2), whose every
output is a real/fake score of a spatio-temporal patch (official ``model/networks.py``,
``SNTemporalPatchGANDiscriminator``)."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from toolbox.bases import BaseDiscriminator
from toolbox.registry import DISCRIMINATORS

__all__ = ['TemporalPatchGANDiscriminator']


@DISCRIMINATORS.register_module()
class TemporalPatchGANDiscriminator(BaseDiscriminator):
    """``forward(video [B, T, 3, H, W], mask [B, T, 1, H, W]) -> logits [B, T, 4 nf, h, w]``.

    It reads what the official one reads: the frames in [0, 1], the valid mask (1 = valid)
    and a zero guidance channel. Widths nf, 2nf, 4nf, 4nf, 4nf, 4nf; LeakyReLU(0.2) after all
    but the last layer; ``4350 nf^2 + 394 nf`` parameters (nf = 32: 4,467,008; nf = 64:
    17,842,816). An image batch ``[B, 3, H, W]`` is taken as clips of one frame.

    Args:
        base_channels: nf (the official default 32; the released FVI model 64).
        sigmoid: a sigmoid on the logits, as the official code (``use_sigmoid=True``), for
            its least-squares loss; the paper's hinge loss reads raw logits (``False``).
    """

    tiny_cfg = dict(base_channels=4)

    def __init__(self, base_channels: int = 64, sigmoid: bool = False) -> None:
        super().__init__()
        nf = int(base_channels)
        widths = (5, nf, 2 * nf, 4 * nf, 4 * nf, 4 * nf, 4 * nf)
        for i in range(6):
            # conv1 pads (1, 1, 1) like the official code, the others (1, 2, 2)
            conv = nn.Conv3d(widths[i], widths[i + 1], (3, 5, 5), (1, 2, 2),
                             1 if i == 0 else (1, 2, 2))
            # the last layer has no spectral norm in the official code (``norm=None``)
            setattr(self, f'conv{i + 1}', nn.utils.spectral_norm(conv) if i < 5 else conv)
        self.activation = nn.LeakyReLU(0.2)
        self.sigmoid = bool(sigmoid)

    def forward(self, image: Tensor, mask: Tensor, **conditions: Tensor) -> Tensor:
        if image.ndim == 4:
            image, mask = image[:, None], mask[:, None]
        valid = 1.0 - mask
        x = torch.cat([(image + 1) / 2, valid, torch.zeros_like(valid)], 2).transpose(1, 2)
        for i in range(1, 7):
            x = getattr(self, f'conv{i}')(x)
            if i < 6:
                x = self.activation(x)
        if self.sigmoid:
            x = torch.sigmoid(x)
        return x.transpose(1, 2)
