"""StructureFlow's generators (Ren et al., "StructureFlow: Image Inpainting via Structure-aware
Appearance Flow", ICCV 2019, Sec. 3).

* :class:`StructureReconstructor` (Sec. 3.1): an encoder-decoder that predicts the
  edge-preserving smoothed image (RTV, :mod:`.rtv`) of the whole picture from the masked
  image, the masked smoothed image and the mask. 36,057,411 parameters at the official
  width (64), as the official ``StructureGen``.
* :class:`TextureGenerator` (Sec. 3.2): a flow column predicts an appearance flow at 1/4
  of the size; a convolution column samples its own 1/4-size features at the flow's
  points with Gaussian kernels (16, sigma 4 and 4, sigma 2; :mod:`.sampler`) and decodes
  them with its deeper features into the image. Input: the masked image, the structure
  and the mask. 56,473,475 parameters, as the official ``FlowGen``.
* :class:`StructureFlowGenerator`: both, the structure feeding the texture generator; what
  the inpaintor trains in three stages (:class:`~.model.StructureFlowInpaintor`).

The layers, norms (instance norm; layer norm in the convolution column), spectral norm
(structure net only), reflection padding and nearest-neighbour upsampling follow the
official code (``src/network.py``, its default options in ``src/models.py``). Without a
given smoothed image the generators compute it from the masked input with RTV (as a user
at inference has nothing else); a training run passes the ground truth's.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from toolbox.bases import BaseGenerator
from toolbox.registry import GENERATORS

from .blocks import ConvBlock, ResidualBlocks, UpConvBlock, xavier_init
from .sampler import GaussianSampler

__all__ = ['StructureReconstructor', 'TextureGenerator', 'StructureFlowGenerator',
           'smooth_masked']


def smooth_masked(masked: Tensor, mask: Tensor, rtv: dict | None = None) -> Tensor:
    """RTV-smoothed ``masked`` [B, 3, H, W] in [-1, 1], the hole's gradients left out of
    the weights (no gradient; numpy on the CPU)."""
    from .rtv import rtv_smooth_tensor
    return rtv_smooth_tensor(masked, mask, **(rtv or {}))


def _up(dim_in: int, dim_out: int, n_res: int, norm: str, act: str, pad: str,
        sn: bool) -> list[nn.Module]:
    return [ResidualBlocks(n_res, dim_in, norm, act, pad), nn.Upsample(scale_factor=2),
            ConvBlock(dim_in, dim_out, 5, 1, 2, norm, act, pad, sn)]


@GENERATORS.register_module()
class StructureReconstructor(BaseGenerator):
    """The structure reconstructor: ``(masked image, smoothed image x (1 - mask), mask)``
    -> ``{'output': structure}`` (the predicted smoothed image, [-1, 1]).

    Args:
        base_channels: the width (64 in the paper).
        num_res: residual blocks at each decoder level (4).
        spectral_norm: on the encoder and decoder convolutions (True, as the official).
        rtv: keyword arguments of :func:`~.rtv.rtv_smooth` for the smoothing of the
            masked input when ``forward`` is given no ``smooth``.
    """

    size_multiple = 8
    tiny_cfg = dict(base_channels=4, num_res=1)

    def __init__(self, base_channels: int = 64, num_res: int = 4, spectral_norm: bool = True,
                 rtv: dict | None = None) -> None:
        super().__init__()
        d, sn, n, a, p = base_channels, spectral_norm, 'in', 'relu', 'reflect'
        self.rtv = dict(rtv or {})
        # registration order = the official one, so official state dicts load by position
        self.stem = ConvBlock(7, d, 7, 1, 3, n, a, p, sn)
        self.down = nn.ModuleList([
            nn.Sequential(ConvBlock(d, 2 * d, 4, 2, 1, n, a, p, sn),
                          ConvBlock(2 * d, 2 * d, 5, 1, 2, n, a, p, sn)),
            nn.Sequential(ConvBlock(2 * d, 4 * d, 4, 2, 1, n, a, p, sn),
                          ConvBlock(4 * d, 4 * d, 5, 1, 2, n, a, p, sn)),
            nn.Sequential(ConvBlock(4 * d, 8 * d, 4, 2, 1, n, a, p, sn))])
        self.up = nn.ModuleList([nn.Sequential(*_up(8 * d, 4 * d, num_res, n, a, p, sn)),
                                 nn.Sequential(*_up(4 * d, 2 * d, num_res, n, a, p, sn)),
                                 nn.Sequential(*_up(2 * d, d, num_res, n, a, p, sn))])
        # the skip convolutions have no spectral norm in the official code
        self.skip = nn.ModuleList([ConvBlock(c, c, 5, 1, 2, n, a, p)
                                   for c in (4 * d, 2 * d, d)])
        self.to_image = ConvBlock(d, 3, 3, 1, 1, 'none', 'tanh', p)
        xavier_init(self)

    def forward(self, masked_image: Tensor, mask: Tensor, smooth: Tensor | None = None
                ) -> dict[str, Tensor]:
        if smooth is None:
            smooth = smooth_masked(masked_image, mask, self.rtv)
        x0 = self.stem(torch.cat([masked_image, smooth * (1 - mask), mask], 1))  # [B, d, H, W]
        x1 = self.down[0](x0)                                  # [B, 2d, H/2, W/2]
        x2 = self.down[1](x1)                                  # [B, 4d, H/4, W/4]
        x3 = self.down[2](x2)                                  # [B, 8d, H/8, W/8]
        u = self.up[0](x3) + self.skip[0](x2)
        u = self.up[1](u) + self.skip[1](x1)
        u = self.up[2](u) + self.skip[2](x0)
        return {'output': self.to_image(u)}


class FlowColumn(nn.Module):
    """The appearance-flow column: an encoder to 1/16, a decoder to 1/4 with skips, and a
    2-channel flow (x, y offsets in pixels of the 1/4-size features) [B, 2, H/4, W/4]."""

    def __init__(self, d: int, num_res: int, norm: str = 'in', act: str = 'relu',
                 pad: str = 'reflect') -> None:
        super().__init__()
        n, a, p = norm, act, pad
        self.down = nn.ModuleList([
            nn.Sequential(ConvBlock(7, d // 2, 7, 1, 3, n, a, p),
                          ConvBlock(d // 2, d, 4, 2, 1, n, a, p),
                          ConvBlock(d, d, 5, 1, 2, n, a, p)),
            nn.Sequential(ConvBlock(d, 2 * d, 4, 2, 1, n, a, p),
                          ConvBlock(2 * d, 2 * d, 5, 1, 2, n, a, p)),
            nn.Sequential(ConvBlock(2 * d, 4 * d, 4, 2, 1, n, a, p),
                          ConvBlock(4 * d, 4 * d, 5, 1, 2, n, a, p)),
            nn.Sequential(ConvBlock(4 * d, 8 * d, 4, 2, 1, n, a, p),
                          ConvBlock(8 * d, 8 * d, 5, 1, 2, n, a, p))])
        self.up = nn.ModuleList([
            nn.Sequential(ResidualBlocks(num_res, 8 * d, n, a, p),
                          UpConvBlock(8 * d, 4 * d, 6, 2, 2, n, a)),
            nn.Sequential(ConvBlock(8 * d, 4 * d, 5, 1, 2, n, a, p),
                          ResidualBlocks(num_res, 4 * d, n, a, p),
                          UpConvBlock(4 * d, 2 * d, 6, 2, 2, n, a))])
        self.to_flow = nn.Sequential(ConvBlock(4 * d, d, 5, 1, 2, n, a, p),
                                     ConvBlock(d, 2, 3, 1, 1, 'none', 'none', p, bias=False))

    def forward(self, x: Tensor) -> Tensor:
        f1 = self.down[0](x)                                   # [B, d, H/2, W/2]
        f2 = self.down[1](f1)                                  # [B, 2d, H/4, W/4]
        f3 = self.down[2](f2)                                  # [B, 4d, H/8, W/8]
        f4 = self.down[3](f3)                                  # [B, 8d, H/16, W/16]
        u = torch.cat([self.up[0](f4), f3], 1)                 # [B, 8d, H/8, W/8]
        u = torch.cat([self.up[1](u), f2], 1)                  # [B, 4d, H/4, W/4]
        return self.to_flow(u)                                 # [B, 2, H/4, W/4]


class ConvColumn(nn.Module):
    """The image column: features at 1/4 are Gaussian-sampled along the flow (two kernels)
    and decoded with the 1/8-size features into the image."""

    def __init__(self, d: int, num_res: int, norm: str = 'ln', act: str = 'relu',
                 pad: str = 'reflect', kernels=((16, 4.0), (4, 2.0))) -> None:
        super().__init__()
        n, a, p = norm, act, pad
        self.down = nn.ModuleList([
            nn.Sequential(ConvBlock(7, d // 2, 7, 1, 3, n, a, p),
                          ConvBlock(d // 2, d, 4, 2, 1, n, a, p),
                          ConvBlock(d, d, 5, 1, 2, n, a, p),
                          ConvBlock(d, 2 * d, 4, 2, 1, n, a, p),
                          ConvBlock(2 * d, 2 * d, 5, 1, 2, n, a, p)),
            nn.Sequential(ConvBlock(2 * d, 4 * d, 5, 1, 2, n, a, p),
                          ConvBlock(4 * d, 8 * d, 4, 2, 1, n, a, p))])
        self.up = nn.ModuleList([
            nn.Sequential(*_up(8 * d, 4 * d, num_res, n, a, p, False)),
            nn.Sequential(ConvBlock(2 * d * len(kernels) + 4 * d, 4 * d, 5, 1, 2, n, a, p),
                          *_up(4 * d, 2 * d, num_res, n, a, p, False),
                          *_up(2 * d, d, num_res, n, a, p, False),
                          ConvBlock(d, 3, 3, 1, 1, 'none', 'tanh', p))])
        self.samplers = nn.ModuleList([GaussianSampler(k, s) for k, s in kernels])

    def forward(self, x: Tensor, flow: Tensor) -> Tensor:
        x1 = self.down[0](x)                                   # [B, 2d, H/4, W/4]
        x2 = self.down[1](x1)                                  # [B, 8d, H/8, W/8]
        sampled = [s(x1, flow) for s in self.samplers]         # each [B, 2d, H/4, W/4]
        return self.up[1](torch.cat([self.up[0](x2), *sampled], 1))


@GENERATORS.register_module()
class TextureGenerator(BaseGenerator):
    """The texture generator: ``(masked image, structure, mask)`` -> ``{'output': image,
    'flow': [B, 2, H/4, W/4]}``.

    Args:
        base_channels: the width (64).
        num_res: residual blocks per decoder level (2).
        kernels: ``(kernel_size, sigma)`` of each Gaussian sampler (the paper's
            ``((16, 4), (4, 2))``); the decoder's input width follows their number.
        rtv: as :class:`StructureReconstructor`: the smoothing of the masked input used
            as the structure when ``forward`` is given none.
    """

    # the flow column reaches 1/16 of the size, where a 5x5 convolution reflect-pads by 2:
    # that needs at least 3 pixels there
    size_multiple = 64
    tiny_cfg = dict(base_channels=4, num_res=1)

    def __init__(self, base_channels: int = 64, num_res: int = 2,
                 kernels=((16, 4.0), (4, 2.0)), rtv: dict | None = None) -> None:
        super().__init__()
        self.rtv = dict(rtv or {})
        self.flow_column = FlowColumn(base_channels, num_res)
        self.conv_column = ConvColumn(base_channels, num_res,
                                      kernels=tuple(tuple(k) for k in kernels))
        xavier_init(self)

    def forward(self, masked_image: Tensor, mask: Tensor, structure: Tensor | None = None
                ) -> dict[str, Tensor]:
        if structure is None:
            structure = smooth_masked(masked_image, mask, self.rtv)
        x = torch.cat([masked_image, structure, mask], 1)      # [B, 7, H, W]
        flow = self.flow_column(x)
        return {'output': self.conv_column(x, flow), 'flow': flow}


@GENERATORS.register_module()
class StructureFlowGenerator(BaseGenerator):
    """The structure reconstructor followed by the texture generator: ``{'structure',
    'output', 'flow'}``. ``smooth`` (the smoothed ground truth, in training) replaces the
    RTV smoothing of the masked input; the structure is then predicted from it masked.

    Args:
        structure: keyword arguments of :class:`StructureReconstructor`.
        texture: keyword arguments of :class:`TextureGenerator`.
        rtv: the smoothing of the masked input at inference (:func:`~.rtv.rtv_smooth`).
    """

    size_multiple = 64
    tiny_cfg = dict(structure=dict(base_channels=4, num_res=1),
                    texture=dict(base_channels=4, num_res=1))

    def __init__(self, structure: dict | None = None, texture: dict | None = None,
                 rtv: dict | None = None) -> None:
        super().__init__()
        self.rtv = dict(rtv or {})
        self.structure = StructureReconstructor(**dict(structure or {}))
        self.texture = TextureGenerator(**dict(texture or {}))

    def forward(self, masked_image: Tensor, mask: Tensor, smooth: Tensor | None = None
                ) -> dict[str, Tensor]:
        if smooth is None:
            smooth = smooth_masked(masked_image, mask, self.rtv)
        structure = self.structure(masked_image, mask, smooth)['output']
        out = self.texture(masked_image, mask, structure)
        return {'structure': structure, 'output': out['output'], 'flow': out['flow']}
