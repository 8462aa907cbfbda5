"""Global&Local (Iizuka et al., "Globally and Locally Consistent Image Completion",
SIGGRAPH 2017); see README.md. The three training phases are
``GANInpaintor(phase_iters=...)``, the Poisson blending ``inpaint(..., blend='poisson')``
(both in the engine, for every GAN model)."""
from toolbox import hookimpl

from . import discriminator, generator  # noqa: F401 - importing registers the classes


@hookimpl
def toolbox_methods():
    return [
        dict(
            name='Global&Local',
            paper='Iizuka et al., "Globally and Locally Consistent Image Completion"',
            venue='SIGGRAPH 2017',
            official_code='satoshiiizuka/siggraph2017_inpainting',
            plugin='global_local',
            configs='global_local',
        ),
    ]
