"""EdgeConnect's networks: the edge generator G1, the image generator G2 and the PatchGAN
discriminator both models use.

Paper: K. Nazeri, E. Ng, T. Joseph, F. Z. Qureshi, M. Ebrahimi, "EdgeConnect: Generative
Image Inpainting with Adversarial Edge Learning", arXiv:1901.00212 (ICCVW 2019), Sec. 3
and the supplementary architecture. Layouts follow the authors' released code
(knazeri/edge-connect, ``src/networks.py``); parameter counts are asserted in the tests.

Both generators are an encoder (a 7x7 convolution, two stride-2 4x4 convolutions), eight
residual blocks whose first convolution is dilated by 2, and a decoder (two stride-2 4x4
transposed convolutions, a 7x7 convolution), with instance normalisation and ReLU. G1 has
spectral normalisation on every layer but the last; its residual convolutions carry no
bias. The discriminator is a 70x70 PatchGAN of five 4x4 convolutions with spectral
normalisation and no biases.

What differs from the released code:

* images are in [-1, 1] (the authors' in [0, 1]); G2 ends in ``tanh`` (theirs in
  ``(tanh + 1) / 2``), and G1 reads its grey channel in [-1, 1] (theirs in [0, 1]): the same
  networks up to an affine map of one input and the output;
* the discriminator returns logits; the sigmoid the authors apply before ``BCELoss`` is
  inside the adversarial loss (``NonSaturatingGANLoss``: ``softplus`` is BCE on logits);
* G1 converts the colour image to grey itself (the contract hands generators colour
  images), with scikit-image's ``rgb2gray`` weights as the authors' data loader;
* spectral normalisation is ``toolbox.nn.spectral_norm`` (theirs the older
  ``torch.nn.utils.spectral_norm``): the same power iteration (the paper's order), other
  state-dict keys. torch's parametrisation, used here before, iterates in another order,
  so its training steps were not the authors'.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from toolbox import BaseDiscriminator, BaseGenerator
from toolbox.nn.spectral_norm import spectral_norm as _spectral_norm
from toolbox.registry import DISCRIMINATORS, GENERATORS

__all__ = ['EdgeConnectEdgeGenerator', 'EdgeConnectInpaintGenerator',
           'EdgeConnectDiscriminator', 'ResidualBlock', 'rgb_to_grey', 'GREY_WEIGHTS']

#: scikit-image's ``rgb2gray`` weights (ITU-R BT.709), as the authors' data loader; they sum
#: to 1, so a white hole fill stays white in grey.
GREY_WEIGHTS = (0.2125, 0.7154, 0.0721)


def rgb_to_grey(image: Tensor) -> Tensor:
    """``[B, 1, H, W]`` luminance of ``image`` ``[B, 3, H, W]`` (any range, kept)."""
    w = image.new_tensor(GREY_WEIGHTS).view(1, 3, 1, 1)
    return (image * w).sum(dim=1, keepdim=True)


def _init_normal(module: nn.Module, std: float = 0.02) -> nn.Module:
    """The authors' initialisation: N(0, 0.02) weights, zero biases (before any spectral
    normalisation wraps the weight)."""
    nn.init.normal_(module.weight, 0.0, std)
    if module.bias is not None:
        nn.init.zeros_(module.bias)
    return module


def _layer(module: nn.Module, sn: bool) -> nn.Module:
    module = _init_normal(module)
    return _spectral_norm(module) if sn else module


class ResidualBlock(nn.Module):
    """``x + IN(conv3x3(ReLU(IN(conv3x3_dilated(x)))))`` with reflection padding and no
    activation after the sum (as the authors' ``ResnetBlock``)."""

    def __init__(self, channels: int, dilation: int = 2, sn: bool = False) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(dilation),
            _layer(nn.Conv2d(channels, channels, 3, dilation=dilation, bias=not sn), sn),
            nn.InstanceNorm2d(channels),
            nn.ReLU(True),
            nn.ReflectionPad2d(1),
            _layer(nn.Conv2d(channels, channels, 3, bias=not sn), sn),
            nn.InstanceNorm2d(channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class _EncoderResDecoder(nn.Module):
    """The backbone both generators share; ``forward(x [B, in, H, W]) -> [B, out, H, W]``
    (pre-activation: the caller applies sigmoid or tanh)."""

    def __init__(self, in_channels: int, out_channels: int, base_channels: int,
                 num_blocks: int, dilation: int, sn: bool) -> None:
        super().__init__()
        c = base_channels

        def down(cin, cout, *args):
            return [_layer(nn.Conv2d(cin, cout, *args), sn), nn.InstanceNorm2d(cout),
                    nn.ReLU(True)]

        def up(cin, cout):
            return [_layer(nn.ConvTranspose2d(cin, cout, 4, 2, 1), sn),
                    nn.InstanceNorm2d(cout), nn.ReLU(True)]

        self.encoder = nn.Sequential(nn.ReflectionPad2d(3), *down(in_channels, c, 7),
                                     *down(c, 2 * c, 4, 2, 1), *down(2 * c, 4 * c, 4, 2, 1))
        self.middle = nn.Sequential(*[ResidualBlock(4 * c, dilation, sn)
                                      for _ in range(num_blocks)])
        self.decoder = nn.Sequential(*up(4 * c, 2 * c), *up(2 * c, c), nn.ReflectionPad2d(3),
                                     _init_normal(nn.Conv2d(c, out_channels, 7)))

    def forward(self, x: Tensor) -> Tensor:
        return self.decoder(self.middle(self.encoder(x)))


def _edge_input(edge: Tensor | None, like: Tensor, where: str) -> Tensor:
    """The edge map ``[B, 1, H, W]`` (zeros when absent), checked against ``like``."""
    if edge is None:
        return like.new_zeros(like.shape[0], 1, *like.shape[2:])
    if edge.ndim != 4 or edge.shape[1] != 1 or edge.shape[0] != like.shape[0] \
            or edge.shape[2:] != like.shape[2:]:
        raise ValueError(f'{where}: edge must be [B, 1, H, W] like the image '
                         f'{list(like.shape)}, got {list(edge.shape)}')
    return edge.to(like.dtype)


@GENERATORS.register_module()
class EdgeConnectEdgeGenerator(BaseGenerator):
    """G1: the edge map of the whole image from the grey image, the known edges and the mask.

    ``forward(masked_image [B, 3, H, W] in [-1, 1], mask [B, 1, H, W], edge=[B, 1, H, W])``
    returns ``{'edge': [B, 1, H, W] in [0, 1] (edge probability), 'output': the same map as
    a grey picture [B, 3, H, W] in [-1, 1] (white edges on black)}``; ``'output'`` is there
    because the generator contract's final prediction is an image.

    The network reads ``(grey(masked_image), edge, mask)``. The inpaintor passes the known
    edges (``edge * (1 - mask)``) and the image with white holes, as the authors; the holes
    are read as given (an estimate there changes the result), never zeroed again. Without
    ``edge`` the known edges are taken as none (zeros).

    Args:
        base_channels: width of the first layer (paper: 64; 128 and 256 deeper).
        num_blocks: residual blocks (paper: 8).
        dilation: dilation of each block's first convolution (paper: 2).
        spectral_norm: on every layer but the last (paper: yes).
    """

    guidance = ('edge',)
    size_multiple = 4
    tiny_cfg = dict(base_channels=8, num_blocks=1)

    def __init__(self,
                 base_channels: int = 64,
                 num_blocks: int = 8,
                 dilation: int = 2,
                 spectral_norm: bool = True) -> None:
        super().__init__()
        self.net = _EncoderResDecoder(3, 1, base_channels, num_blocks, dilation,
                                      bool(spectral_norm))

    def forward(self, masked_image: Tensor, mask: Tensor,
                edge: Tensor | None = None) -> dict[str, Tensor]:
        edge = _edge_input(edge, masked_image, type(self).__name__)
        x = torch.cat([rgb_to_grey(masked_image), edge, mask.to(masked_image.dtype)], dim=1)
        prob = torch.sigmoid(self.net(x))                      # [B, 1, H, W] in [0, 1]
        return {'edge': prob, 'output': (prob * 2 - 1).expand(-1, 3, -1, -1)}


@GENERATORS.register_module()
class EdgeConnectInpaintGenerator(BaseGenerator):
    """G2: the colour image from the incomplete image and the completed edge map.

    ``forward(masked_image [B, 3, H, W] in [-1, 1], mask, edge=[B, 1, H, W] in [0, 1])``
    returns ``{'output': [B, 3, H, W] in [-1, 1]}``. The network reads ``(masked_image,
    edge)``; as in the authors' code the mask is no input (the holes are white in the image
    the inpaintor passes, and an estimate there is read as given). Without ``edge`` the edge
    map is taken as empty.

    Args:
        base_channels: width of the first layer (paper: 64).
        num_blocks: residual blocks (paper: 8).
        dilation: dilation of each block's first convolution (paper: 2).
        spectral_norm: the paper's G2 has none.
    """

    guidance = ('edge',)
    size_multiple = 4
    tiny_cfg = dict(base_channels=8, num_blocks=1)

    def __init__(self,
                 base_channels: int = 64,
                 num_blocks: int = 8,
                 dilation: int = 2,
                 spectral_norm: bool = False) -> None:
        super().__init__()
        self.net = _EncoderResDecoder(4, 3, base_channels, num_blocks, dilation,
                                      bool(spectral_norm))

    def forward(self, masked_image: Tensor, mask: Tensor,
                edge: Tensor | None = None) -> dict[str, Tensor]:
        edge = _edge_input(edge, masked_image, type(self).__name__)
        return {'output': torch.tanh(self.net(torch.cat([masked_image, edge], dim=1)))}


@DISCRIMINATORS.register_module()
class EdgeConnectDiscriminator(BaseDiscriminator):
    """70x70 PatchGAN: five 4x4 convolutions (stride 2, 2, 2, 1, 1; widths c, 2c, 4c, 8c,
    1) with LeakyReLU(0.2) between them; logits ``[B, 1, H/8 - 2, W/8 - 2]``.

    ``forward(image [B, in_channels, H, W], mask)``: the image judged real or fake. The
    image model's D2 sees the colour image (3 channels); the edge model's D1 sees
    ``(grey image, edge map)`` (``in_channels=2``), which its inpaintor concatenates. The
    mask is not an input (as the authors).

    ``forward_with_features`` returns the five layer outputs (the last are the logits), all
    of which the authors' edge model matches with its feature-matching loss.

    Args:
        in_channels: 3 for the image discriminator, 2 for the edge discriminator.
        base_channels: width of the first layer (paper: 64).
        spectral_norm: on every convolution, which then carries no bias (paper: yes).
    """

    size_multiple = 8
    tiny_cfg = dict(base_channels=8)

    def __init__(self,
                 in_channels: int = 3,
                 base_channels: int = 64,
                 spectral_norm: bool = True) -> None:
        super().__init__()
        sn = bool(spectral_norm)
        c = base_channels
        widths = [in_channels, c, 2 * c, 4 * c, 8 * c, 1]
        strides = [2, 2, 2, 1, 1]
        self.in_channels = int(in_channels)
        self.layers = nn.ModuleList()
        for i, stride in enumerate(strides):
            conv = _layer(nn.Conv2d(widths[i], widths[i + 1], 4, stride, 1, bias=not sn), sn)
            last = i == len(strides) - 1
            self.layers.append(conv if last else nn.Sequential(conv, nn.LeakyReLU(0.2, True)))

    def forward_with_features(self, image: Tensor, mask: Tensor,
                              **conditions: Tensor) -> tuple[Tensor, list[Tensor]]:
        if image.ndim != 4 or image.shape[1] != self.in_channels:
            raise ValueError(f'EdgeConnectDiscriminator: image must be '
                             f'[B, {self.in_channels}, H, W], got {list(image.shape)}')
        features, x = [], image
        for layer in self.layers:
            x = layer(x)
            features.append(x)
        return x, features

    def forward(self, image: Tensor, mask: Tensor, **conditions: Tensor) -> Tensor:
        return self.forward_with_features(image, mask, **conditions)[0]
