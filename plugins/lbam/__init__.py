"""LBAM (Xie et al., "Image Inpainting with Learnable Bidirectional Attention Maps",
ICCV 2019): the generator, the two-column discriminator, the losses and the importer of
the official weights; each class registers itself where it is defined. See README.md."""
from toolbox import hookimpl

from . import convert, discriminator, generator, losses  # noqa: F401  (registration)
from .convert import OfficialLBAMConverter
from .discriminator import LBAMDiscriminator
from .generator import LBAMGenerator
from .losses import LBAMPerceptualLoss, LBAMStyleLoss, LBAMWGANLoss

__all__ = ['LBAMGenerator', 'LBAMDiscriminator', 'LBAMPerceptualLoss', 'LBAMStyleLoss',
           'LBAMWGANLoss', 'OfficialLBAMConverter']


@hookimpl
def toolbox_methods():
    return [dict(name='LBAM',
                 paper='Xie et al., "Image Inpainting with Learnable Bidirectional Attention Maps"',
                 venue='ICCV 2019',
                 official_code='Vious/LBAM_Pytorch',
                 plugin='lbam',
                 configs='lbam')]
