"""StructureFlow (Ren et al., "StructureFlow: Image Inpainting via Structure-aware Appearance
Flow", ICCV 2019): the structure reconstructor, the texture generator with appearance flow
and Gaussian sampling, the two-scale discriminators, the losses, RTV smoothing and the
staged model; each class registers itself where it is defined. See README.md."""
from toolbox import hookimpl

from . import discriminator, generator, losses, model  # noqa: F401  (registration)
from .discriminator import StructureFlowDiscriminator, TwoScaleDiscriminator
from .generator import StructureFlowGenerator, StructureReconstructor, TextureGenerator
from .losses import SamplingCorrectnessLoss, StructureFlowPerceptualLoss, StructureFlowStyleLoss
from .model import StructureFlowInpaintor
from .rtv import rtv_smooth
from .sampler import GaussianSampler, gaussian_sample

__all__ = ['StructureReconstructor', 'TextureGenerator', 'StructureFlowGenerator',
           'TwoScaleDiscriminator', 'StructureFlowDiscriminator', 'SamplingCorrectnessLoss',
           'StructureFlowPerceptualLoss', 'StructureFlowStyleLoss', 'StructureFlowInpaintor',
           'rtv_smooth', 'GaussianSampler', 'gaussian_sample']


@hookimpl
def toolbox_methods():
    return [dict(name='StructureFlow',
                 paper='Ren et al., "StructureFlow: Image Inpainting via Structure-aware '
                       'Appearance Flow"',
                 venue='ICCV 2019',
                 official_code='RenYurui/StructureFlow',
                 plugin='structureflow',
                 configs='structureflow')]
