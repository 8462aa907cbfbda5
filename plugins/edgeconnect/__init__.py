"""EdgeConnect (Nazeri et al., "EdgeConnect: Generative Image Inpainting with Adversarial
Edge Learning", 2019); see README.md."""
from toolbox import hookimpl

from . import edges, losses, model, networks  # noqa: F401 - importing registers the classes


@hookimpl
def toolbox_methods():
    return [
        dict(
            name='EdgeConnect',
            paper=('Nazeri et al., "EdgeConnect: Generative Image Inpainting with Adversarial '
                   'Edge Learning"'),
            venue='ICCV Workshops 2019',
            official_code='knazeri/edge-connect',
            plugin='edgeconnect',
            configs='edgeconnect',
        ),
    ]
