"""Finding plugins through entry points and registering what they provide.

Plugins load **once, lazily**: the first lookup in any toolbox registry calls
:func:`ensure_loaded`, which imports every module named in the entry-point group
``toolbox.plugins`` (and, for a Runner registry such as ``MODELS``, the engine module that
fills it). Call :func:`load_plugins` to load eagerly.

Environment variables (modelled on pytest's):

``TOOLBOX_DISABLE_PLUGIN_AUTOLOAD=1``
    do not load entry-point plugins (the engine's own components still register);
``TOOLBOX_PLUGINS=mod1,mod2``
    modules to register as plugins anyway, e.g. with autoloading off;
``TOOLBOX_BLOCK_PLUGINS=name1,name2``
    entry-point names never to load (the command line has no ``-p no:`` here).

Each plugin is isolated: one that fails to import, whose hook raises or returns something
that is not a class of the right kind, costs one :class:`PluginWarning` naming the entry
point, the distribution and the cause; the others load. Two plugins registering one name
is a :class:`PluginConflictError` naming both.
"""
from __future__ import annotations

import difflib
import importlib
import importlib.metadata as md
import inspect
import os
import threading
import warnings
from dataclasses import dataclass

import pluggy

from toolbox import hookspecs

__all__ = ['PluginInfo', 'PluginWarning', 'PluginConflictError', 'ENTRY_POINT_GROUP',
           'ensure_loaded', 'load_plugins', 'component_origin', 'plugin_manager',
           'blocked_plugins', 'register_plugin']

ENTRY_POINT_GROUP = 'toolbox.plugins'


@dataclass(frozen=True)
class PluginInfo:
    """Where a registered component came from."""
    name: str            # entry-point name, or 'toolbox' for the engine itself
    distribution: str    # distribution (pip package) that declares the entry point
    version: str
    module: str          # module the plugin object is

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
#: (registry key, component name) -> PluginInfo
_origins: dict[tuple[str, str], PluginInfo] = {}


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


def component_origin(registry_key: str, name: str) -> PluginInfo | None:
    """The plugin that registered ``name`` in ``ALL_REGISTRIES[registry_key]``."""
    from toolbox.registry import ALL_REGISTRIES
    ensure_loaded(ALL_REGISTRIES[registry_key])
    return _origins.get((registry_key, name))


def ensure_loaded(registry=None) -> None:
    """Load the plugins once, and the engine module that fills ``registry`` if any."""
    if registry is not None and registry.engine_module:
        _import_engine(registry.engine_module)
    if _loaded or _loading:
        return
    load_plugins()


_engine_imported: set[str] = set()


def _import_engine(module: str) -> None:
    """Import an engine module (its classes register themselves) and tag what it added."""
    if module in _engine_imported:
        return
    _engine_imported.add(module)
    from toolbox.registry import ALL_REGISTRIES
    importlib.import_module(module)
    info = _engine_info()
    for key, reg in ALL_REGISTRIES.items():
        for name in reg._module_dict:
            _origins.setdefault((key, name), info)


def load_plugins() -> pluggy.PluginManager:
    """Import the engine's components and load every plugin; idempotent."""
    global _loaded, _loading, _pm
    with _lock:
        if _loaded or _loading:
            return _pm
        _loading = True
        try:
            _pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
            _pm.add_hookspecs(hookspecs)
            if os.environ.get('TOOLBOX_DISABLE_PLUGIN_AUTOLOAD', '') in ('', '0'):
                blocked = blocked_plugins()
                for ep in sorted(md.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
                    if ep.name in blocked:
                        continue
                    _load_entry_point(ep)
            for modname in _env_list('TOOLBOX_PLUGINS'):
                info = PluginInfo(modname, 'TOOLBOX_PLUGINS', '-', modname)
                try:
                    module = importlib.import_module(modname)
                except Exception as exc:  # noqa: BLE001 - isolation is the point
                    _warn(info, f'failed to import: {type(exc).__name__}: {exc}')
                    continue
                register_plugin(module, info)
            _loaded = True
        finally:
            _loading = False
        return _pm


def _load_entry_point(ep: md.EntryPoint) -> None:
    dist = getattr(ep, 'dist', None)
    info = PluginInfo(ep.name, dist.metadata['Name'] if dist else 'unknown',
                      dist.version if dist else 'unknown', ep.value)
    if _pm is not None and _pm.has_plugin(ep.name):
        return
    try:
        module = ep.load()
    except Exception as exc:  # noqa: BLE001 - one broken plugin must not stop the rest
        _warn(info, f'failed to import: {type(exc).__name__}: {exc}')
        return
    register_plugin(module, info)


def _warn(info: PluginInfo, what: str) -> None:
    warnings.warn(PluginWarning(
        f'toolbox plugin {info.name!r} (entry point {info.module!r} of distribution '
        f'{info.distribution} {info.version}) {what}; the other plugins are loaded'),
        stacklevel=3)


def register_plugin(module: object, info: PluginInfo) -> None:
    """Register one plugin object with pluggy and add its components to the registries.

    This is what entry-point loading does for every plugin; tests and applications can
    call it for a module that is not installed (the engine must be loaded first).
    """
    from toolbox.registry import ALL_REGISTRIES
    assert _pm is not None, 'load_plugins() first'
    try:
        _pm.register(module, name=info.name)
    except pluggy.PluginValidationError as exc:
        _warn(info, f'has an invalid hook implementation: {exc}')
        return
    except ValueError as exc:  # already registered under this name
        _warn(info, f'could not be registered: {exc}')
        return
    _report_unknown_hooks(module, info)

    collected: list[tuple[str, str, type]] = []
    for hook_name, reg_key in hookspecs.HOOK_TO_REGISTRY.items():
        caller = getattr(_pm.hook, hook_name)
        for impl in caller.get_hookimpls():
            if impl.plugin is not module:
                continue
            # Called one plugin at a time (not through pluggy's fan-out) so that a failing
            # hook is attributed to its plugin and the others still register.
            try:
                result = impl.function()
            except Exception as exc:  # noqa: BLE001
                _warn(info, f'raised in {hook_name}(): {type(exc).__name__}: {exc}')
                _pm.unregister(module)
                return
            problem = _check_hook_result(hook_name, reg_key, result)
            if problem:
                _warn(info, problem)
                _pm.unregister(module)
                return
            collected.extend((reg_key, cls.__name__, cls) for cls in result or ())

    # The engine's own entries first, so that a clash with them is reported like any other.
    for reg_key in {key for key, _, _ in collected}:
        if ALL_REGISTRIES[reg_key].engine_module:
            _import_engine(ALL_REGISTRIES[reg_key].engine_module)
    # Check every name before registering any, so a conflict leaves no half-loaded plugin.
    for reg_key, name, cls in collected:
        registry = ALL_REGISTRIES[reg_key]
        existing = registry._module_dict.get(name)
        if existing is not None and existing is not cls:
            other = _origins.get((reg_key, name))
            raise PluginConflictError(
                f'{registry.kind} {name!r} is registered twice: by plugin {other} '
                f'({existing.__module__}) and by plugin {info} ({cls.__module__}); '
                f'block one with TOOLBOX_BLOCK_PLUGINS or rename the class')
    for reg_key, name, cls in collected:
        registry = ALL_REGISTRIES[reg_key]
        if name not in registry._module_dict:
            registry.register_module(name=name, module=cls)
        _origins[(reg_key, name)] = info


def _check_hook_result(hook_name: str, reg_key: str, result: object) -> str | None:
    from toolbox import bases, converters
    expected = {
        'generators': bases.BaseGenerator,
        'discriminators': bases.BaseDiscriminator,
        'losses': bases.BaseLoss,
        'mask_generators': bases.BaseMaskGenerator,
        'progressive_schedulers': bases.BaseProgressiveScheduler,
        'weight_converters': converters.BaseWeightConverter,
    }.get(reg_key)
    if result is None:
        return None
    if not isinstance(result, (list, tuple)):
        return f'{hook_name}() must return a list of classes, got {type(result).__name__}'
    for cls in result:
        if not inspect.isclass(cls):
            return f'{hook_name}() returned {cls!r}, which is not a class'
        if expected is not None and not issubclass(cls, expected):
            return (f'{hook_name}() returned {cls.__qualname__}, which is not a subclass of '
                    f'toolbox.{expected.__name__}')
    return None


def _report_unknown_hooks(module: object, info: PluginInfo) -> None:
    assert _pm is not None
    known = list(hookspecs.HOOK_TO_REGISTRY)
    for caller in _pm.get_hookcallers(module) or ():
        if caller.spec is None:
            close = difflib.get_close_matches(caller.name, known, n=1, cutoff=0.6)
            hint = f'; did you mean {close[0]!r}?' if close else ''
            _warn(info, f'implements {caller.name!r}, which is not a toolbox hook{hint}')
