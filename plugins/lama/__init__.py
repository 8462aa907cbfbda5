"""LaMa (Suvorov et al., WACV 2022): hook implementations only; see README.md."""
from toolbox import hookimpl

from .convert import BigLaMaConverter, LaMaFourierConverter
from .discriminator import NLayerDiscriminator
from .generator import FFCResNetGenerator
from .losses import DiscriminatorFeatureMatchingLoss, HRFPerceptualLoss, NonSaturatingR1Loss


@hookimpl
def toolbox_generators():
    return [FFCResNetGenerator]


@hookimpl
def toolbox_discriminators():
    return [NLayerDiscriminator]


@hookimpl
def toolbox_losses():
    return [NonSaturatingR1Loss, DiscriminatorFeatureMatchingLoss, HRFPerceptualLoss]


@hookimpl
def toolbox_weight_converters():
    return [BigLaMaConverter, LaMaFourierConverter]
