"""Building components from config dicts, with errors that point at the config.

mmengine's own messages for a misspelled ``type`` or a wrong keyword end a long traceback
with a generic text. Here every build knows its *config path* (``model.generator``,
``model.losses[1]``) through :func:`build_component`, and failures say which kind, which
path, and what was probably meant.
"""
from __future__ import annotations

import contextlib
import contextvars
import difflib
import inspect
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from mmengine.registry import build_from_cfg

__all__ = ['UnknownComponentError', 'ConfigKeywordError', 'build_component', 'config_path',
           'build_checked', 'checked_build_func', 'check_component']

_PATH: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar('toolbox_cfg_path',
                                                                        default=())


@contextlib.contextmanager
def config_path(*parts: str) -> Iterator[None]:
    """Extend the config path reported by errors raised inside the block."""
    token = _PATH.set(_PATH.get() + tuple(str(p) for p in parts))
    try:
        yield
    finally:
        _PATH.reset(token)


def current_path() -> str:
    parts = _PATH.get()
    out = ''
    for p in parts:
        out += p if p.startswith('[') or not out else '.' + p
    return out


class UnknownComponentError(KeyError):
    """A ``type=`` that no registry entry of this kind has.

    ``registries`` are all the registries to search for the name under another kind (the
    caller's, already loaded: this module imports no registry, so that they may import it).
    """

    def __init__(self, registry, name: str, registries: Iterable = ()) -> None:
        self.registry = registry
        self.name = name
        self.path = current_path()
        known = sorted(registry._module_dict)
        parent = registry.parent
        if parent is not None:  # mmengine's own classes are valid names too
            known = sorted(set(known) | set(parent._module_dict))
        self.suggestions = difflib.get_close_matches(str(name), known, n=3, cutoff=0.6)
        self.other_kinds = [reg.kind for reg in registries
                            if reg is not registry and name in reg._module_dict]
        msg = f'no {registry.kind} named {name!r} is registered'
        if self.path:
            msg += f' (config path: {self.path})'
        if self.suggestions:
            msg += '; did you mean ' + ' or '.join(repr(s) for s in self.suggestions) + '?'
        if self.other_kinds:
            msg += (f'; note: {name!r} is registered as a {" and a ".join(self.other_kinds)}, '
                    f'not as a {registry.kind}')
        if not self.suggestions and not self.other_kinds:
            msg += '; run `toolbox list` to see every registered component'
        super().__init__(msg)
        self.message = msg

    def __str__(self) -> str:  # KeyError would repr-quote the message
        return self.message


class ConfigKeywordError(TypeError):
    """A config key that the component's constructor does not take."""


def _check_keywords(cls: type, kwargs: Mapping[str, Any], kind: str) -> None:
    try:
        sig = inspect.signature(cls)
    except (TypeError, ValueError):  # builtins / C classes: let the call decide
        return
    params = sig.parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    accepted = [n for n, p in params.items()
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    unknown = [k for k in kwargs if k not in accepted]
    missing = [n for n, p in params.items()
               if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
               and n not in kwargs]
    if not unknown and not missing:
        return
    where = current_path()
    where = f' at config path {where}' if where else ''
    parts = []
    for k in unknown:
        close = difflib.get_close_matches(k, accepted, n=1, cutoff=0.6)
        hint = f' (did you mean {close[0]!r}?)' if close else ''
        parts.append(f'unexpected key {k!r}{hint}')
    if missing:
        parts.append('missing required key(s) ' + ', '.join(repr(m) for m in missing))
    raise ConfigKeywordError(
        f'{kind} {cls.__name__!r}{where}: ' + '; '.join(parts)
        + f'. It accepts: {", ".join(accepted) or "no arguments"}.')


def _precheck(cfg, registry, default_args) -> None:
    if not isinstance(cfg, Mapping):
        return
    obj_type = cfg.get('type', default_args.get('type') if default_args else None)
    if not isinstance(obj_type, str):
        return
    cls = registry.get(obj_type)  # ToolboxRegistry.get raises UnknownComponentError
    if not inspect.isclass(cls):
        return
    kwargs = {k: v for k, v in cfg.items() if k not in ('type', '_scope_')}
    for k, v in (default_args or {}).items():
        kwargs.setdefault(k, v)
    kwargs.pop('type', None)
    _check_keywords(cls, kwargs, registry.kind)


def build_checked(cfg, registry, default_args=None):
    """Build function of the component-kind registries: mmengine's, plus clear errors."""
    _precheck(cfg, registry, default_args)
    return build_from_cfg(cfg, registry, default_args)


def checked_build_func(inner):
    """Wrap an mmengine build function (e.g. ``build_model_from_cfg``) with the checks."""
    def build(cfg, *args, registry, default_args=None, **kwargs):
        _precheck(cfg, registry, default_args)
        return inner(cfg, *args, registry=registry, default_args=default_args, **kwargs)
    return build


def build_component(registry, cfg, *path: str, **default_args):
    """Build ``cfg`` from ``registry``, reporting errors under the config path ``path``.

    This is what a parent component calls for its children, e.g.
    ``build_component(GENERATORS, generator, 'generator')`` inside the inpaintor; an
    already-built object is returned as is, so users may also pass instances.
    """
    if cfg is None or not isinstance(cfg, Mapping):
        return cfg
    with config_path(*path):
        return registry.build(cfg, default_args=default_args or None)


def check_component(registry, cfg, *path: str, **default_args) -> None:
    """The checks of :func:`build_component` without building: an unknown ``type`` or a
    wrong keyword raises, naming the config path. For configs that mmengine's Runner
    builds itself through its root registries (datasets, optimizers), which bypass them."""
    with config_path(*path):
        _precheck(cfg, registry, default_args or None)
