"""DeepFill v1 (Yu et al., "Generative Image Inpainting with Contextual Attention", CVPR
2018): hook implementations only; see README.md."""
from toolbox import hookimpl

from .discriminator import DeepFillv1Critic
from .generator import DeepFillv1Generator
from .losses import SpatiallyDiscountedL1Loss, WGANGPLoss


@hookimpl
def toolbox_generators():
    return [DeepFillv1Generator]


@hookimpl
def toolbox_discriminators():
    return [DeepFillv1Critic]


@hookimpl
def toolbox_losses():
    return [WGANGPLoss, SpatiallyDiscountedL1Loss]
