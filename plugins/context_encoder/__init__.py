"""Context Encoders (Pathak et al., "Context Encoders: Feature Learning by Inpainting",
CVPR 2016): hook implementations only; see README.md."""
from toolbox import hookimpl

from .discriminator import ContextEncoderDiscriminator
from .generator import ContextEncoderGenerator
from .losses import OverlapL2Loss


@hookimpl
def toolbox_generators():
    return [ContextEncoderGenerator]


@hookimpl
def toolbox_discriminators():
    return [ContextEncoderDiscriminator]


@hookimpl
def toolbox_losses():
    return [OverlapL2Loss]
