"""Importing LaMa's released checkpoints (``big-lama/models/best.ckpt``, ``lama-fourier``).

The files are PyTorch Lightning checkpoints of LaMa's ``DefaultInpaintingTrainingModule``:
``state_dict`` holds ``generator.model.<i>...`` (its ``FFCResNetGenerator``, one
``nn.Sequential``), ``discriminator.model<n>...`` (pix2pixHD's ``NLayerDiscriminator``) and
the training losses' and evaluators' networks (ignored here), next to Lightning's own
objects (read as inert placeholders, see :mod:`toolbox.converters`).

LaMa works on [0, 1] images with a sigmoid output; the configs set the generator's
``value_range='[0,1]'``, so the converted weights compute exactly LaMa's function.
"""
from __future__ import annotations

import re

from torch import Tensor, nn

from toolbox.converters import BaseWeightConverter, rename
from toolbox.registry import WEIGHT_CONVERTERS

__all__ = ['BigLaMaConverter', 'LaMaFourierConverter']

#: LaMa's FFC / spectral-transform sub-module names -> this plugin's
_FFC_RULES = [
    (r'\.ffc\.convl2l\.', '.ffc.l2l.'),
    (r'\.ffc\.convl2g\.', '.ffc.l2g.'),
    (r'\.ffc\.convg2l\.', '.ffc.g2l.'),
    (r'\.ffc\.convg2g\.conv1\.', '.ffc.g2g.reduce.'),
    (r'\.ffc\.convg2g\.fu\.conv_layer\.', '.ffc.g2g.fu.conv.'),
    (r'\.ffc\.convg2g\.lfu\.conv_layer\.', '.ffc.g2g.lfu.conv.'),
    (r'\.ffc\.convg2g\.(fu|lfu)\.bn\.', r'.ffc.g2g.\1.bn.'),
    (r'\.ffc\.convg2g\.conv2\.', '.ffc.g2g.expand.'),
]
_RESBLOCK = re.compile(r'generator\.model\.(\d+)\.conv[12]\.ffc\.')


def _num_blocks(state: dict[str, Tensor]) -> int:
    return len({m.group(1) for k in state if (m := _RESBLOCK.match(k))})


@WEIGHT_CONVERTERS.register_module()
class BigLaMaConverter(BaseWeightConverter):
    """LaMa's ``best.ckpt`` of Big LaMa (18 FFC residual blocks)."""

    format = 'big-lama'
    source = "LaMa's Big LaMa, 18 FFC blocks"
    config = 'lama/big_places_512.py'
    num_blocks = 18

    def matches(self, state: dict[str, Tensor]) -> bool:
        return ('generator.model.1.ffc.convl2l.weight' in state
                and _num_blocks(state) == self.num_blocks)

    def convert(self, state: dict[str, Tensor], model: nn.Module) -> dict[str, Tensor]:
        blocks = _num_blocks(state)
        last_encoder = 1 + 3 + blocks          # pad, stem, 3 downsamplings, the blocks
        out: dict[str, Tensor] = {}
        for key, value in state.items():
            m = re.fullmatch(r'generator\.model\.(\d+)\.(.+)', key)
            if m:
                i, rest = int(m.group(1)), '.' + m.group(2)
                for pattern, repl in _FFC_RULES:
                    rest = re.sub(pattern, repl, rest)
                if i <= last_encoder:
                    out[f'generator.encoder.{i}{rest}'] = value
                else:                          # after LaMa's ConcatTupleLayer
                    out[f'generator.decoder.{i - last_encoder - 2}{rest}'] = value
        stages = rename(state, [(r'discriminator\.model(\d+)\.(\d+)\.(.+)', r'\1 \2 \3')])
        last = max((int(k.split()[0]) for k in stages), default=-1)
        for key, value in stages.items():
            n, j, rest = key.split()
            # this plugin's last stage is the bare convolution, not a one-layer Sequential
            name = f'{n}.{rest}' if int(n) == last else f'{n}.{j}.{rest}'
            out[f'discriminator.stages.{name}'] = value
        return out


@WEIGHT_CONVERTERS.register_module()
class LaMaFourierConverter(BigLaMaConverter):
    """LaMa's ``best.ckpt`` of LaMa-Fourier (9 FFC residual blocks)."""

    format = 'lama-fourier'
    source = "LaMa's LaMa-Fourier, 9 FFC blocks"
    config = 'lama/fourier_places_256_released.py'
    num_blocks = 9
