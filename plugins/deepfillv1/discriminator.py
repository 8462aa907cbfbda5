"""DeepFill v1's global and local WGAN critics (``build_wgan_discriminator`` of the authors'
TF code), combined in one discriminator.

Each critic is four 5x5 stride-2 convolutions (TF ``'SAME'``, leaky ReLU 0.2, no
normalisation), flattened, then one linear unit:

* local: on the hole's box, 64 -> 128 -> 256 -> 512 channels;
* global: on the whole image, 64 -> 128 -> 256 -> 256 channels.

``forward`` returns ``[B, 2]``: the local critic's value, then the global one's;
:class:`~toolbox_plugins.deepfillv1.losses.WGANGPLoss` treats each column as a critic.

The local box: the TF code crops the fixed ``HEIGHT x WIDTH`` (128 x 128) box the hole was
drawn in. Here each sample's box is the hole's bounding box grown (centred, kept inside the
image) to at least ``local_size``; a box larger than that is resized to it (bilinear), so
masks of any shape work; a box of exactly ``local_size`` is cropped pixel-exactly.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from toolbox import BaseDiscriminator
from toolbox.bases import check_image_and_mask
from toolbox.crops import hole_boxes
from toolbox.registry import DISCRIMINATORS

from .layers import SameConv2d

__all__ = ['DeepFillv1Critic', 'local_boxes', 'crop_local']


def local_boxes(mask: Tensor, size: int) -> Tensor:
    """Hole bounding boxes ``[B, 4]`` (x0, y0, x1, y1) grown to at least ``size`` pixels a
    side, centred on the hole and shifted to lie inside the image."""
    boxes = hole_boxes(mask)
    out = boxes.clone()
    for lo, hi, extent in ((0, 2, mask.shape[3]), (1, 3, mask.shape[2])):
        side = boxes[:, hi] - boxes[:, lo]
        centre = (boxes[:, hi] + boxes[:, lo]) / 2
        start = torch.floor(centre - size / 2).clamp(0, extent - size)
        small = side < size
        out[:, lo] = torch.where(small, start, boxes[:, lo])
        out[:, hi] = torch.where(small, start + size, boxes[:, hi])
    return out


def crop_local(image: Tensor, boxes: Tensor, size: int) -> Tensor:
    """The ``boxes`` of ``image`` as ``[B, C, size, size]``: sliced, and resized
    (bilinear) where a box is larger. Slicing, unlike ``roi_align``, has the second
    derivative the gradient penalty needs."""
    crops = []
    for sample, (x0, y0, x1, y1) in zip(image, boxes.round().long().tolist()):
        crop = sample[None, :, y0:y1, x0:x1]
        if crop.shape[2:] != (size, size):
            crop = F.interpolate(crop, size=(size, size), mode='bilinear',
                                 align_corners=False)
        crops.append(crop)
    return torch.cat(crops)


def _critic(widths: tuple[int, ...]) -> nn.Sequential:
    layers, cin = [], 3
    for cout in widths:
        layers += [SameConv2d(cin, cout, 5, 2), nn.LeakyReLU(0.2)]
        cin = cout
    return nn.Sequential(*layers, nn.Flatten())


@DISCRIMINATORS.register_module()
class DeepFillv1Critic(BaseDiscriminator):
    """Local + global WGAN critics of DeepFill v1.

    Args:
        image_size: side of the images judged (256); the global linear layer reads
            ``(image_size / 16)^2 * 4 cnum`` features.
        local_size: side of the local box (128, the TF code's ``HEIGHT``/``WIDTH``).
        cnum: width unit (64).

    ``forward(image, mask) -> [B, 2]`` (local, global).
    """

    tiny_cfg = dict(image_size=64, local_size=32, cnum=4)

    def __init__(self, image_size: int = 256, local_size: int = 128, cnum: int = 64) -> None:
        super().__init__()
        self.image_size, self.local_size = int(image_size), int(local_size)
        for name, size in (('image_size', self.image_size), ('local_size', self.local_size)):
            if size < 16 or size % 16:
                raise ValueError(f'DeepFillv1Critic: {name} must be a multiple of 16, got '
                                 f'{size}')
        if self.local_size > self.image_size:
            raise ValueError(f'DeepFillv1Critic: local_size {local_size} exceeds image_size '
                             f'{image_size}')
        c = int(cnum)
        self.local_critic = _critic((c, 2 * c, 4 * c, 8 * c))
        self.global_critic = _critic((c, 2 * c, 4 * c, 4 * c))
        self.local_fc = nn.Linear(8 * c * (self.local_size // 16) ** 2, 1)
        self.global_fc = nn.Linear(4 * c * (self.image_size // 16) ** 2, 1)

    def forward(self, image: Tensor, mask: Tensor, **conditions: Tensor) -> Tensor:
        check_image_and_mask(image, mask, where='DeepFillv1Critic')
        if tuple(image.shape[2:]) != (self.image_size, self.image_size):
            raise ValueError(f'DeepFillv1Critic: built for {self.image_size}x'
                             f'{self.image_size} images (image_size=...), got '
                             f'{image.shape[2]}x{image.shape[3]}')
        local = crop_local(image, local_boxes(mask, self.local_size), self.local_size)
        return torch.cat([self.local_fc(self.local_critic(local)),
                          self.global_fc(self.global_critic(image))], dim=1)
