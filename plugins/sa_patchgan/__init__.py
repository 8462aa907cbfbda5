"""Progressive semantic-aware PatchGAN (Cai et al., "Image Multi-Inpainting via Progressive
Generative Adversarial Networks", NTIRE 2022); see README.md.

The progressive inpaintor and the stage hook are engine features (toolbox.models,
toolbox.engine); the stage scheduler comes from the `progressive` plugin."""
from toolbox import hookimpl

from . import discriminator  # noqa: F401 - importing registers the classes


@hookimpl
def toolbox_methods():
    return [
        dict(
            name='SA-PatchGAN (progressive)',
            paper=('Cai et al., "Image Multi-Inpainting via Progressive Generative Adversarial '
                   'Networks"'),
            venue='CVPR Workshops (NTIRE) 2022',
            official_code=None,
            plugin='sa_patchgan',
            configs='sa_patchgan',
        ),
    ]
