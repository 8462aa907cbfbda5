"""Importing the official LBAM generator weights (Vious/LBAM_Pytorch, ``LBAMModel(4, 3)``
saved with ``torch.save(netG.state_dict())``, e.g. the released Paris StreetView model).

Only names differ: ``ec{i}`` are ``encoder.{i-1}`` (``conv``, ``maskConv`` -> ``conv``,
``mask_conv``; ``activationFuncG_A.{a, mu, sigma1, sigma2}`` -> ``attention.{a, mu,
gamma_l, gamma_r}``), ``reverseConv{i}`` are ``reverse.{i-1}``, ``dc{i}`` (i <= 6) are
``decoder.{i-1}`` and ``dc7`` is ``to_rgb``. A ``module.`` prefix (a model saved from
``nn.DataParallel``) is dropped. The release has no discriminator.
"""
from __future__ import annotations

from torch import Tensor, nn

from toolbox.converters import rename
from toolbox.bases import BaseWeightConverter
from toolbox.registry import WEIGHT_CONVERTERS

__all__ = ['OfficialLBAMConverter']

_G = r'activationFuncG_A\.'

_RULES = [
    (r'(?:module\.)?ec(\d+)\.conv\.conv\.weight', r'generator.encoder.{\1}.conv.weight'),
    (r'(?:module\.)?ec(\d+)\.conv\.maskConv\.weight', r'generator.encoder.{\1}.mask_conv.weight'),
    (r'(?:module\.)?ec(\d+)\.conv\.' + _G + r'(a|mu|sigma1|sigma2)',
     r'generator.encoder.{\1}.attention.\2'),
    (r'(?:module\.)?ec(\d+)\.bn\.(.+)', r'generator.encoder.{\1}.bn.\2'),
    (r'(?:module\.)?reverseConv(\d+)\.reverseMaskConv\.weight',
     r'generator.reverse.{\1}.mask_conv.weight'),
    (r'(?:module\.)?reverseConv(\d+)\.' + _G + r'(a|mu|sigma1|sigma2)',
     r'generator.reverse.{\1}.attention.\2'),
    (r'(?:module\.)?dc([1-6])\.conv\.weight', r'generator.decoder.{\1}.deconv.weight'),
    (r'(?:module\.)?dc([1-6])\.bn\.(.+)', r'generator.decoder.{\1}.bn.\2'),
    (r'(?:module\.)?dc7\.weight', r'generator.to_rgb.weight'),
]
_PARAMS = {'sigma1': 'gamma_l', 'sigma2': 'gamma_r'}


def _renumber(key: str, num_decoder: int) -> str:
    """``{i}`` in a renamed key -> ``i - 1``; decoder levels count from the deepest."""
    head, brace, rest = key.partition('{')
    if not brace:
        return key
    index, _, tail = rest.partition('}')
    i = int(index) - 1
    if head.endswith('decoder.'):
        i = num_decoder - 1 - i
    for theirs, ours in _PARAMS.items():
        if tail.endswith('.' + theirs):
            tail = tail[:-len(theirs)] + ours
    return f'{head}{i}{tail}'


@WEIGHT_CONVERTERS.register_module()
class OfficialLBAMConverter(BaseWeightConverter):
    """Vious/LBAM_Pytorch's ``LBAMModel`` into ``configs/lbam/paris_256_released.py``."""

    format = 'official-lbam'
    source = 'the official LBAM (Vious/LBAM_Pytorch)'
    config = 'lbam/paris_256_released.py'

    def matches(self, state: dict[str, Tensor]) -> bool:
        keys = {k[len('module.'):] if k.startswith('module.') else k for k in state}
        return {'ec1.conv.maskConv.weight', 'reverseConv1.reverseMaskConv.weight'} <= keys

    def convert(self, state: dict[str, Tensor], model: nn.Module) -> dict[str, Tensor]:
        num_decoder = sum(1 for k in state if k.endswith('reverseMaskConv.weight'))
        return {_renumber(k, num_decoder): v for k, v in rename(state, _RULES).items()}
