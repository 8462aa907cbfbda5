"""Partial Convolutions (Liu et al., "Image Inpainting for Irregular Holes Using Partial
Convolutions", ECCV 2018); see README.md."""
from toolbox import hookimpl

from . import generator, losses, masks  # noqa: F401 - importing registers the classes


@hookimpl
def toolbox_methods():
    return [
        dict(
            name='Partial Convolutions',
            paper='Liu et al., "Image Inpainting for Irregular Holes Using Partial Convolutions"',
            venue='ECCV 2018',
            official_code='NVIDIA/partialconv',
            plugin='pconv',
            configs='pconv',
        ),
    ]
