"""PRVS (Li et al., "Progressive Reconstruction of Visual Structure for Image Inpainting",
ICCV 2019): the generator with its VSR layers, the edge discriminator, the losses, the
training step and the importer of the official weights; each class registers itself where
it is defined. See README.md."""
from toolbox import hookimpl

from . import convert, discriminator, generator, losses, model  # noqa: F401  (registration)
from .convert import OfficialPRVSConverter
from .discriminator import PRVSEdgeDiscriminator
from .generator import PRVSGenerator
from .losses import PRVSEdgeGANLoss, PRVSImageLoss
from .model import PRVSInpaintor

__all__ = ['PRVSGenerator', 'PRVSEdgeDiscriminator', 'PRVSImageLoss', 'PRVSEdgeGANLoss',
           'PRVSInpaintor', 'OfficialPRVSConverter']


@hookimpl
def toolbox_methods():
    return [dict(name='PRVS',
                 paper='Li et al., "Progressive Reconstruction of Visual Structure for Image '
                       'Inpainting"',
                 venue='ICCV 2019',
                 official_code='jingyuanli001/PRVS-Image-Inpainting',
                 plugin='prvs',
                 configs='prvs')]
