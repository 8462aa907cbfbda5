"""DeepFill v1 (Yu et al., "Generative Image Inpainting with Contextual Attention", CVPR
2018); see README.md."""
from toolbox import hookimpl

from . import discriminator, generator, losses  # noqa: F401 - importing registers the classes


@hookimpl
def toolbox_methods():
    return [
        dict(
            name='DeepFill v1',
            paper='Yu et al., "Generative Image Inpainting with Contextual Attention"',
            venue='CVPR 2018',
            official_code='JiahuiYu/generative_inpainting',
            plugin='deepfillv1',
            configs='deepfillv1',
        ),
    ]
