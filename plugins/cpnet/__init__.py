"""Copy-and-Paste Networks (Lee et al., "Copy-and-Paste Networks for Deep Video Inpainting",
ICCV 2019): the networks with the released forward pass, the released inference protocol,
the paper's training (absent from the official code) and the importer of the released
weights; each class registers itself where it is defined. See README.md."""
from toolbox import hookimpl

from . import convert, model  # noqa: F401  (registration)
from .convert import OfficialCPNetConverter
from .model import CPNetInpaintor
from .networks import CopyPasteNet

__all__ = ['CPNetInpaintor', 'CopyPasteNet', 'OfficialCPNetConverter']


@hookimpl
def toolbox_methods():
    return [dict(name='Copy-and-Paste Networks',
                 paper='Lee et al., "Copy-and-Paste Networks for Deep Video Inpainting"',
                 venue='ICCV 2019',
                 official_code='shleecs/Copy-and-Paste-Networks-for-Deep-Video-Inpainting',
                 plugin='cpnet',
                 configs='cpnet')]
