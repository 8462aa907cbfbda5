"""Hook specifications: what a plugin can contribute to the toolbox.

A plugin is a module named by an entry point in the group ``toolbox.plugins``. It implements
any of the hooks below with the :data:`hookimpl` marker; each hook returns a list of
*classes*, which the toolbox registers under their class name and tags with the plugin that
provided them::

    # my_plugin/__init__.py
    from toolbox import BaseGenerator, hookimpl

    class TinyGenerator(BaseGenerator):
        ...

    @hookimpl
    def toolbox_generators():
        return [TinyGenerator]

Hooks take no arguments, so a plugin written today keeps working when hooks are added.
A function named like a hook but not matching any specification (``toolbox_generator``,
say) is reported with a warning when plugins load.
"""
from __future__ import annotations

import pluggy

from toolbox.registry import DEPRECATED_KEYS, KINDS, RUNNER_HOOKS

PROJECT_NAME = 'toolbox'

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Marker for plugin functions implementing the hooks of this module.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


def _spec(key: str, doc: str, returns: str):
    """The hook ``toolbox_<key>() -> list[type[returns]]`` with ``doc``."""
    def hook() -> list[type]:
        """Return the classes to register."""
    hook.__name__ = hook.__qualname__ = f'toolbox_{key}'
    hook.__doc__ = f'{doc}\n\nReturns a list of classes ({returns}); each is registered under its class name.'
    hook.__annotations__ = {'return': f'list[type[{returns}]]'}
    hook.__module__ = __name__
    return hookspec(hook)


# One hook per component kind (toolbox.registry.KINDS) and per Runner registry a plugin may
# fill (toolbox.registry.RUNNER_HOOKS): toolbox_generators, ..., toolbox_models, ...
#: hook name -> key of :data:`toolbox.registry.ALL_REGISTRIES`
HOOK_TO_REGISTRY: dict[str, str] = {}
for _kind in KINDS:
    globals()[f'toolbox_{_kind.key}'] = _spec(
        _kind.key, f'{_kind.doc}\n\nSubclasses of :class:`toolbox.bases.{_kind.base}`, '
        f'registered in ``toolbox.registry.{_kind.constant}``.', f'toolbox.bases.{_kind.base}')
    HOOK_TO_REGISTRY[f'toolbox_{_kind.key}'] = _kind.key
for _key, (_registry, _doc) in RUNNER_HOOKS.items():
    globals()[f'toolbox_{_key}'] = _spec(_key, _doc, 'object')
    HOOK_TO_REGISTRY[f'toolbox_{_key}'] = _key

#: Deprecated hook names -> the registry they still fill (with a DeprecationWarning).
DEPRECATED_HOOKS: dict[str, str] = {
    f'toolbox_{old}': new for old, new in DEPRECATED_KEYS.items()}
for _old, _new in DEPRECATED_HOOKS.items():
    globals()[_old] = _spec(_old[len('toolbox_'):], f'Deprecated name of ``toolbox_{_new}``.',
                            'object')
HOOK_TO_REGISTRY.update(DEPRECATED_HOOKS)
