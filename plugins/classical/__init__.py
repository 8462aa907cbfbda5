"""Classical (training-free) inpainting baselines; see README.md."""
from toolbox import hookimpl

from . import generators  # noqa: F401 - importing registers the classes


@hookimpl
def toolbox_methods():
    return [
        dict(
            name='Telea',
            paper='Telea, "An Image Inpainting Technique Based on the Fast Marching Method"',
            venue='Journal of Graphics Tools 2004',
            official_code=None,
            plugin='classical',
            configs='classical',
        ),
        dict(
            name='Navier-Stokes',
            paper=('Bertalmio et al., "Navier-Stokes, Fluid Dynamics, and Image and Video '
                   'Inpainting"'),
            venue='CVPR 2001',
            official_code=None,
            plugin='classical',
            configs='classical',
        ),
    ]
