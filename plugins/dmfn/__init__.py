"""DMFN (Hui et al., "Image Fine-grained Inpainting", arXiv:2002.02609): hook
implementations only; see README.md."""
from toolbox import hookimpl

from .discriminator import DMFNDiscriminator
from .generator import DMFNGenerator
from .losses import (DMFNFeatureMatchingLoss, GeometricalAlignmentLoss,
                     SelfGuidedRegressionLoss, VGGFeatureMatchingLoss)


@hookimpl
def toolbox_generators():
    return [DMFNGenerator]


@hookimpl
def toolbox_discriminators():
    return [DMFNDiscriminator]


@hookimpl
def toolbox_losses():
    return [SelfGuidedRegressionLoss, GeometricalAlignmentLoss, VGGFeatureMatchingLoss,
            DMFNFeatureMatchingLoss]
