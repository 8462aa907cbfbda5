"""AOT-GAN (Zeng et al., "Aggregated Contextual Transformations for High-Resolution Image
Inpainting", TVCG 2022): hook implementations only; see README.md."""
from toolbox import hookimpl

from .convert import MMagicAOTGANConverter
from .discriminator import AOTGANDiscriminator
from .generator import AOTGANGenerator
from .losses import SoftMaskGANLoss


@hookimpl
def toolbox_generators():
    return [AOTGANGenerator]


@hookimpl
def toolbox_discriminators():
    return [AOTGANDiscriminator]


@hookimpl
def toolbox_losses():
    return [SoftMaskGANLoss]


@hookimpl
def toolbox_weight_converters():
    return [MMagicAOTGANConverter]
