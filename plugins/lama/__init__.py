"""LaMa (Suvorov et al., "Resolution-robust Large Mask Inpainting with Fourier
Convolutions", WACV 2022); see README.md."""
from toolbox import hookimpl

# Importing the modules registers their classes (the decorator on each).
from . import (  # noqa: F401
    convert, discriminator, generator, losses)


@hookimpl
def toolbox_methods():
    return [
        dict(
            name='LaMa',
            paper=('Suvorov et al., "Resolution-robust Large Mask Inpainting with Fourier '
                   'Convolutions"'),
            venue='WACV 2022',
            official_code='advimman/lama',
            plugin='lama',
            configs='lama',
        ),
    ]
