"""CSA (Liu et al., "Coherent Semantic Attention for Image Inpainting", ICCV 2019): the
Coherent Semantic Attention layer, the rough and refinement generators, the patch and
feature discriminators, the consistency loss, the model that trains them and the importer of official weights; each class
registers itself where it is defined. See README.md."""
from toolbox import hookimpl

from . import attention, convert, discriminator, generator, init, losses, model  # noqa: F401  (registration)
from .attention import CoherentSemanticAttention, coherent_attention, feature_hole
from .convert import OfficialCSAConverter
from .discriminator import CSADiscriminator, CSAFeatureDiscriminator, CSAPatchDiscriminator
from .generator import CSAGenerator, CSARefinementNet, CSARoughNet
from .losses import CSAConsistencyLoss
from .model import CSAInpaintor

__all__ = ['CoherentSemanticAttention', 'coherent_attention', 'feature_hole', 'CSAGenerator',
           'CSARoughNet', 'CSARefinementNet', 'CSADiscriminator', 'CSAPatchDiscriminator',
           'CSAFeatureDiscriminator', 'CSAConsistencyLoss', 'CSAInpaintor',
           'OfficialCSAConverter']


@hookimpl
def toolbox_methods():
    return [dict(name='CSA',
                 paper='Liu et al., "Coherent Semantic Attention for Image Inpainting"',
                 venue='ICCV 2019',
                 official_code='KumapowerLIU/CSA-inpainting',
                 plugin='csa',
                 configs='csa')]
