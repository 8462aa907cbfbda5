"""The basic plugin: hook implementations only; the components live in the modules."""
from toolbox import hookimpl

from .discriminators import PatchDiscriminator
from .generators import EncoderDecoderGenerator
from .losses import (HingeGANLoss, L1Loss, MSELoss, NonSaturatingGANLoss, RelativisticAverageGANLoss,
                     RelativisticAverageLSGANLoss)
from .masks import RandomRectangle


@hookimpl
def toolbox_generators():
    return [EncoderDecoderGenerator]


@hookimpl
def toolbox_discriminators():
    return [PatchDiscriminator]


@hookimpl
def toolbox_losses():
    return [L1Loss, MSELoss, HingeGANLoss, NonSaturatingGANLoss, RelativisticAverageGANLoss,
            RelativisticAverageLSGANLoss]


@hookimpl
def toolbox_mask_generators():
    return [RandomRectangle]
