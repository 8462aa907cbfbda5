"""Importing the official Pluralistic weights (lyndonzheng/Pluralistic-Inpainting).

The official code saves one file per network (``<iter>_net_E.pth``, ``_net_G.pth``,
``_net_D.pth``, ``_net_D_rec.pth``); merge them into one state dict with the prefixes
``net_E.``, ``net_G.``, ``net_D.``, ``net_D_rec.`` (see README.md) and convert that.

Only names differ. Its spectral norm (a wrapper: ``conv.module.weight_bar``, ``_u``,
``_v``) becomes PyTorch's (``weight_orig``, ``weight_u``, ``weight_v``); each block
registers its convolutions twice (``conv1`` and ``model.2``): the named ones are read.
"""
from __future__ import annotations

import re

from torch import Tensor, nn

from toolbox.bases import BaseWeightConverter
from toolbox.registry import WEIGHT_CONVERTERS

__all__ = ['OfficialPluralisticConverter', 'official_keys']

_SN = {'weight_bar': 'weight_orig', 'weight_u': 'weight_u', 'weight_v': 'weight_v',
       'bias': 'bias', 'weight': 'weight'}
# the convolutions of each official block kind, at their place in ours
_RES = {'conv1': 'main.1', 'conv2': 'main.3', 'bypass': 'shortcut'}
_FIRST = {'conv1': 'main.0', 'conv2': 'main.2', 'bypass': 'shortcut'}
_UP = {'conv1': 'main.2', 'conv2': 'main.5', 'bypass': 'shortcut',
       'model.0': 'main.0', 'model.3': 'main.3'}          # instance norms
_UP_PLAIN = {'conv1': 'main.1', 'conv2': 'main.3', 'bypass': 'shortcut'}
_RGB = {'conv1': 'conv'}


def _inner(rest: str, table: dict[str, str]) -> str | None:
    """``conv1.module.weight_bar`` -> ``main.1.weight_orig`` (None: a duplicate entry)."""
    rest = rest.replace('.module.', '.')
    for theirs, ours in table.items():
        if rest.startswith(theirs + '.'):
            leaf = rest[len(theirs) + 1:]
            return f'{ours}.{_SN[leaf]}' if leaf in _SN else None
    return None


def _attention(rest: str) -> str | None:
    if rest in ('gamma', 'alpha'):
        return rest
    if rest.startswith('query_conv.'):
        return 'query.' + rest[len('query_conv.'):]
    if rest.startswith('model.'):
        inner = _inner(rest[len('model.'):], _RES)
        return inner and 'fuse.' + inner
    return None


def _block(name: str, rest: str, net: str, first_out: int, decoder_norm: bool) -> str | None:
    m = re.fullmatch(r'([a-z_]+?)(\d*)', name)
    kind, index = m.group(1), int(m.group(2)) if m.group(2) else None
    table = {'E': {'block0': ('encoder.down.0', _FIRST), 'encoder': ('encoder.down.{}', _RES),
                   'infer_prior': ('encoder.infer.{}', _RES), 'prior': ('encoder.prior', _RES),
                   'posterior': ('posterior.head', _RES)},
             'G': {'generator': ('decoder.from_z', _RES),
                   'decoder': ('decoder.up.{}', _UP if decoder_norm else _UP_PLAIN),
                   'out': ('decoder.to_rgb.{}', _RGB), 'attn': ('decoder.attention', None)},
             'D': {'block0': ('down.0', _FIRST), 'encoder': ('down.{}', _RES),
                   'attn': ('attention', None), 'block1': ('last', _RES),
                   'conv': ('score', None)}}[net]
    key = name if name in table else kind
    if key not in table:
        return None
    place, inner_table = table[key]
    if '{}' in place:
        offset = {'encoder': 1, 'out': -first_out}.get(kind, 0)
        place = place.format(index + offset)
    if place == 'score':
        inner = _SN.get(rest.replace('module.', ''))
    elif inner_table is None:
        inner = _attention(rest)
    else:
        inner = _inner(rest, inner_table)
    return inner and f'{place}.{inner}'


def official_keys(state: dict[str, Tensor], output_scales: int = 4, layers: int = 5,
                  decoder_norm: bool = True) -> dict[str, Tensor]:
    """The merged official state dict under the toolbox's names (model-level keys)."""
    first_out = layers - output_scales
    out = {}
    for key, value in state.items():
        prefix, _, rest = key.partition('.')
        rest = rest[len('module.'):] if rest.startswith('module.') else rest   # DataParallel
        name, _, rest = rest.partition('.')
        net = {'net_E': 'E', 'net_G': 'G', 'net_D': 'D', 'net_D_rec': 'D'}.get(prefix)
        if net is None:
            continue
        place = _block(name, rest, net, first_out, decoder_norm)
        if place is None:
            continue
        if net == 'D':
            place = ('discriminator.' if prefix == 'net_D' else 'discriminator_rec.') + place
        elif not place.startswith('posterior.'):
            place = 'generator.' + place
        out[place] = value
    return out


@WEIGHT_CONVERTERS.register_module()
class OfficialPluralisticConverter(BaseWeightConverter):
    """The official networks (merged, see the module) into ``configs/pluralistic``."""

    format = 'official-pluralistic'
    source = 'the official Pluralistic (lyndonzheng/Pluralistic-Inpainting)'
    config = 'pluralistic/places2_256.py'

    def matches(self, state: dict[str, Tensor]) -> bool:
        return any(k.startswith('net_E.') for k in state) and any(
            k.startswith('net_G.') for k in state)

    def convert(self, state: dict[str, Tensor], model: nn.Module) -> dict[str, Tensor]:
        gen = model.generator
        return official_keys(state, output_scales=len(gen.decoder.to_rgb), layers=gen.layers,
                             decoder_norm=isinstance(gen.decoder.up[0].main[0],
                                                     nn.InstanceNorm2d))
