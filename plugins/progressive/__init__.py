"""Stage schedulers of progressive training, shared by progressive methods; see
README.md."""
from toolbox import hookimpl

from . import stage_scheduler  # noqa: F401 - importing registers the classes


@hookimpl
def toolbox_methods():
    return []   # no method of its own: pieces that other methods' configs use
