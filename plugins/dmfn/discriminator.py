"""DMFN's discriminator: a global branch on the whole image and a local branch on the hole.

Paper: Z. Hui, J. Li, X. Wang, X. Gao, "Image Fine-grained Inpainting", arXiv:2002.02609:
"a discriminator with local and global branches to ensure local-global contents
consistency", with spectral normalisation; the local branch's five feature maps feed the
discriminator feature-matching loss (equation 9).

Layout (``base_channels=64``, 256² image, 128² hole box; as the authors' released
``Discriminator``)::

    global: 6 x [Conv5x5 s2, SN, LeakyReLU 0.2]   3 -> 64 -> 128 -> 256 -> 512 -> 512 -> 512, 4²
    local:  5 x [Conv5x5 s2, SN, LeakyReLU 0.2]   3 -> 64 -> 128 -> 256 -> 512 -> 512,        4²
    Linear(512*16 -> 512) on each, concatenated, LeakyReLU, Linear(1024 -> 1)  (all SN)

The number of stride-2 layers of each branch is ``log2(size / 4)``, so that both end at 4 x 4.

What differs from the released code: spectral normalisation instead of batch normalisation
(the paper's text names spectral normalisation); the local crop is the bounding box of each
sample's hole, resized to ``local_size`` with ``torchvision.ops.roi_align`` (bilinear,
batched), instead of a fixed box given by the data loader. For the centre mask (a 128²
hole in a 256² image, the paper's setting) the box is exactly ``local_size`` and the crop is
pixel-exact. A sample without hole uses the whole image as its box.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from toolbox import BaseDiscriminator
from toolbox.bases import check_image_and_mask
from toolbox.crops import hole_boxes
from toolbox.nn.spectral_norm import spectral_norm
from toolbox.registry import DISCRIMINATORS

__all__ = ['DMFNDiscriminator', 'crop_boxes']


def crop_boxes(image: Tensor, boxes: Tensor, size: int) -> Tensor:
    """Crops ``boxes`` [B, 4] of ``image`` [B, C, H, W] resized to ``[B, C, size, size]``
    (bilinear; exact when a box is ``size`` x ``size`` pixels)."""
    from torchvision.ops import roi_align
    rois = torch.cat([torch.arange(len(boxes), device=image.device,
                                   dtype=image.dtype)[:, None],
                      boxes.to(image.dtype)], dim=1)         # [B, 5]
    # aligned=True: box corners are pixel edges; one sample per bin at its centre, so a box
    # of exactly `size` pixels samples the pixel centres themselves.
    return roi_align(image, rois, output_size=size, spatial_scale=1.0, sampling_ratio=1,
                     aligned=True)


@torch.no_grad()
def _converge_spectral_norms(model: nn.Module, iters: int) -> None:
    """``iters`` more power iterations for every spectral-normalised weight."""
    if iters <= 0:
        return
    for module in model.modules():
        if not hasattr(module, 'parametrizations') or 'weight' not in module.parametrizations:
            continue
        plist = module.parametrizations.weight
        sn = plist[0]
        if hasattr(sn, '_power_method') and hasattr(sn, '_reshape_weight_to_matrix'):
            # torch's parametrisation: iterate on the vectors only (no weight copies)
            sn._power_method(sn._reshape_weight_to_matrix(plist.original), iters)
        else:
            for _ in range(iters):
                module.weight   # in training mode each access does one power iteration


def _layers(size: int, base: int, where: str) -> nn.ModuleList:
    n = math.log2(size / 4)
    if size < 8 or n != int(n):
        raise ValueError(f'DMFNDiscriminator: {where} must be a power of two >= 8, got {size}')
    layers, cin = [], 3
    for i in range(int(n)):
        cout = base * min(2 ** i, 8)
        layers.append(nn.Sequential(spectral_norm(nn.Conv2d(cin, cout, 5, 2, 2)),
                                    nn.LeakyReLU(0.2, inplace=True)))
        cin = cout
    return nn.ModuleList(layers)


@DISCRIMINATORS.register_module()
class DMFNDiscriminator(BaseDiscriminator):
    """Global + local discriminator with spectral normalisation.

    Args:
        image_size: height and width of the images it judges (256); the global branch
            has ``log2(image_size / 4)`` layers.
        local_size: side the hole's bounding box is resized to for the local branch
            (128, half the image as in the paper); ``log2(local_size / 4)`` layers.
        base_channels: channels of the first layer of each branch (64); they double per
            layer up to ``8 * base_channels``.
        sn_init_iters: extra power iterations of every spectral normalisation at
            construction (torch does 15), so that the estimate of the largest singular
            value has converged: two forwards in training mode (each does one more
            iteration) then give the same logits to about 1e-6 instead of 1e-4.

    ``forward(image [B, 3, image_size, image_size], mask [B, 1, ...]) -> logits [B, 1]``;
    ``forward_with_features`` adds the local branch's feature maps (one per layer).
    """

    tiny_cfg = dict(image_size=64, local_size=32, base_channels=8)

    def __init__(self,
                 image_size: int = 256,
                 local_size: int = 128,
                 base_channels: int = 64,
                 sn_init_iters: int = 100) -> None:
        super().__init__()
        self.image_size, self.local_size = int(image_size), int(local_size)
        self.global_layers = _layers(self.image_size, base_channels, 'image_size')
        self.local_layers = _layers(self.local_size, base_channels, 'local_size')
        g_out = self.global_layers[-1][0].out_channels * 16
        l_out = self.local_layers[-1][0].out_channels * 16
        self.global_fc = spectral_norm(nn.Linear(g_out, 512))
        self.local_fc = spectral_norm(nn.Linear(l_out, 512))
        self.classifier = spectral_norm(nn.Linear(1024, 1))
        _converge_spectral_norms(self, int(sn_init_iters))

    def forward_with_features(self, image: Tensor, mask: Tensor,
                              **conditions: Tensor) -> tuple[Tensor, list[Tensor]]:
        check_image_and_mask(image, mask, where='DMFNDiscriminator')
        if tuple(image.shape[2:]) != (self.image_size, self.image_size):
            raise ValueError(f'DMFNDiscriminator: built for {self.image_size}x'
                             f'{self.image_size} images (image_size=...), got '
                             f'{image.shape[2]}x{image.shape[3]}')
        local = crop_boxes(image, hole_boxes(mask), self.local_size)   # [B, 3, l, l]
        features = []
        for layer in self.local_layers:
            local = layer(local)
            features.append(local)
        g = image
        for layer in self.global_layers:
            g = layer(g)                                                # [B, C, 4, 4]
        both = torch.cat([self.local_fc(local.flatten(1)), self.global_fc(g.flatten(1))], 1)
        return self.classifier(F.leaky_relu(both, 0.2)), features      # [B, 1]

    def forward(self, image: Tensor, mask: Tensor, **conditions: Tensor) -> Tensor:
        return self.forward_with_features(image, mask)[0]
