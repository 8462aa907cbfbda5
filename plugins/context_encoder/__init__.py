"""Context Encoders (Pathak et al., "Context Encoders: Feature Learning by Inpainting",
CVPR 2016); see README.md."""
from toolbox import hookimpl

from . import discriminator, generator, losses  # noqa: F401 - importing registers the classes


@hookimpl
def toolbox_methods():
    return [
        dict(
            name='Context Encoders',
            paper='Pathak et al., "Context Encoders: Feature Learning by Inpainting"',
            venue='CVPR 2016',
            official_code='pathak22/context-encoder',
            plugin='context_encoder',
            configs='context_encoder',
        ),
    ]
