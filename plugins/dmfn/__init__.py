"""DMFN (Hui et al., "Image Fine-grained Inpainting", arXiv:2002.02609); see README.md."""
from toolbox import hookimpl

from . import discriminator, generator, losses  # noqa: F401 - importing registers the classes


@hookimpl
def toolbox_methods():
    return [
        dict(
            name='DMFN',
            paper='Hui et al., "Image Fine-grained Inpainting"',
            venue='arXiv 2020',
            official_code='Zheng222/DMFN',
            plugin='dmfn',
            configs='dmfn',
        ),
    ]
