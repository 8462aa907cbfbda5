"""The basic plugin: small, paper-free components; see README.md."""
from toolbox import hookimpl

# Importing the modules registers their classes (the decorator on each).
from . import (  # noqa: F401
    discriminators, generators, losses, masks)


@hookimpl
def toolbox_methods():
    return [
        dict(
            name='Encoder-decoder baseline',
            paper=None,
            venue=None,
            official_code=None,
            plugin='basic',
            configs='basic',
        ),
    ]
