"""Finding plugins through entry points, and recording what each one registered.

A plugin is a module named by an entry point in the group ``toolbox.plugins``. Importing
it registers its components: each class carries the registry decorator on its definition
(``@GENERATORS.register_module()``), as the engine's do. The loader imports the plugins
one at a time, compares the registries before and after each import to record which
plugin added which names (``toolbox list`` shows it), and registers the module with the
pluggy plugin manager for the real extension points of :mod:`toolbox.hookspecs`.

Plugins load **once, lazily**: the first lookup in any toolbox registry calls
:func:`ensure_loaded` (installed by :func:`toolbox.registry.on_first_lookup`), which first
imports the engine's own modules and then every plugin. Call :func:`load_plugins` to load
eagerly.

Environment variables (modelled on pytest's):

``TOOLBOX_DISABLE_PLUGIN_AUTOLOAD=1``
    do not load entry-point plugins (the engine's own components still register);
``TOOLBOX_PLUGINS=mod1,mod2``
    modules to load as plugins anyway, e.g. with autoloading off;
``TOOLBOX_BLOCK_PLUGINS=name1,name2``
    entry-point names never to load (the command line has no ``-p no:`` here).

Each plugin is isolated: one that fails to import, registers something that is not a
class of its registry's kind, or has an invalid hook implementation costs one
:class:`PluginWarning` naming the entry point, the distribution and the cause; what it had
registered before failing is removed again, and the other plugins load. Two plugins
registering one name is a :class:`PluginConflictError` naming both.
"""
from __future__ import annotations

import difflib
import importlib
import importlib.metadata as md
import inspect
import os
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import pluggy

from toolbox import bases, hookspecs
from toolbox.kinds import KINDS
from toolbox.registry import (ALL_REGISTRIES, KIND_REGISTRIES, DuplicateNameError,
                              on_first_lookup)

__all__ = ['PluginInfo', 'PluginWarning', 'PluginConflictError', 'ENTRY_POINT_GROUP',
           'ensure_loaded', 'load_plugins', 'load_plugin', 'component_origin',
           'plugin_manager', 'loaded_plugins', 'blocked_plugins', 'methods', 'config_dirs']

ENTRY_POINT_GROUP = 'toolbox.plugins'


@dataclass(frozen=True)
class PluginInfo:
    """Where a registered component came from."""
    name: str            # entry-point name, or 'toolbox' for the engine itself
    distribution: str    # distribution (pip package) that declares the entry point
    version: str
    module: str          # the module the entry point names

    def __str__(self) -> str:
        return f'{self.name} ({self.distribution} {self.version})'


class PluginWarning(UserWarning):
    """A plugin could not be (fully) loaded; the others were."""


class PluginConflictError(RuntimeError):
    """Two plugins registered the same name in one registry."""


_lock = threading.RLock()
_loaded = False
_loading = False
_pm: pluggy.PluginManager | None = None
#: (registry key, component name) -> the plugin that registered it
_origins: dict[tuple[str, str], PluginInfo] = {}
#: entry-point name -> PluginInfo, for every plugin loaded
_plugins: dict[str, PluginInfo] = {}
#: module prefix -> the plugin it belongs to: whose class it is when one plugin's import
#: pulls in another plugin's module (the engine is the prefix 'toolbox')
_owners: dict[str, PluginInfo] = {}

_Snapshot = dict[str, dict[str, object]]


def _engine_info() -> PluginInfo:
    try:
        version = md.version('inpainting-toolbox')
    except md.PackageNotFoundError:
        version = 'unknown'
    return PluginInfo('toolbox', 'inpainting-toolbox', version, 'toolbox')


def _env_list(name: str) -> list[str]:
    return [s.strip() for s in os.environ.get(name, '').split(',') if s.strip()]


def blocked_plugins() -> set[str]:
    return set(_env_list('TOOLBOX_BLOCK_PLUGINS'))


def plugin_manager() -> pluggy.PluginManager:
    """The pluggy manager holding every loaded plugin (loads them if needed)."""
    ensure_loaded()
    assert _pm is not None
    return _pm


def loaded_plugins() -> dict[str, PluginInfo]:
    """Every plugin loaded, by entry-point name (loads them if needed)."""
    ensure_loaded()
    return dict(_plugins)


def component_origin(registry_key: str, name: str) -> PluginInfo | None:
    """The plugin that registered ``name`` in ``ALL_REGISTRIES[registry_key]``."""
    ensure_loaded()
    return _origins.get((registry_key, name))


def ensure_loaded() -> None:
    """Load the engine's components and the plugins, once. A lookup from another thread
    while they load waits for them; one from the loading thread (a plugin's import looking
    something up) sees what is registered so far."""
    if _loaded:
        return
    load_plugins()


on_first_lookup(ensure_loaded)


def load_plugins() -> pluggy.PluginManager:
    """Import the engine's components and load every plugin; idempotent."""
    global _loaded, _loading, _pm
    with _lock:
        if _loaded or _loading:
            return _pm
        _loading = True
        try:
            if _pm is None:
                _pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
                _pm.add_hookspecs(hookspecs)
            _import_engine()
            if os.environ.get('TOOLBOX_DISABLE_PLUGIN_AUTOLOAD', '') in ('', '0'):
                entry_points = sorted(md.entry_points(group=ENTRY_POINT_GROUP),
                                      key=lambda e: e.name)
                infos = [(ep, _entry_point_info(ep)) for ep in entry_points]
                for ep, info in infos:
                    _owners.setdefault(ep.module, info)
                blocked = blocked_plugins()
                for ep, info in infos:
                    if ep.name not in blocked and not _pm.has_plugin(ep.name):
                        _load(info, ep.load)
            for modname in _env_list('TOOLBOX_PLUGINS'):
                if not _pm.has_plugin(modname):
                    info = PluginInfo(modname, 'TOOLBOX_PLUGINS', '-', modname)
                    _owners.setdefault(modname, info)
                    _load(info, lambda m=modname: importlib.import_module(m))
            _tag_earlier_entries()
            _loaded = True
        finally:
            _loading = False
        return _pm


def load_plugin(module: str, info: PluginInfo | None = None) -> object | None:
    """Import ``module`` as a plugin, as ``TOOLBOX_PLUGINS=module`` does, after the
    installed ones: its components are registered and tagged with ``info`` (by default,
    the module's name). Returns the module, or ``None`` when it failed (with a
    :class:`PluginWarning`). For applications and tests with a plugin that is not
    installed."""
    load_plugins()
    info = info or PluginInfo(module, 'TOOLBOX_PLUGINS', '-', module)
    with _lock:
        _owners.setdefault(module, info)
        loaded = _load(info, lambda: importlib.import_module(module))
        _tag_earlier_entries()
        return loaded


def _entry_point_info(ep: md.EntryPoint) -> PluginInfo:
    dist = getattr(ep, 'dist', None)
    return PluginInfo(ep.name, dist.metadata['Name'] if dist else 'unknown',
                      dist.version if dist else 'unknown', ep.value)


def _import_engine() -> None:
    """Import the engine's modules, whose classes register themselves, before any plugin:
    a plugin that takes one of their names is then reported like any other clash."""
    engine = _engine_info()
    _owners.setdefault('toolbox', engine)
    before = _snapshot()
    import toolbox.engine.runner  # noqa: F401 - RUNNERS
    from toolbox import datasets, engine as _engine, evaluation, models  # noqa: F401
    for (key, name), obj in _added(before).items():
        _origins[(key, name)] = _owner(obj, engine)


def _tag_earlier_entries() -> None:
    """Provenance of entries registered before loading began, by the package of their
    class: a script or test may import a plugin's module (or an engine module) before the
    first lookup, and then that plugin's import adds nothing new."""
    for key, registry in ALL_REGISTRIES.items():
        for name, obj in registry._module_dict.items():
            if (key, name) not in _origins:
                owner = _owner(obj, None)
                if owner is not None:
                    _origins[(key, name)] = owner


def _snapshot() -> _Snapshot:
    return {key: dict(reg._module_dict) for key, reg in ALL_REGISTRIES.items()}


def _added(before: _Snapshot) -> dict[tuple[str, str], object]:
    """Entries that are new, or hold another object, since ``before``."""
    return {(key, name): obj for key, reg in ALL_REGISTRIES.items()
            for name, obj in reg._module_dict.items() if before[key].get(name) is not obj}


def _restore(before: _Snapshot, keep: Callable[[object], bool] = lambda obj: False) -> None:
    """Undo the registrations since ``before``, except those ``keep`` accepts."""
    for (key, name), obj in _added(before).items():
        if keep(obj):
            continue
        registry = ALL_REGISTRIES[key]
        if name in before[key]:
            registry._module_dict[name] = before[key][name]
        else:
            del registry._module_dict[name]


def _module_of(obj: object) -> str:
    return getattr(obj, '__module__', None) or ''


def _owner(obj: object, default: PluginInfo | None) -> PluginInfo | None:
    """The plugin whose package defines ``obj``: usually the one being imported, but an
    import may pull in another plugin's (or the engine's) module first."""
    module = _module_of(obj)
    best = max((prefix for prefix in _owners
                if module == prefix or module.startswith(prefix + '.')), key=len, default=None)
    return _owners[best] if best is not None else default


def _load(info: PluginInfo, importer: Callable[[], object]) -> object | None:
    """Import one plugin, record what it registered, register it with pluggy."""
    assert _pm is not None
    before = _snapshot()
    # What belongs to another plugin or to the engine stays registered when this one fails.
    others = lambda obj: _owner(obj, info) != info  # noqa: E731
    try:
        module = importer()
    except DuplicateNameError as exc:
        _restore(before, keep=others)
        raise PluginConflictError(_conflict(exc.registry, exc.name, exc.existing, exc.new,
                                            info)) from exc
    except Exception as exc:  # noqa: BLE001 - one broken plugin must not stop the rest
        _restore(before, keep=others)
        _warn(info, f'failed to import: {type(exc).__name__}: {exc}')
        return None
    added = _added(before)
    for (key, name), obj in added.items():
        if name in before[key]:   # replaced with force=True: a clash all the same
            _restore(before, keep=others)
            raise PluginConflictError(_conflict(ALL_REGISTRIES[key], name,
                                                before[key][name], obj, info))
    problem = _check_kinds(added)
    if problem is None:
        try:
            _pm.register(module, name=info.name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            # an invalid hookimpl, or a module already registered under another name
            problem = f'could not be registered with the plugin manager: {exc}'
    if problem is not None:
        _restore(before, keep=others)
        _warn(info, problem)
        return None
    _report_unknown_hooks(module, info)
    for (key, name), obj in added.items():
        _origins[(key, name)] = _owner(obj, info)
    _plugins[info.name] = info
    return module


def _conflict(registry, name: str, existing: object, new: object, info: PluginInfo) -> str:
    key = next((k for k, r in ALL_REGISTRIES.items() if r is registry), None)
    first = _origins.get((key, name)) or _owner(existing, PluginInfo('?', 'unknown', '?', '?'))
    second = _owner(new, info)
    return (f'{registry.kind} {name!r} is registered twice: by plugin {first} '
            f'({_module_of(existing)}) and by plugin {second} ({_module_of(new)}); '
            'block one with TOOLBOX_BLOCK_PLUGINS or rename the class')


def _check_kinds(added: dict[tuple[str, str], object]) -> str | None:
    """Every entry of a component kind's registry is a subclass of the kind's base."""
    for kind in KINDS:
        base = getattr(bases, kind.base)
        for (key, name), obj in added.items():
            if key != kind.key:
                continue
            if not inspect.isclass(obj):
                return (f'registered {name!r} as a {KIND_REGISTRIES[key].kind}, but it is '
                        f'{obj!r}, which is not a class')
            if not issubclass(obj, base):
                return (f'registered {obj.__qualname__} as a {KIND_REGISTRIES[key].kind}, '
                        f'but it is not a subclass of toolbox.{base.__name__}')
    return None


def _warn(info: PluginInfo, what: str) -> None:
    warnings.warn(PluginWarning(
        f'toolbox plugin {info.name!r} (entry point {info.module!r} of distribution '
        f'{info.distribution} {info.version}) {what}; the other plugins are loaded'),
        stacklevel=4)


def _report_unknown_hooks(module: object, info: PluginInfo) -> None:
    """A ``@hookimpl`` whose name is no hook of :mod:`toolbox.hookspecs` (pluggy's
    ``check_pending`` would raise for the first one and stop loading; this names each)."""
    assert _pm is not None
    known = [name for name in hookspecs.__all__ if name.startswith('toolbox_')]
    old_style = {f'toolbox_{key}' for key in ALL_REGISTRIES}
    for caller in _pm.get_hookcallers(module) or ():
        if caller.spec is not None:
            continue
        if caller.name in old_style:
            hint = ('; components register themselves with the decorator on their class, '
                    'e.g. @GENERATORS.register_module()')
        else:
            close = difflib.get_close_matches(caller.name, known, n=1, cutoff=0.6)
            hint = f'; did you mean {close[0]!r}?' if close else ''
        _warn(info, f'implements {caller.name!r}, which is not a toolbox hook{hint}')


# -- the extension points --------------------------------------------------------------------

_METHOD_KEYS = set(hookspecs.MethodInfo.__annotations__)


def methods() -> list[hookspecs.MethodInfo]:
    """Every method the loaded plugins implement (``toolbox_methods``), sorted by name.

    A dict without exactly the keys of :class:`toolbox.hookspecs.MethodInfo` is an error
    naming the method and the keys.
    """
    found = [m for per_plugin in plugin_manager().hook.toolbox_methods() for m in per_plugin]
    for method in found:
        if set(method) != _METHOD_KEYS:
            raise ValueError(
                f'toolbox_methods() of plugin {method.get("plugin")!r} returned '
                f'{method.get("name")!r} with the keys {sorted(method)}; expected '
                f'{sorted(_METHOD_KEYS)}')
    return sorted(found, key=lambda m: m['name'].lower())


def config_dirs() -> list[str]:
    """The config folders that the loaded plugins ship (``toolbox_config_dirs``)."""
    return [str(d) for per_plugin in plugin_manager().hook.toolbox_config_dirs()
            for d in per_plugin]
