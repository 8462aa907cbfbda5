"""The masks plugin: mask recipes shared by every method; see README.md."""
from toolbox import hookimpl

# Importing the modules registers their classes (the decorator on each).
from . import (  # noqa: F401
    blocks, boxes, brush, files, interpolation, mixture, outpainting, strokes,
    transforms)


@hookimpl
def toolbox_methods():
    return []   # no method of its own: pieces that other methods' configs use
