"""DeepFill v1's coarse-to-fine generator (Yu et al., CVPR 2018, Fig. 2 / Sec. 3).

Layers and widths are those of the authors' TensorFlow ``InpaintCAModel.build_inpaint_net``
(``generative_inpainting`` v1.0.0, ``cnum = 32``): vanilla convolutions with ELU
(TF ``'SAME'`` padding), nearest-neighbour x2 upsampling followed by a 3x3 convolution, no
normalisation, outputs clipped to ``[-1, 1]``.

* coarse network: ``[x, 1, mask]`` (5 channels) -> 17 convolutions (two stride-2, four
  dilated with rates 2, 4, 8, 16) -> RGB;
* refinement network on the coarse result pasted into the input: a dilated-convolution
  branch and a contextual-attention branch (its last convolution before the attention
  with ReLU, as the TF code), concatenated, then a decoder.

The contextual attention is the shared module of ``plugins/deepfillv2``; by default
``formulation='tf'`` (the authors' TF layer), with the mask brought to the attention's
quarter resolution by nearest-neighbour sampling as the TF code does.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from toolbox import BaseGenerator
from toolbox.bases import check_image_and_mask
from toolbox.nn.contextual_attention import FORMULATIONS, contextual_attention
from toolbox.registry import GENERATORS

from .layers import SameConv2d

__all__ = ['DeepFillv1Generator']


class _Conv(nn.Sequential):
    """TF ``gen_conv``: a 'SAME' convolution and an activation (ELU unless told)."""

    def __init__(self, cin: int, cout: int, k: int = 3, stride: int = 1, rate: int = 1,
                 act: nn.Module | None = None) -> None:
        super().__init__(SameConv2d(cin, cout, k, stride, rate),
                         nn.ELU() if act is None else act)


class _Up(nn.Module):
    """TF ``gen_deconv``: nearest-neighbour x2, then a 3x3 ``gen_conv``."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = _Conv(cin, cout)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(F.interpolate(x, scale_factor=2, mode='nearest'))


def _dilated(c: int) -> list[nn.Module]:
    return [_Conv(c, c, rate=r) for r in (2, 4, 8, 16)]


def _decoder(cin: int, c: int) -> nn.Sequential:
    """``conv11 .. conv17``: two 4c convs, up to 2c, conv, up to c, c/2, RGB (no act)."""
    return nn.Sequential(_Conv(cin, 4 * c), _Conv(4 * c, 4 * c), _Up(4 * c, 2 * c),
                         _Conv(2 * c, 2 * c), _Up(2 * c, c), _Conv(c, c // 2),
                         SameConv2d(c // 2, 3, 3))


@GENERATORS.register_module()
class DeepFillv1Generator(BaseGenerator):
    """DeepFill v1: ``forward(masked_image, mask) -> {'coarse', 'output'}`` (raw, in [-1, 1]).

    Args:
        cnum: width unit (32 in the paper's code; 3,601,542 parameters).
        attention: formulation of the contextual attention, ``'tf'`` (the authors' layer),
            ``'mmagic'`` or ``'toolbox'`` (see ``toolbox/nn/contextual_attention.py``).
        softmax_scale: the attention's softmax scale (10).

    The holes of ``masked_image`` are read as given (a progressive model's estimate is
    used), not zeroed again.
    """

    size_multiple = 8
    tiny_cfg = dict(cnum=4)
    max_inference_side = 1024

    def __init__(self, cnum: int = 32, attention: str = 'tf',
                 softmax_scale: float = 10.0) -> None:
        super().__init__()
        if attention not in FORMULATIONS:
            raise ValueError(f'DeepFillv1Generator: attention must be one of {FORMULATIONS}, '
                             f'got {attention!r}')
        if cnum < 2 or cnum % 2:
            raise ValueError(f'DeepFillv1Generator: cnum must be even and >= 2, got {cnum}')
        c = int(cnum)
        self.attention, self.softmax_scale = attention, float(softmax_scale)
        self.coarse = nn.Sequential(
            _Conv(5, c, 5), _Conv(c, 2 * c, stride=2), _Conv(2 * c, 2 * c),
            _Conv(2 * c, 4 * c, stride=2), _Conv(4 * c, 4 * c), _Conv(4 * c, 4 * c),
            *_dilated(4 * c), _decoder(4 * c, c))
        self.hallucinate = nn.Sequential(                      # xconv1 .. xconv10
            _Conv(5, c, 5), _Conv(c, c, stride=2), _Conv(c, 2 * c),
            _Conv(2 * c, 2 * c, stride=2), _Conv(2 * c, 4 * c), _Conv(4 * c, 4 * c),
            *_dilated(4 * c))
        self.attend_in = nn.Sequential(                        # pmconv1 .. pmconv6
            _Conv(5, c, 5), _Conv(c, c, stride=2), _Conv(c, 2 * c),
            _Conv(2 * c, 4 * c, stride=2), _Conv(4 * c, 4 * c),
            _Conv(4 * c, 4 * c, act=nn.ReLU()))
        self.attend_out = nn.Sequential(_Conv(4 * c, 4 * c), _Conv(4 * c, 4 * c))  # pmconv9, 10
        self.refine = _decoder(8 * c, c)                       # allconv11 .. allconv17

    def _attention_mask(self, mask: Tensor, size: tuple[int, int]) -> Tensor:
        if self.attention == 'toolbox':
            return F.adaptive_max_pool2d(mask, size)
        return F.interpolate(mask, size=size, mode='nearest')  # TF's resize_mask_like

    def forward(self, masked_image: Tensor, mask: Tensor, **guidance: Tensor) -> dict[str, Tensor]:
        check_image_and_mask(masked_image, mask, where='DeepFillv1Generator',
                             multiple=self.size_multiple)
        ones = torch.ones_like(mask)
        coarse = self.coarse(torch.cat([masked_image, ones, mask], 1)).clamp(-1, 1)
        pasted = coarse * mask + masked_image * (1 - mask)
        xnow = torch.cat([pasted, ones, mask], 1)
        hallu = self.hallucinate(xnow)
        feat = self.attend_in(xnow)
        attended, _ = contextual_attention(
            feat, feat, self._attention_mask(mask, feat.shape[2:]), rate=2,
            softmax_scale=self.softmax_scale, return_offsets=False,
            formulation=self.attention)
        pm = self.attend_out(attended)
        output = self.refine(torch.cat([hallu, pm], 1)).clamp(-1, 1)
        return {'coarse': coarse, 'output': output}
