"""Pluralistic (Zheng et al., "Pluralistic Image Completion", CVPR 2019): the two-path
VAE-GAN (generator, posterior, two discriminators), its losses, the model that samples
several completions for one input, and the importer of the official weights; each class
registers itself where it is defined. See README.md."""
from toolbox import hookimpl

from . import convert, losses, model, networks  # noqa: F401  (registration)
from .convert import OfficialPluralisticConverter
from .losses import PluralisticLSGANLoss
from .model import PluralisticInpaintor
from .networks import PluralisticDiscriminator, PluralisticGenerator, PluralisticPosterior

__all__ = ['PluralisticGenerator', 'PluralisticPosterior', 'PluralisticDiscriminator',
           'PluralisticLSGANLoss', 'PluralisticInpaintor', 'OfficialPluralisticConverter']


@hookimpl
def toolbox_methods():
    return [dict(name='Pluralistic',
                 paper='Zheng et al., "Pluralistic Image Completion"',
                 venue='CVPR 2019',
                 official_code='lyndonzheng/Pluralistic-Inpainting',
                 plugin='pluralistic',
                 configs='pluralistic')]
