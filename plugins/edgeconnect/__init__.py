"""EdgeConnect (Nazeri et al., "EdgeConnect: Generative Image Inpainting with Adversarial
Edge Learning", 2019): hook implementations only; see README.md."""
from toolbox import hookimpl

from .edges import CannyEdges
from .losses import HoleNormalizedL1Loss, StyleLoss
from .model import EdgeConnectInpaintor
from .networks import (EdgeConnectDiscriminator, EdgeConnectEdgeGenerator,
                       EdgeConnectInpaintGenerator)


@hookimpl
def toolbox_generators():
    return [EdgeConnectEdgeGenerator, EdgeConnectInpaintGenerator]


@hookimpl
def toolbox_discriminators():
    return [EdgeConnectDiscriminator]


@hookimpl
def toolbox_losses():
    return [HoleNormalizedL1Loss, StyleLoss]


@hookimpl
def toolbox_models():
    return [EdgeConnectInpaintor]


@hookimpl
def toolbox_transforms():
    return [CannyEdges]
