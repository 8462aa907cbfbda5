"""Hook specifications: the extension points a plugin can implement.

Components (generators, losses, mask generators, models ...) are not contributed through
hooks: they register themselves with the decorator on their class,
``@GENERATORS.register_module()``, and importing the plugin's module is what registers
them. The hooks here are for what a decorator cannot say. Each is called through
``pm.hook.<name>(...)`` (see :mod:`toolbox.plugins`), and a plugin implements it with the
:data:`hookimpl` marker::

    # my_plugin/__init__.py
    from toolbox import hookimpl

    from . import generator   # its classes register themselves

    @hookimpl
    def toolbox_methods():
        return [dict(name='My Net', paper='Doe et al., "My Net"', venue='CVPR 2030',
                     official_code='doe/mynet', plugin='my_plugin', configs=None)]

A plugin implements only the hooks it needs, and hooks added later do not break it. A
function marked ``@hookimpl`` whose name matches no hook here (a misspelling such as
``toolbox_method``) is reported with a warning when plugins load.
"""
from __future__ import annotations

from typing import TypedDict

import pluggy

__all__ = ['PROJECT_NAME', 'hookspec', 'hookimpl', 'MethodInfo', 'toolbox_methods',
           'toolbox_config_dirs', 'ZooEntry', 'toolbox_model_zoo']

PROJECT_NAME = 'toolbox'

#: Marker for the hook specifications of this module.
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Marker for plugin functions implementing the hooks of this module.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


class MethodInfo(TypedDict):
    """One published method that a plugin implements (a row of the docs' method table)."""
    #: The method's usual name, e.g. ``'DeepFill v2'``.
    name: str
    #: Authors and title, e.g. ``'Yu et al., "Free-Form Image Inpainting with Gated
    #: Convolution"'``; ``None`` for a method without a paper (a baseline).
    paper: str | None
    #: Where and when it appeared, e.g. ``'ICCV 2019'``; ``None`` without a paper.
    venue: str | None
    #: The authors' code as GitHub ``owner/repo``, or ``None`` when none was released.
    official_code: str | None
    #: The plugin's entry-point name (group ``toolbox.plugins``), e.g. ``'deepfillv2'``.
    plugin: str
    #: The method's config folder under ``configs/`` (the plugin's folder name), or
    #: ``None`` when it has none.
    configs: str | None


@hookspec
def toolbox_methods() -> list[MethodInfo]:
    """The published methods this plugin implements.

    Returns a list of :class:`MethodInfo` dicts (an empty list for a plugin of shared
    pieces, such as mask recipes). :func:`toolbox.plugins.methods` collects them; the
    method table of the docs is generated from them (``python -m toolbox.docs_tables``).
    """


@hookspec
def toolbox_config_dirs() -> list[str]:
    """Folders of config files that this plugin ships inside its package.

    Returns absolute paths (``os.path.join(os.path.dirname(__file__), 'configs')``);
    :func:`toolbox.plugins.config_dirs` lists them, so that tools can find a plugin's
    configs in an installed package, where no ``configs/`` checkout exists.
    """


class ZooEntry(TypedDict):
    """Weights released for a method, as their publisher offers them (a row of the docs'
    model-zoo table; :mod:`toolbox.zoo` downloads, verifies and converts them)."""
    #: The model's name in the zoo, without ``/`` (``'big-lama'``); config names have one.
    name: str
    #: What it is, e.g. ``'Big LaMa, Places-Challenge 512²'``.
    title: str
    #: The direct download address, or ``None`` where the publisher offers none.
    url: str | None
    #: The page that links the file (used in messages when ``url`` is ``None``).
    page: str
    #: The published file's name (``url``'s last part).
    filename: str
    #: The sha256 (or the hex prefix of it) that the publisher gives, e.g. MMagic's
    #: 8 digits in the file name; ``None``: none published, trust on first use.
    sha256: str | None
    #: The file inside a zip archive that holds the weights, or ``None`` for a weights file.
    member: str | None
    #: The weights' licence as the publisher states it.
    licence: str
    #: Where they come from: project, version, file that lists them.
    source: str
    #: The converter's source format (``WEIGHT_CONVERTERS``), e.g. ``'big-lama'``.
    format: str
    #: The config the converted weights belong to, by name (``'lama/big_places_512'``).
    config: str
    #: The plugin's entry-point name.
    plugin: str


@hookspec
def toolbox_model_zoo() -> list[ZooEntry]:
    """The released weights of this plugin's methods.

    Returns a list of :class:`ZooEntry` dicts; :func:`toolbox.zoo.zoo_entries` collects them,
    ``toolbox download NAME`` fetches one, and the docs' model-zoo table is generated from
    them (``python -m toolbox.docs_tables``).
    """
