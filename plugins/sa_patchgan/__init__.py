"""Progressive semantic-aware PatchGAN (NTIRE 2022): hook implementations only.

The progressive inpaintor and the stage hook are engine features (toolbox.models,
toolbox.engine); the stage scheduler comes from the `progressive` plugin.
"""
from toolbox import hookimpl

from .discriminator import SAPatchGANDiscriminator


@hookimpl
def toolbox_discriminators():
    return [SAPatchGANDiscriminator]
