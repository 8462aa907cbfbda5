"""Internal learning for video inpainting (Zhang et al., ICCV 2019): a generator optimised on
each clip itself, from fixed noise to its frames and optical flows; nothing is trained in
advance. Importing the modules registers the model (``MODELS``); see README.md.
"""
from toolbox import hookimpl

from . import models  # noqa: F401 - importing registers the classes


@hookimpl
def toolbox_methods():
    return [dict(name='Internal learning (DIP-Vid-Flow)',
                 paper='Zhang et al., "An Internal Learning Approach to Video Inpainting"',
                 venue='ICCV 2019',
                 official_code='Haotianz94/IL_video_inpainting',
                 plugin='internal_learning',
                 configs='internal_learning')]
