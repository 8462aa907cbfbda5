"""RePaint (Lugmayr et al., "RePaint: Inpainting using Denoising Diffusion Probabilistic
Models", CVPR 2022); see README.md."""
from toolbox import hookimpl

from . import model, sampler, schedule, unet  # noqa: F401 - importing registers the classes


@hookimpl
def toolbox_methods():
    return [
        dict(
            name='RePaint',
            paper=('Lugmayr et al., "RePaint: Inpainting using Denoising Diffusion Probabilistic '
                   'Models"'),
            venue='CVPR 2022',
            official_code='andreas128/RePaint',
            plugin='repaint',
            configs='repaint',
        ),
    ]
