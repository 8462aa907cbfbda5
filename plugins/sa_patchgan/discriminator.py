"""The semantic-aware PatchGAN discriminator of "Image Multi-Inpainting via Progressive
Generative Adversarial Networks" (Cai et al., NTIRE 2022):

    D(x*, M, x) = f_phi(phi(x*, M)) + < phi(x*, M), f_C(C(x)) >

a projection discriminator (Miyato & Koyama, 2018) whose condition is not a class label
but the semantics ``C(x)`` of the ground truth ``x``, from a frozen pretrained network.

The paper: phi = six strided convolutions then a fully connected layer to 256; f_C a
fully connected layer to 256. Here the fully connected layers act on every patch (1x1
convolutions), so D stays a PatchGAN that accepts any input size and returns one logit
per patch ``[B, 1, h, w]``; the semantic vector ``f_C(C(x))`` is the same for all patches
of an image. The convolutions are 5x5 stride-2 with spectral normalisation and leaky ReLU,
as in DeepFill v2's SN-PatchGAN, whose training recipe the paper follows; the spectral
normalisation iterates in the paper's order, as DeepFill v2's (``toolbox.nn.spectral_norm``).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from toolbox import BaseDiscriminator
from toolbox.nn.spectral_norm import spectral_norm
from toolbox.registry import DISCRIMINATORS

from .semantic import SemanticEncoder


@DISCRIMINATORS.register_module()
class SAPatchGANDiscriminator(BaseDiscriminator):
    """Args:
        semantic_model: timm model name of the semantic network C (pooled features).
        pretrained: load C's pretrained weights; ``False`` only for tests.
        semantic_weights: local weights file (or folder) for C; ``None`` uses the caches.
        base_channels: width of the first strided convolution; later ones 2x and 4x.
        num_layers: strided convolutions in phi (6 in the paper).
        embed_dim: output size of phi and f_C (256 in the paper).
        in_channels: image channels (3); the mask is one more channel.
    """

    conditions = ('gt',)
    tiny_cfg = dict(semantic_model='test_resnet', pretrained=False, base_channels=8,
                    embed_dim=16)

    def __init__(self,
                 semantic_model: str = 'resnet50',
                 pretrained: bool = True,
                 semantic_weights: str | None = None,
                 base_channels: int = 64,
                 num_layers: int = 6,
                 embed_dim: int = 256,
                 in_channels: int = 3) -> None:
        super().__init__()
        if num_layers < 1 or embed_dim < 1:
            raise ValueError('SAPatchGANDiscriminator: num_layers and embed_dim must be >= 1')
        layers, c_in = [], in_channels + 1
        for i in range(num_layers):
            c_out = base_channels * min(2 ** i, 4)
            layers += [spectral_norm(nn.Conv2d(c_in, c_out, 5, stride=2, padding=2)),
                       nn.LeakyReLU(0.2)]
            c_in = c_out
        layers.append(spectral_norm(nn.Conv2d(c_in, embed_dim, 1)))      # per-patch FC
        self.phi = nn.Sequential(*layers)
        self.f_phi = spectral_norm(nn.Conv2d(embed_dim, 1, 1))
        self.semantic = SemanticEncoder(semantic_model, pretrained, semantic_weights)
        self.f_c = spectral_norm(nn.Linear(self.semantic.num_features, embed_dim))

    def forward(self, image: Tensor, mask: Tensor, gt: Tensor | None = None) -> Tensor:
        if gt is None:
            raise ValueError('SAPatchGANDiscriminator needs the ground truth (gt=...) whose '
                             'semantics condition the judgement')
        feat = self.phi(torch.cat([image, mask], dim=1))          # [B, E, h, w]
        sem = self.f_c(self.semantic(gt))                          # [B, E]
        projection = (feat * sem[:, :, None, None]).sum(1, keepdim=True)
        return self.f_phi(feat) + projection                       # [B, 1, h, w]
