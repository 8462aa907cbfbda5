"""DeepFill v2 (Yu et al., "Free-Form Image Inpainting with Gated Convolution", ICCV 2019);
see README.md."""
from toolbox import hookimpl

# Importing the modules registers their classes (the decorator on each).
from . import (  # noqa: F401
    convert, discriminator, generator, transforms)


@hookimpl
def toolbox_methods():
    return [
        dict(
            name='DeepFill v2',
            paper='Yu et al., "Free-Form Image Inpainting with Gated Convolution"',
            venue='ICCV 2019',
            official_code='JiahuiYu/generative_inpainting',
            plugin='deepfillv2',
            configs='deepfillv2',
        ),
    ]
