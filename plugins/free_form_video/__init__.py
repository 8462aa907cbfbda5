"""Free-form video inpainting (Chang et al., "Free-form Video Inpainting with 3D Gated
Convolution and Temporal PatchGAN", ICCV 2019): the 3D gated-convolution generator, the
Temporal PatchGAN discriminator, their losses, the video GAN model and the importer of the
official weights; each class registers itself where it is defined. See README.md."""
from toolbox import hookimpl

from . import convert, discriminator, generator, losses, model  # noqa: F401  (registration)
from .convert import OfficialFreeFormVideoConverter
from .discriminator import TemporalPatchGANDiscriminator
from .generator import Gated3DGenerator
from .losses import TemporalPatchGANLoss, VideoPerceptualLoss, VideoStyleLoss
from .model import VideoGANInpaintor

__all__ = ['Gated3DGenerator', 'TemporalPatchGANDiscriminator', 'VideoPerceptualLoss',
           'VideoStyleLoss', 'TemporalPatchGANLoss', 'VideoGANInpaintor',
           'OfficialFreeFormVideoConverter']


@hookimpl
def toolbox_methods():
    return [dict(name='Free-form video inpainting (3D gated convolution + T-PatchGAN)',
                 paper='Chang et al., "Free-form Video Inpainting with 3D Gated Convolution '
                       'and Temporal PatchGAN"',
                 venue='ICCV 2019',
                 official_code='amjltc295/Free-Form-Video-Inpainting',
                 plugin='free_form_video',
                 configs='free_form_video')]
