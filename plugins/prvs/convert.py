"""Importing the official PRVS weights (jingyuanli001/PRVS-Image-Inpainting, ``PRVSNet()``
and ``Discriminator(2)``).

The official checkpoints (``utils/io.py``) hold the state dict under ``'generator'``
(``g_N.pth``) or ``'discriminator'`` (``d_N.pth``) next to the optimizer's; pass that state
dict (``torch.load(f)['generator']``), its keys bare or with the ``generator.`` /
``discriminator.`` prefix. Only names differ: ``enc_{i}`` / ``dec_{i}`` are
``encoder.{i-1}`` / ``decoder.{i-1}``; inside a VSR layer ``edge_generator.{p_conv,
edge_resolver, out_layer}`` are ``edge.{conv, resolver, to_edge}``, ``feat_rec`` is
``feature``, ``batchnorm`` is ``bn`` and ``deconv`` is ``up`` (also in the decoder's
partial-convolution layers); the top ``deconv`` is ``bottom_up``, ``output`` is
``to_rgb``; the discriminator's ``conv{n}.0`` is ``layers.{n-1}.0``. A ``module.`` prefix
(``nn.DataParallel``) is dropped.
"""
from __future__ import annotations

import re

from torch import Tensor, nn

from toolbox.bases import BaseWeightConverter
from toolbox.registry import WEIGHT_CONVERTERS

__all__ = ['OfficialPRVSConverter']

_LAYER = re.compile(r'(?:module\.)?(?:generator\.)?(enc|dec)_(\d+)\.(.+)')
_TOP = re.compile(r'(?:module\.)?(?:generator\.)?(deconv|resolver|output)\.(.+)')
_DISC = re.compile(r'(?:module\.)?(?:discriminator\.)?conv(\d)\.0\.(.+)')
_INNER = [('edge_generator.p_conv.', 'edge.conv.'),
          ('edge_generator.edge_resolver.', 'edge.resolver.'),
          ('edge_generator.out_layer.', 'edge.to_edge.'),
          ('feat_rec.', 'feature.'), ('batchnorm.', 'bn.'), ('deconv.', 'up.'),
          ('conv.', 'conv.'), ('bn.', 'bn.')]
_TOPS = {'deconv': 'bottom_up', 'resolver': 'resolver', 'output': 'to_rgb'}


def _ours(key: str) -> str | None:
    m = _LAYER.fullmatch(key)
    if m:
        part, index, rest = m.groups()
        for theirs, ours in _INNER:
            if rest.startswith(theirs):
                side = 'encoder' if part == 'enc' else 'decoder'
                return f'generator.{side}.{int(index) - 1}.{ours}{rest[len(theirs):]}'
        return None
    m = _TOP.fullmatch(key)
    if m:
        return f'generator.{_TOPS[m.group(1)]}.{m.group(2)}'
    m = _DISC.fullmatch(key)
    if m:
        return f'discriminator.layers.{int(m.group(1)) - 1}.0.{m.group(2)}'
    return None


@WEIGHT_CONVERTERS.register_module()
class OfficialPRVSConverter(BaseWeightConverter):
    """jingyuanli001/PRVS-Image-Inpainting's ``PRVSNet`` (and ``Discriminator(2)``) into
    ``configs/prvs/paris_256_released.py``."""

    format = 'official-prvs'
    source = 'the official PRVS (jingyuanli001/PRVS-Image-Inpainting)'
    config = 'prvs/paris_256_released.py'

    def matches(self, state: dict[str, Tensor]) -> bool:
        return any(_LAYER.fullmatch(k) and 'edge_generator.p_conv' in k for k in state)

    def convert(self, state: dict[str, Tensor], model: nn.Module) -> dict[str, Tensor]:
        out = {}
        for key, value in state.items():
            ours = _ours(key)
            if ours is not None:
                out[ours] = value
        return out
