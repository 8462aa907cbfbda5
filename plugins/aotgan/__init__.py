"""AOT-GAN (Zeng et al., "Aggregated Contextual Transformations for High-Resolution Image
Inpainting", TVCG 2022); see README.md."""
from toolbox import hookimpl

# Importing the modules registers their classes (the decorator on each).
from . import (  # noqa: F401
    convert, discriminator, generator, losses)


@hookimpl
def toolbox_methods():
    return [
        dict(
            name='AOT-GAN',
            paper=('Zeng et al., "Aggregated Contextual Transformations for High-Resolution '
                   'Image Inpainting"'),
            venue='IEEE TVCG 2022',
            official_code='researchmm/AOT-GAN-for-Inpainting',
            plugin='aotgan',
            configs='aotgan',
        ),
    ]
