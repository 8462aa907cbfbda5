"""Video mask generators: masks with a time axis, ``gen((T, H, W), rng) -> uint8 (T, H, W)``.

Importing the modules registers the generators (``MASK_GENERATORS``); see README.md.
"""
from toolbox import hookimpl

from . import folder, moving_strokes, static  # noqa: F401 - importing registers the classes


@hookimpl
def toolbox_methods():
    return []      # mask recipes serve every video method; no method of its own
