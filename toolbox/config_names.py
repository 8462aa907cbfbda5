"""Configs by name: the configs the package ships, and what a name given by a user means.

The checkout's ``configs/`` is installed as the package ``toolbox_configs`` (setup.py), so an
installed toolbox runs its own configs from any folder. A shipped config is named by its
path under ``configs/`` without ``.py``: ``deepfillv2/places_256``, ``classical/telea``,
``sa_patchgan_5s``. Config folders that third-party plugins ship (the
``toolbox_config_dirs`` hook) add their files the same way, relative to their folder.

What a user types is one of three things, tried in this order
(:func:`toolbox.zoo.resolve_model_name`; :func:`resolve_config` for the first two):

1. an existing file (``configs/classical/telea.py``, ``~/my_config.py``): that file;
2. a shipped config's name, with or without ``configs/`` in front and ``.py`` behind;
3. a model-zoo name (``big-lama``; :mod:`toolbox.zoo`): released weights and their config.

Config names and zoo names are one namespace: no zoo name may equal a config name (a test
checks), and zoo names never contain ``/``. An unknown name is an error that suggests the
closest names of both kinds.

A user's config inherits a shipped one by name, wherever the user's file is::

    _base_ = ['deepfillv2/places_256.py']     # not next to this file: the shipped one

(:func:`shipped_bases`: a ``_base_`` entry that is not a file relative to the config is
looked up among the shipped configs.)
"""
from __future__ import annotations

import contextlib
import difflib
import glob
import importlib.util
import os.path as osp
from typing import NamedTuple

__all__ = ['config_root', 'shipped_configs', 'resolve_config',
           'UnknownNameError', 'Resolved', 'shipped_bases', 'flat_name']


class UnknownNameError(FileNotFoundError):
    """A name that is neither a file, nor a shipped config, nor a model-zoo entry."""

    def __str__(self) -> str:
        return self.args[0] if self.args else ''


class Resolved(NamedTuple):
    """What a name meant: ``kind`` is ``'file'``, ``'config'`` or ``'zoo'``; ``path`` the
    config file; ``name`` the shipped config's or zoo entry's name (``None`` for a file)."""
    kind: str
    path: str
    name: str | None

    def describe(self) -> str:
        """One line for the user: which of the three the name was."""
        if self.kind == 'file':
            return f'config file {self.path}'
        if self.kind == 'config':
            return f'shipped config {self.name} ({self.path})'
        return f'model-zoo entry {self.name} (config {self.path})'


_CHECKOUT = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs')


def config_root() -> str:
    """The folder of the shipped configs: the installed package ``toolbox_configs`` (in an
    editable install, the checkout's ``configs/``)."""
    spec = importlib.util.find_spec('toolbox_configs')
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if osp.isdir(folder):
            return osp.abspath(folder)
    return _CHECKOUT            # a checkout used without installing it (PYTHONPATH)


def _config_folders() -> list[str]:
    folders = [config_root()]
    try:
        from toolbox.plugins import config_dirs, ensure_loaded
        ensure_loaded()
        folders += [d for d in config_dirs() if osp.isdir(d)]
    except Exception:  # noqa: BLE001 - a broken plugin is reported when plugins load
        pass
    return folders


def shipped_configs() -> dict[str, str]:
    """``{name: absolute path}`` of every shipped config (``_base_`` parts excluded)."""
    found: dict[str, str] = {}
    for folder in _config_folders():
        for path in sorted(glob.glob(osp.join(folder, '**', '*.py'), recursive=True)):
            rel = osp.relpath(path, folder)
            if rel.split(osp.sep)[0] == '_base_' or osp.basename(path).startswith('__'):
                continue
            found.setdefault(osp.splitext(rel)[0].replace(osp.sep, '/'), path)
    return found


def flat_name(name: str) -> str:
    """The name :func:`toolbox.apis.config.config_name` gives the config (work dirs, tables):
    ``deepfillv2/places_256`` -> ``deepfillv2_places_256``."""
    return name.replace('/', '_')


def _as_config_name(text: str) -> str:
    name = text.replace('\\', '/')
    name = name[len('configs/'):] if name.startswith('configs/') else name
    return name[:-3] if name.endswith('.py') else name


def _suggest(text: str, configs: dict, zoo: dict) -> str:
    name = _as_config_name(text)
    flat = {flat_name(n): n for n in configs}
    if name in flat:                       # the work-dir name of a config
        return f'; did you mean {flat[name]!r}?'
    close = difflib.get_close_matches(name, [*configs, *zoo], n=3, cutoff=0.6)
    close += [flat[c] for c in difflib.get_close_matches(name, list(flat), n=2, cutoff=0.75)
              if flat[c] not in close]
    return f'; did you mean {" or ".join(repr(c) for c in close[:3])}?' if close else ''


def resolve_config(text: str, other_names: dict | None = None) -> Resolved:
    """A config file or a shipped config's name; see the module.

    Raises :class:`UnknownNameError` with a did-you-mean over the config names and
    ``other_names`` (the model zoo's, from :func:`toolbox.zoo.resolve_model_name`)."""
    text = osp.expanduser(str(text))
    if osp.isfile(text):
        return Resolved('file', osp.abspath(text), None)
    configs = shipped_configs()
    name = _as_config_name(text)
    if name in configs:
        return Resolved('config', configs[name], name)
    if text.endswith('.py') or osp.isabs(text):
        what = 'config file'
    else:
        what = 'config or model-zoo name' if other_names is not None else 'config name'
    raise UnknownNameError(f'{what} {text} does not exist'
                           f'{_suggest(text, configs, other_names or {})} '
                           '(`toolbox configs` lists the shipped configs and zoo models)')


@contextlib.contextmanager
def shipped_bases():
    """While active, a ``_base_`` entry that is not a file next to the config that names it
    is looked up among the shipped configs by name (``'deepfillv2/places_256.py'``).

    mmengine resolves ``_base_`` entries relative to the file (or through its package-scope
    ``pkg::path`` syntax, which switches registries' scopes: not used here); this wraps its
    resolver for the duration of one load."""
    from mmengine.config import Config
    original = Config.__dict__['_get_cfg_path']

    def get_cfg_path(cfg_path, filename):
        path, scope = original.__func__(cfg_path, filename)
        if scope is None and not osp.isfile(path):
            name = _as_config_name(cfg_path)
            base_root = osp.join(config_root(), '_base_')
            for candidate in (osp.join(config_root(), f'{name}.py'),
                              osp.join(base_root, f'{name}.py')):
                if osp.isfile(candidate):
                    return candidate, None
        return path, scope

    Config._get_cfg_path = staticmethod(get_cfg_path)
    try:
        yield
    finally:
        Config._get_cfg_path = original
