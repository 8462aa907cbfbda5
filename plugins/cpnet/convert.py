"""Importing the released CPNet weights (shleecs/Copy-and-Paste-Networks-for-Deep-Video-
Inpainting, ``weight/weight.pth``: the state dict of ``nn.DataParallel(CPNet())``).

Only names differ: ``module.A_Encoder.conv12.conv.0.weight`` becomes
``net.align_encoder.conv12.weight`` (``A_Regressor`` -> ``align_regressor``, ``Encoder`` ->
``copy_encoder``, ``Decoder`` -> ``decoder``). The regressor's ``conv6a``/``conv6b``, which the
released forward never calls, go to the buffers ``unused_conv6a_weight`` ... (kept so the
file's every weight has a place; nothing reads them). The ImageNet mean/std buffers the file
also holds are constants here and are dropped.
"""
from __future__ import annotations

from torch import Tensor, nn

from toolbox.bases import BaseWeightConverter
from toolbox.converters import rename
from toolbox.registry import WEIGHT_CONVERTERS

__all__ = ['OfficialCPNetConverter', 'official_keys']

_NETS = {'A_Encoder': 'align_encoder', 'A_Regressor': 'align_regressor',
         'Encoder': 'copy_encoder', 'Decoder': 'decoder'}
RULES = [(rf'(?:module\.)?{theirs}\.(\w+)\.conv\.0\.(weight|bias)', rf'net.{ours}.\1.\2')
         for theirs, ours in _NETS.items()] + [
    (r'(?:module\.)?A_Regressor\.fc\.(weight|bias)', r'net.align_regressor.fc.\1')]


def official_keys(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """The official state dict under the toolbox's keys."""
    out = rename(state, RULES)
    for name in ('conv6a', 'conv6b'):
        for leaf in ('weight', 'bias'):
            key = f'net.align_regressor.{name}.{leaf}'
            if key in out:
                out[f'net.align_regressor.unused_{name}_{leaf}'] = out.pop(key)
    return out


@WEIGHT_CONVERTERS.register_module()
class OfficialCPNetConverter(BaseWeightConverter):
    """The released ``weight.pth`` into ``configs/cpnet``."""

    format = 'official-cpnet'
    source = 'the official CPNet (shleecs/Copy-and-Paste-Networks-for-Deep-Video-Inpainting)'
    config = 'cpnet/youtube_vos_256.py'

    def matches(self, state: dict[str, Tensor]) -> bool:
        keys = [k[len('module.'):] if k.startswith('module.') else k for k in state]
        return (any(k.startswith('A_Regressor.') for k in keys)
                and any(k.startswith('Decoder.') for k in keys))

    def convert(self, state: dict[str, Tensor], model: nn.Module) -> dict[str, Tensor]:
        return official_keys(state)
