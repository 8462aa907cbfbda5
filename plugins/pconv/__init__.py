"""Partial Convolutions (Liu et al., "Image Inpainting for Irregular Holes Using Partial
Convolutions", ECCV 2018): hook implementations only; see README.md."""
from toolbox import hookimpl

from .generator import PConvUNet
from .losses import DilatedHoleTVLoss, PConvPerceptualLoss, PConvStyleLoss
from .masks import BinnedIrregularMask


@hookimpl
def toolbox_generators():
    return [PConvUNet]


@hookimpl
def toolbox_losses():
    return [PConvPerceptualLoss, PConvStyleLoss, DilatedHoleTVLoss]


@hookimpl
def toolbox_mask_generators():
    return [BinnedIrregularMask]
