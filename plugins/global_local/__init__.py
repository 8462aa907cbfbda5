"""Global&Local (Iizuka et al., "Globally and Locally Consistent Image Completion",
SIGGRAPH 2017): hook implementations only; see README.md. The three training phases are
``GANInpaintor(phase_iters=...)``, the Poisson blending ``inpaint(..., blend='poisson')``
(both in the engine, for every GAN model)."""
from toolbox import hookimpl

from .discriminator import GlobalLocalDiscriminator
from .generator import GlobalLocalGenerator


@hookimpl
def toolbox_generators():
    return [GlobalLocalGenerator]


@hookimpl
def toolbox_discriminators():
    return [GlobalLocalDiscriminator]
