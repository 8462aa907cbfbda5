"""Importing MMagic's (formerly MMEditing's) AOT-GAN checkpoints
(``configs/aot_gan/aot-gan_smpgan_4xb4_places-512x512.py``, e.g.
``AOT-GAN_512x512_4x12_places_20220509-6641441b.pth``).

MMagic's ``AOTEncoderDecoder`` is the authors' generator under other names (mmcv's
``ConvModule`` wraps each convolution as ``.conv``), and its ``SoftMaskPatchDiscriminator``
(``num_conv=3``, spectral norm) is the authors' discriminator, so the conversion only
renames. The file's ``loss_percep.*`` tensors (the perceptual and style loss's two VGG19
copies) are left out. Unlike its DeepFill v2 configs, MMagic's AOT-GAN config loads images
as **RGB** (``channel_order='rgb'``): no colour reordering. MMagic feeds the generator
white holes; the target config sets ``hole_offset=1.0`` for that (measured against MMagic's
own inpaintor: ``plugins/aotgan/README.md``).
"""
from __future__ import annotations

from torch import Tensor, nn

from toolbox.converters import BaseWeightConverter, rename
from toolbox.registry import WEIGHT_CONVERTERS

__all__ = ['MMagicAOTGANConverter']

_P = r'(weight|bias)'
#: MMagic key (regex) -> toolbox key
_RULES = [
    (r'generator\.encoder\.encoder\.1\.conv\.' + _P, r'generator.encoder.1.\1'),
    (r'generator\.encoder\.encoder\.2\.conv\.' + _P, r'generator.encoder.3.\1'),
    (r'generator\.encoder\.encoder\.3\.conv\.' + _P, r'generator.encoder.5.\1'),
    (r'generator\.dilation_neck\.model\.(\d+)\.blocks\.(\d+)\.1\.conv\.' + _P,
     r'generator.middle.\1.branches.\2.1.\3'),
    (r'generator\.dilation_neck\.model\.(\d+)\.(fuse|gate)\.1\.conv\.' + _P,
     r'generator.middle.\1.\2.1.\3'),
    (r'generator\.decoder\.decoder\.0\.conv\.' + _P, r'generator.decoder.0.conv.\1'),
    (r'generator\.decoder\.decoder\.1\.conv\.' + _P, r'generator.decoder.2.conv.\1'),
    (r'generator\.decoder\.decoder\.2\.conv\.' + _P, r'generator.decoder.4.\1'),
    (r'disc\.model\.4\.' + _P, r'discriminator.conv.8.\1'),
]
_SN = [('weight_orig', 'original'), ('weight_u', '0._u'), ('weight_v', '0._v')]


@WEIGHT_CONVERTERS.register_module()
class MMagicAOTGANConverter(BaseWeightConverter):
    """MMagic / MMEditing AOT-GAN (``AOTInpaintor``: ``AOTEncoderDecoder`` with 8 AOT
    blocks, ``SoftMaskPatchDiscriminator``) into ``configs/aotgan/places_512_mmagic.py``."""

    format = 'mmagic-aotgan'
    source = 'MMagic AOT-GAN'
    config = 'aotgan/places_512_mmagic.py'

    def matches(self, state: dict[str, Tensor]) -> bool:
        return ('generator.dilation_neck.model.0.gate.1.conv.weight' in state
                and 'generator.encoder.encoder.1.conv.weight' in state)

    def convert(self, state: dict[str, Tensor], model: nn.Module) -> dict[str, Tensor]:
        out = rename(state, _RULES)
        for layer in range(4):          # spectrally normalised convs 0-3 (sequence 0, 2, 4, 6)
            for theirs, ours in _SN:
                key = f'disc.model.{layer}.conv.{theirs}'
                if key in state:
                    out[f'discriminator.conv.{2 * layer}.parametrizations.weight.{ours}'] = \
                        state[key]
        return out
