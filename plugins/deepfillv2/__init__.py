"""DeepFill v2 (Yu et al., ICCV 2019): hook implementations only; see README.md."""
from toolbox import hookimpl

from .convert import MMagicDeepFillv2Converter
from .discriminator import SNPatchGANDiscriminator
from .generator import DeepFillv2Generator
from .transforms import CannySketch


@hookimpl
def toolbox_generators():
    return [DeepFillv2Generator]


@hookimpl
def toolbox_discriminators():
    return [SNPatchGANDiscriminator]


@hookimpl
def toolbox_transforms():
    return [CannySketch]


@hookimpl
def toolbox_weight_converters():
    return [MMagicDeepFillv2Converter]
