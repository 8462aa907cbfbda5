"""Video models without weights: flow-guided propagation and frame-by-frame image models.

Importing the modules registers the models (``MODELS``); see README.md.
"""
from . import models  # noqa: F401 - importing registers the classes
