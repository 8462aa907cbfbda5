"""Importing MMagic's (formerly MMEditing's) DeepFill v2 checkpoints.

MMagic's ``DeepFillEncoderDecoder`` (``configs/deepfillv2/*``) is DeepFill v2 with: reflection
padding everywhere, gated RGB output layers, ``[image, ones, mask]`` as the refinement
input, ELU before the contextual attention, a merged decoder of width unit 64 (the rest
48), nearest-neighbour mask downscaling and MMagic's own contextual-attention layer.
``configs/deepfillv2/places_256_mmagic.py`` sets the generator's options for all of them.

MMagic's models see **BGR** images (mmcv loads BGR and its DeepFill configs do not
convert); the toolbox feeds RGB. Reversing the colour channels of the input layers and
of the RGB output layers (and of the discriminator's input) makes the converted network
on an RGB image compute exactly what MMagic's computes on the BGR image.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from toolbox.converters import BaseWeightConverter, rename
from toolbox.registry import WEIGHT_CONVERTERS

__all__ = ['MMagicDeepFillv2Converter']

_G = r'generator\.'
_GATED = r'\.conv\.conv\.(weight|bias)'
#: MMagic key (regex) -> toolbox key
_RULES = [
    (_G + r'stage1\.encoder\.enc([1-6])' + _GATED, None),
    (_G + r'stage1\.dilation_neck\.dilation_convs\.([0-3])' + _GATED, None),
    (_G + r'stage1\.decoder\.dec([1-7])' + _GATED, None),
    (_G + r'stage2\.encoder_conv\.enc([1-6])' + _GATED, None),
    (_G + r'stage2\.dilation_neck\.dilation_convs\.([0-3])' + _GATED, None),
    (_G + r'stage2\.encoder_attention\.enc([1-6])' + _GATED, None),
    (_G + r'stage2\.contextual_attention_neck\.conv([12])' + _GATED, None),
    (_G + r'stage2\.decoder\.dec([1-7])' + _GATED, None),
]
#: (toolbox module, index of the first source layer, source numbering starts at)
_TARGETS = [('coarse', 0, 1), ('coarse', 6, 0), ('coarse', 10, 1), ('refine_conv', 0, 1),
            ('refine_conv', 6, 0), ('refine_attn_enc', 0, 1), ('refine_attn_dec', 0, 1),
            ('refine_dec', 0, 1)]
_DISC = [(r'disc\.conv(\d)\.conv\.weight_orig', 'parametrizations.weight.original'),
         (r'disc\.conv(\d)\.conv\.weight_u', 'parametrizations.weight.0._u'),
         (r'disc\.conv(\d)\.conv\.weight_v', 'parametrizations.weight.0._v'),
         (r'disc\.conv(\d)\.conv\.bias', 'bias')]

#: the first layers that read an image, and the RGB output layers (toolbox keys)
_IMAGE_IN = ('generator.coarse.0.conv.weight', 'generator.refine_conv.0.conv.weight',
             'generator.refine_attn_enc.0.conv.weight')
_IMAGE_OUT = ('generator.coarse.16.conv', 'generator.refine_dec.6.conv')


@WEIGHT_CONVERTERS.register_module()
class MMagicDeepFillv2Converter(BaseWeightConverter):
    """MMagic / MMEditing DeepFill v2 (``TwoStageInpaintor`` with ``DeepFillEncoderDecoder``
    and ``MultiLayerDiscriminator``), e.g. ``deepfillv2_256x256_8x2_places_20200619-10d15793.pth``.

    Args:
        channel_order: the colour order the source was trained on (``'bgr'``, MMagic's);
            ``'rgb'`` keeps the layers as they are.
    """

    format = 'mmagic-deepfillv2'
    source = 'MMagic DeepFill v2'
    config = 'deepfillv2/places_256_mmagic.py'

    def __init__(self, channel_order: str = 'bgr') -> None:
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(f"channel_order must be 'bgr' or 'rgb', got {channel_order!r}")
        self.channel_order = channel_order

    def matches(self, state: dict[str, Tensor]) -> bool:
        key = 'generator.stage2.contextual_attention_neck.conv1.conv.conv.weight'
        return key in state and 'generator.stage1.encoder.enc1.conv.conv.weight' in state

    def convert(self, state: dict[str, Tensor], model: nn.Module) -> dict[str, Tensor]:
        out: dict[str, Tensor] = {}
        for (pattern, _), (module, first, start) in zip(_RULES, _TARGETS):
            for key, value in rename(state, [(pattern, r'\1 \2')]).items():
                index, kind = key.split()
                out[f'generator.{module}.{first + int(index) - start}.conv.{kind}'] = value
        for pattern, name in _DISC:
            for key, value in rename(state, [(pattern, r'\1')]).items():
                out[f'discriminator.layers.{2 * (int(key) - 1)}.{name}'] = value
        if self.channel_order == 'bgr':
            _reverse_colours(out)
        return out


def _reverse_colours(out: dict[str, Tensor]) -> None:
    """Reorder the colour channels in place (see the module docstring)."""
    flip = torch.tensor([2, 1, 0])
    for key in _IMAGE_IN:
        if key in out:
            w = out[key]
            out[key] = torch.cat([w[:, flip], w[:, 3:]], dim=1)
    for prefix in _IMAGE_OUT:
        # gated: rows [feature B, G, R, gate B, G, R]; plain: [B, G, R]
        for kind in ('weight', 'bias'):
            key = f'{prefix}.{kind}'
            if key in out:
                rows = out[key].shape[0]
                order = torch.cat([flip + 3 * i for i in range(rows // 3)])
                out[key] = out[key][order]
    key = 'discriminator.layers.0.parametrizations.weight.original'
    if key in out:
        w = out[key]
        out[key] = torch.cat([w[:, flip], w[:, 3:]], dim=1)
        v_key = 'discriminator.layers.0.parametrizations.weight.0._v'
        if v_key in out:
            # the power iteration's right vector runs over (in_channels, kh, kw)
            v = out[v_key].view(w.shape[1], -1)
            out[v_key] = torch.cat([v[flip], v[3:]], dim=0).flatten()
