"""Importing the official weights (amjltc295/Free-Form-Video-Inpainting, a
``VideoInpaintingModel`` with ``conv_type='gated'``, ``conv_by='3d'``, ``norm='SN'``, saved by
its trainer as ``{'state_dict': model.state_dict(), ...}``; the ICCV 2019 release
``FFVI_3DGatedConv+TPGAN_trained_on_FVI_dataset``).

Only names differ: ``generator.coarse_net.downsample_module.conv{i}`` and
``.upsample_module.conv{i}`` are ``generator.conv{i}``, ``dilated_conv{i}`` is
``generator.dilated.{i-1}``, ``deconv{i}.conv`` stays ``deconv{i}.conv``; in each gated
convolution ``featureConv``/``gatingConv`` are ``feature``/``gate``. The temporal
discriminator's ``conv{i}.featureConv`` is ``discriminator.conv{i}``. The spatial
discriminator (weight 0 in the paper's model) and a refinement network are not part of
this model and are dropped; a ``module.`` prefix (``nn.DataParallel``) is removed.
"""
from __future__ import annotations

import re

from torch import Tensor, nn

from toolbox.bases import BaseWeightConverter
from toolbox.registry import WEIGHT_CONVERTERS

__all__ = ['OfficialFreeFormVideoConverter', 'official_key']

_GEN = re.compile(r'generator\.coarse_net\.(?:downsample|upsample)_module\.'
                  r'(conv\d+|dilated_conv\d|deconv\d\.conv)\.(featureConv|gatingConv)\.(.+)')
_DISC = re.compile(r'temporal_discriminator\.(conv\d)\.featureConv\.(.+)')
_BRANCH = {'featureConv': 'feature', 'gatingConv': 'gate'}


def official_key(key: str) -> str | None:
    """The toolbox key of an official state-dict key, or None for a key this model lacks."""
    key = key[len('module.'):] if key.startswith('module.') else key
    m = _GEN.fullmatch(key)
    if m:
        layer, branch, rest = m.groups()
        if layer.startswith('dilated_conv'):
            layer = f'dilated.{int(layer[-1]) - 1}'
        return f'generator.{layer}.{_BRANCH[branch]}.{rest}'
    m = _DISC.fullmatch(key)
    if m:
        return f'discriminator.{m.group(1)}.{m.group(2)}'
    return None


@WEIGHT_CONVERTERS.register_module()
class OfficialFreeFormVideoConverter(BaseWeightConverter):
    """The official 3D gated convolution + T-PatchGAN into
    ``configs/free_form_video/fvi_released.py``."""

    format = 'official-ffvi'
    source = 'the official Free-Form Video Inpainting (amjltc295/Free-Form-Video-Inpainting)'
    config = 'free_form_video/fvi_released.py'

    def matches(self, state: dict[str, Tensor]) -> bool:
        keys = {k[len('module.'):] if k.startswith('module.') else k for k in state}
        return ('generator.coarse_net.downsample_module.conv1.gatingConv.weight_orig' in keys
                and 'generator.coarse_net.upsample_module.conv11.featureConv.weight' in keys)

    def convert(self, state: dict[str, Tensor], model: nn.Module) -> dict[str, Tensor]:
        out = {}
        for key, value in state.items():
            ours = official_key(key)
            if ours is not None:
                out[ours] = value
        return out
