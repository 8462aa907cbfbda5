"""Video models without weights: flow-guided propagation and frame-by-frame image models.

Importing the modules registers the models (``MODELS``); see README.md.
"""
from toolbox import hookimpl

from . import models  # noqa: F401 - importing registers the classes


@hookimpl
def toolbox_methods():
    return [dict(name='Flow-guided propagation (video baseline)',
                 paper=None,
                 venue=None,
                 official_code=None,
                 plugin='video_classical',
                 configs='video_classical')]
