"""AOT-GAN's discriminator (the authors' ``Discriminator``): a PatchGAN of four
spectrally normalised 4x4 convolutions without bias (stride 2, 2, 2, 1; ``C``, 2C, 4C, 8C;
LeakyReLU 0.2) and a plain 4x4 convolution to one logit per patch. Its soft-mask labels
are the loss's business (:class:`~.losses.SoftMaskGANLoss`)."""
from __future__ import annotations

from torch import Tensor, nn

from toolbox import BaseDiscriminator
from toolbox.nn.spectral_norm import spectral_norm
from toolbox.registry import DISCRIMINATORS

from .generator import normal_init

__all__ = ['AOTGANDiscriminator']


@DISCRIMINATORS.register_module()
class AOTGANDiscriminator(BaseDiscriminator):
    """``forward(image, mask) -> logits [B, 1, h, w]`` (256x256 input: 30x30)."""

    tiny_cfg = dict(base_channels=4)

    def __init__(self, base_channels: int = 64) -> None:
        super().__init__()
        c = int(base_channels)
        layers, cin = [], 3
        for cout, stride in ((c, 2), (2 * c, 2), (4 * c, 2), (8 * c, 1)):
            conv = nn.Conv2d(cin, cout, 4, stride, 1, bias=False)
            normal_init(conv)      # before spectral norm re-parametrises the weight
            layers += [spectral_norm(conv), nn.LeakyReLU(0.2, True)]
            cin = cout
        layers.append(nn.Conv2d(cin, 1, 4, 1, 1))
        normal_init(layers[-1])
        self.conv = nn.Sequential(*layers)

    def forward(self, image: Tensor, mask: Tensor, **conditions: Tensor) -> Tensor:
        return self.conv(image)
