"""DFNet (Hong et al., "Deep Fusion Network for Image Completion", ACM MM 2019); see
README.md."""
from toolbox import hookimpl

from . import generator, losses  # noqa: F401 - importing registers the classes


@hookimpl
def toolbox_methods():
    return [
        dict(
            name='DFNet',
            paper='Hong et al., "Deep Fusion Network for Image Completion"',
            venue='ACM MM 2019',
            official_code='hughplay/DFNet',
            plugin='dfnet',
            configs='dfnet',
        ),
    ]
