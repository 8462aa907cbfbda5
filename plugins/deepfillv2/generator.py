"""The DeepFill v2 generator: gated coarse network and two-branch refinement network.

Paper: J. Yu, Z. Lin, J. Yang, X. Shen, X. Lu, T. Huang, "Free-Form Image Inpainting with
Gated Convolution", ICCV 2019 (Fig. 3), with the contextual attention of J. Yu et al.,
"Generative Image Inpainting with Contextual Attention", CVPR 2018.

Coarse network: a gated encoder-decoder (two stride-2 gated convolutions, dilated gated
convolutions at rates 2, 4, 8, 16 at quarter resolution, two up-sampling gated
convolutions) on ``[masked image, ones, mask (, sketch)]``. Refinement network: the coarse
result pasted into the known pixels feeds two parallel encoders, one with dilated gated
convolutions and one with contextual attention, whose features are concatenated and
decoded into the final prediction.

Widths follow the authors' implementation, where ``cnum = 48`` counts the channels of a
gated convolution's single convolution, half of them features and half gates: the first
layer outputs 24 feature channels, the widest 96. With ``cnum=48`` the generator has
4,052,478 parameters without and 4,053,678 with the sketch channel (the paper: 4.1M).

What differs from the paper: see ``plugins/deepfillv2/README.md`` (symmetric padding,
max-pooled mask for the attention, the contextual-attention details listed in
:mod:`toolbox.nn.contextual_attention`, the sketch channel masked to the hole).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from toolbox import BaseGenerator
from toolbox.bases import check_image_and_mask
from toolbox.nn.contextual_attention import ContextualAttention
from toolbox.registry import GENERATORS

from .gated_conv import GatedConv2d, GatedUpConv2d

__all__ = ['DeepFillv2Generator']


def _trunk(c_in: int, w1: int, w2: int, w4: int, dilations=(2, 4, 8, 16),
           **kw) -> list[nn.Module]:
    """5x5 stem, two stride-2 stages, two 3x3 and the dilated convs at quarter resolution."""
    return [
        GatedConv2d(c_in, w1, 5, **kw),
        GatedConv2d(w1, w2, 3, stride=2, **kw),
        GatedConv2d(w2, w2, 3, **kw),
        GatedConv2d(w2, w4, 3, stride=2, **kw),
        GatedConv2d(w4, w4, 3, **kw),
        GatedConv2d(w4, w4, 3, **kw),
        *[GatedConv2d(w4, w4, 3, dilation=d, **kw) for d in dilations],
    ]


def _decoder(c_in: int, w4: int, w2: int, w1: int, gated_output: bool = False,
             **kw) -> list[nn.Module]:
    """Two 3x3 gated convs, two (up-sample + gated conv, gated conv) stages, RGB output."""
    return [
        GatedConv2d(c_in, w4, 3, **kw),
        GatedConv2d(w4, w4, 3, **kw),
        GatedUpConv2d(w4, w2, **kw),
        GatedConv2d(w2, w2, 3, **kw),
        GatedUpConv2d(w2, w1, **kw),
        GatedConv2d(w1, w1 // 2, 3, **kw),
        GatedConv2d(w1 // 2, 3, 3, activation=None, gated=gated_output, **kw),
    ]


@GENERATORS.register_module()
class DeepFillv2Generator(BaseGenerator):
    """DeepFill v2: gated coarse network, then dilated + contextual-attention refinement.

    ``forward(masked_image [B, 3, H, W], mask [B, 1, H, W], sketch=None [B, 1, H, W])``
    returns ``{'coarse': [B, 3, H, W], 'output': [B, 3, H, W]}`` in ``[-1, 1]``; H and W
    must be multiples of ``4 * attention_rate`` (8). With ``return_attention=True`` it also returns
    ``'attention_offsets'`` ``[B, 2, H/8, W/8]`` (see
    :func:`~toolbox.nn.contextual_attention.offsets_to_rgb`); the inpaintor
    never asks for it, because it composites every output as an image.

    Args:
        cnum: the authors' width unit: the first gated convolution has ``cnum`` output
            channels before the split, i.e. ``cnum / 2`` feature channels; the widest
            layers ``2 * cnum``. A multiple of 4. 48 is the paper's model.
        sketch: accept a sketch (edge map) channel ``[B, 1, H, W]`` in [0, 1] as guidance
            for user-guided inpainting. The sketch is used inside the hole only (known
            pixels need no guidance); a missing sketch counts as an empty one.
        attention_rate: downscaling of the contextual attention's matching (2, even).
        softmax_scale: the attention's softmax scale (10).
        fuse_size: the attention's propagation window (3; 1 = off).
        in_channels: image channels (3).
        channels_last: run the network on channels-last (NHWC) tensors; same results,
            faster oneDNN convolutions on the CPU (outputs are channels-last too).
        checkpointing: activation checkpointing while training (``torch.utils.checkpoint``,
            one segment per gated convolution and one for the contextual attention): the
            backward pass keeps only each layer's input and recomputes the layer, so a
            training step holds about a third of the activations for about one more
            forward pass of time. Same outputs and gradients; no effect at inference
            (without autograd). Off by default: the step takes 1.3-1.6x the time (see
            the README, "Speed").

    MMagic's DeepFill v2 (``configs/deepfillv2/places_256_mmagic.py`` sets all of these):

    Args:
        padding_mode: ``'zeros'`` (default) or ``'reflect'`` for every convolution.
        gated_output: the two RGB output convolutions are gated too (``x * sigmoid(g)``
            before the ``tanh``) instead of plain.
        refine_with_mask: the refinement network sees ``[pasted image, ones, mask]``
            instead of the pasted image alone.
        attention_activation: activation of the last layer before the contextual
            attention (``'relu'``, as the authors' code; MMagic: ``'elu'``).
        refine_decoder_cnum: width unit of the merged refinement decoder (``None``: ``cnum``;
            MMagic's is 64 while the rest of its network uses 48).
        attention: ``'toolbox'`` or ``'mmagic'``: the contextual attention's formulation
            (see :mod:`toolbox.nn.contextual_attention`) and how the mask is brought to
            quarter resolution (max-pooled, or MMagic's nearest-neighbour sampling).
    """

    size_multiple = 8
    tiny_cfg = dict(cnum=8)
    #: Longest side that :func:`toolbox.apis.inpaint` processes in one piece by default;
    #: the contextual attention costs O((H W)^2), so larger images are handled by windows
    #: around the holes (see the plugin README).
    max_inference_side = 1024

    def __init__(self,
                 cnum: int = 48,
                 sketch: bool = False,
                 attention_rate: int = 2,
                 softmax_scale: float = 10.0,
                 fuse_size: int = 3,
                 in_channels: int = 3,
                 channels_last: bool = True,
                 padding_mode: str = 'zeros',
                 gated_output: bool = False,
                 refine_with_mask: bool = False,
                 attention_activation: str | None = 'relu',
                 refine_decoder_cnum: int | None = None,
                 attention: str = 'toolbox',
                 checkpointing: bool = False) -> None:
        super().__init__()
        if padding_mode not in ('zeros', 'reflect'):
            raise ValueError(f"DeepFillv2Generator: padding_mode must be 'zeros' or 'reflect', "
                             f'got {padding_mode!r}')
        if refine_decoder_cnum is not None and (refine_decoder_cnum < 4
                                                or refine_decoder_cnum % 4):
            raise ValueError('DeepFillv2Generator: refine_decoder_cnum must be a positive '
                             f'multiple of 4 or None, got {refine_decoder_cnum}')
        if cnum < 4 or cnum % 4:
            raise ValueError(f'DeepFillv2Generator: cnum must be a positive multiple of 4, '
                             f'got {cnum}')
        if attention_rate < 2 or attention_rate % 2:
            raise ValueError(f'DeepFillv2Generator: attention_rate must be even and >= 2, got '
                             f'{attention_rate}')
        self.cnum = cnum
        # two stride-2 stages, then the attention's downscaling
        self.size_multiple = 4 * attention_rate
        self.use_sketch = bool(sketch)
        self.guidance = ('sketch',) if sketch else ()
        self.in_channels = in_channels
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        w1, w2, w4 = cnum // 2, cnum, 2 * cnum        # feature channels after the split
        c_in = in_channels + 2 + (1 if sketch else 0)   # image, ones, mask (, sketch)
        self.refine_with_mask = bool(refine_with_mask)
        c_refine = in_channels + (2 if refine_with_mask else 0)
        self.attention_mode = attention
        self.checkpointing = bool(checkpointing)
        kw = dict(padding_mode=padding_mode)

        # Stage 1: coarse network.
        self.coarse = nn.Sequential(*_trunk(c_in, w1, w2, w4, **kw),
                                    *_decoder(w4, w4, w2, w1, gated_output, **kw))
        # Stage 2: dilated ("hallucination") branch on the pasted coarse result.
        self.refine_conv = nn.Sequential(
            GatedConv2d(c_refine, w1, 5, **kw),
            GatedConv2d(w1, w1, 3, stride=2, **kw),
            GatedConv2d(w1, w2, 3, **kw),
            GatedConv2d(w2, w2, 3, stride=2, **kw),
            GatedConv2d(w2, w4, 3, **kw),
            GatedConv2d(w4, w4, 3, **kw),
            *[GatedConv2d(w4, w4, 3, dilation=d, **kw) for d in (2, 4, 8, 16)],
        )
        # Stage 2: contextual-attention branch.
        self.refine_attn_enc = nn.Sequential(
            GatedConv2d(c_refine, w1, 5, **kw),
            GatedConv2d(w1, w1, 3, stride=2, **kw),
            GatedConv2d(w1, w2, 3, **kw),
            GatedConv2d(w2, w4, 3, stride=2, **kw),
            GatedConv2d(w4, w4, 3, **kw),
            GatedConv2d(w4, w4, 3, activation=attention_activation, **kw),
        )
        self.attention = ContextualAttention(patch_size=3, rate=attention_rate,
                                             fuse_size=fuse_size, softmax_scale=softmax_scale,
                                             formulation=attention)
        self.refine_attn_dec = nn.Sequential(GatedConv2d(w4, w4, 3, **kw),
                                             GatedConv2d(w4, w4, 3, **kw))
        # Stage 2: the merged decoder.
        d = cnum if refine_decoder_cnum is None else refine_decoder_cnum
        self.refine_dec = nn.Sequential(*_decoder(2 * w4, 2 * d, d, d // 2, gated_output, **kw))
        for m in self.modules():
            if isinstance(m, GatedConv2d):
                m.saved_output_gate = not self.checkpointing

    def _recomputed(self) -> bool:
        return self.checkpointing and torch.is_grad_enabled() \
            and not torch.compiler.is_exporting()

    def _run(self, layers: nn.Sequential, x: Tensor) -> Tensor:
        """``layers(x)``; with checkpointing, each layer is a recomputed segment."""
        if not self._recomputed():
            return layers(x)
        for layer in layers:
            x = checkpoint(layer, x, use_reentrant=False)
        return x

    def forward(self, masked_image: Tensor, mask: Tensor, sketch: Tensor | None = None,
                return_attention: bool = False) -> dict[str, Tensor]:
        check_image_and_mask(masked_image, mask, where=type(self).__name__,
                             channels=self.in_channels, multiple=self.size_multiple)
        # The holes hold zeros or, for a later progressive stage, the previous stage's
        # estimate; the coarse network sees it (BaseGenerator's contract).
        x_in = masked_image
        ones = torch.ones_like(mask)
        parts = [x_in, ones, mask]
        if self.use_sketch:
            if sketch is None:
                sketch = torch.zeros_like(mask)
            elif sketch.shape != mask.shape:
                raise ValueError(f'{type(self).__name__}: sketch must be [B, 1, H, W] like the '
                                 f'mask {list(mask.shape)}, got {list(sketch.shape)}')
            parts.append(sketch.to(mask.dtype) * mask)
        fmt = self.memory_format
        coarse_in = torch.cat(parts, dim=1).contiguous(memory_format=fmt)
        coarse = torch.tanh(self._run(self.coarse, coarse_in))      # [B, 3, H, W]

        x = coarse * mask + x_in * (1.0 - mask)                     # pasted
        if self.refine_with_mask:
            x = torch.cat([x, ones, mask], dim=1)
        x = x.contiguous(memory_format=fmt)
        hallu = self._run(self.refine_conv, x)                      # [B, 2c, H/4, W/4]
        feat = self._run(self.refine_attn_enc, x)                   # [B, 2c, H/4, W/4]
        if self.attention_mode == 'mmagic':
            mask_q = mask[:, :, ::4, ::4]                           # nearest neighbour
        else:
            mask_q = F.max_pool2d(mask, 4)                          # [B, 1, H/4, W/4]
        if self._recomputed():
            # its [B, HW/64, HW/64] scores and softmax: the largest tensors it would save
            feat, offsets = checkpoint(self.attention, feat, feat, mask_q,
                                       return_attention, use_reentrant=False)
        else:
            feat, offsets = self.attention(feat, feat, mask_q, return_offsets=return_attention)
        feat = self._run(self.refine_attn_dec, feat)
        out = torch.tanh(self._run(self.refine_dec, torch.cat([hallu, feat], dim=1)))
        result = {'coarse': coarse, 'output': out}
        if return_attention:
            result['attention_offsets'] = offsets                   # [B, 2, H/8, W/8]
        return result
