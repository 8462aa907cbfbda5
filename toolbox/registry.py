"""The toolbox's registries, each written out by name.

Two families live here:

* one registry per **component kind** (:data:`toolbox.kinds.KINDS`): ``GENERATORS``,
  ``DISCRIMINATORS``, ``LOSSES``, ``MASK_GENERATORS``, ``STAGE_SCHEDULERS``, ``DENOISERS``,
  ``NOISE_SCHEDULES``, ``SAMPLERS``, ``WEIGHT_CONVERTERS``;
* **children of every mmengine root registry** (``MODELS``, ``DATASETS``, ``TRANSFORMS``,
  ``METRICS``, ``HOOKS`` ...), so that mmengine's ``Runner`` finds the toolbox's models,
  datasets and hooks when ``default_scope='toolbox'``. Creating children for *all* roots,
  not just the ones we use, keeps mmengine from warning once per missing child.

A component registers itself with the decorator on its definition,
``@GENERATORS.register_module()``, in the engine and in plugins alike.

Plugins are loaded lazily: the first lookup in any of these registries (``get``, ``build``,
``in``, ``len``, ``module_dict``) calls the loader that :mod:`toolbox.plugins` installs
with :func:`on_first_lookup` (importing ``toolbox`` installs it), which imports the
engine's modules and every plugin. ``import toolbox`` itself therefore stays cheap. This
module imports neither :mod:`toolbox.plugins` nor the engine's modules: they import it.
"""
from __future__ import annotations

from collections.abc import Callable

from mmengine import registry as _mm
from mmengine.registry import Registry

from toolbox.builder import UnknownComponentError, build_checked, checked_build_func

__all__ = [
    'ToolboxRegistry', 'DuplicateNameError', 'on_first_lookup',
    'KIND_REGISTRIES', 'RUNNER_REGISTRIES', 'ALL_REGISTRIES',
    'GENERATORS', 'DISCRIMINATORS', 'LOSSES', 'MASK_GENERATORS', 'STAGE_SCHEDULERS',
    'DENOISERS', 'NOISE_SCHEDULES', 'SAMPLERS', 'WEIGHT_CONVERTERS',
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'STRATEGIES', 'DATASETS',
    'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS',
    'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS',
    'METRICS', 'EVALUATOR', 'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS', 'LOG_PROCESSORS',
    'INFERENCERS', 'FUNCTIONS',
]

_loader: Callable[[], object] | None = None


def on_first_lookup(loader: Callable[[], object]) -> None:
    """Install ``loader``, called before every lookup until it has loaded the plugins
    (it returns at once after that). :mod:`toolbox.plugins` installs its ``ensure_loaded``;
    the registries do not import it, so that it may import them."""
    global _loader
    _loader = loader


class DuplicateNameError(KeyError):
    """A second class registered under a name that a registry already holds.

    mmengine raises a plain ``KeyError`` naming only the module of the first class;
    this one keeps both classes, so that :mod:`toolbox.plugins` can name both plugins.
    """

    def __init__(self, registry: 'ToolboxRegistry', name: str, existing: object,
                 new: object) -> None:
        self.registry, self.name, self.existing, self.new = registry, name, existing, new
        self.message = (f'{registry.kind} {name!r} is already registered by '
                        f'{_qualname(existing)}; {_qualname(new)} cannot take the name')
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would repr-quote the message
        return self.message


def _qualname(obj: object) -> str:
    return f'{getattr(obj, "__module__", "?")}.{getattr(obj, "__qualname__", repr(obj))}'


class ToolboxRegistry(Registry):
    """An mmengine ``Registry`` that loads plugins on first use and explains failed lookups.

    A failed lookup raises :class:`toolbox.builder.UnknownComponentError` (a ``KeyError``)
    naming the kind, close matches, and any other kind that has the name, instead of
    returning ``None``: mmengine turns ``None`` into a generic message far from the cause.
    """

    def __init__(self, name: str, *, kind: str | None = None, **kwargs) -> None:
        kwargs.setdefault('scope', 'toolbox')
        super().__init__(name, **kwargs)
        # Human name of the kind for messages, e.g. 'generator'.
        self.kind = kind or name

    # -- lazy plugin loading -------------------------------------------------------------
    def _ensure_loaded(self) -> None:
        if _loader is not None:
            _loader()

    @property
    def module_dict(self) -> dict:
        self._ensure_loaded()
        return self._module_dict

    def __len__(self) -> int:
        self._ensure_loaded()
        return len(self._module_dict)

    def __contains__(self, key) -> bool:
        return self.find(key) is not None

    def find(self, key: str):
        """Like mmengine's ``get``: the class, or ``None`` when nothing has that name."""
        self._ensure_loaded()
        return super().get(key)

    def get(self, key: str):
        obj = self.find(key)
        if obj is None:
            raise UnknownComponentError(self, key, ALL_REGISTRIES.values())
        return obj

    def build(self, cfg, *args, **kwargs):
        self._ensure_loaded()
        return super().build(cfg, *args, **kwargs)

    # -- registration --------------------------------------------------------------------
    def _register_module(self, module, module_name=None, force: bool = False) -> None:
        # mmengine's own check looks the old entry up through ``module_dict``, which would
        # start plugin loading in the middle of a registration, and its KeyError names only
        # one side of the clash. Registering the same object twice is harmless.
        if module_name is None:
            names = [getattr(module, '__name__', None)]
        else:
            names = [module_name] if isinstance(module_name, str) else list(module_name)
        for name in names:
            existing = self._module_dict.get(name)
            if existing is not None and existing is not module and not force:
                raise DuplicateNameError(self, name, existing, module)
        super()._register_module(module, module_name, force=True)


def _kind(name: str) -> ToolboxRegistry:
    return ToolboxRegistry(name, kind=name, build_func=build_checked)


# One registry per component kind (toolbox.kinds.KINDS, in that order; a test checks it).
GENERATORS = _kind('generator')
DISCRIMINATORS = _kind('discriminator')
LOSSES = _kind('loss')
MASK_GENERATORS = _kind('mask generator')
STAGE_SCHEDULERS = _kind('stage scheduler')
DENOISERS = _kind('denoiser')
NOISE_SCHEDULES = _kind('noise schedule')
SAMPLERS = _kind('sampler')
WEIGHT_CONVERTERS = _kind('weight converter')

#: kind key (toolbox.kinds.KINDS) -> its registry
KIND_REGISTRIES: dict[str, ToolboxRegistry] = {
    'generators': GENERATORS,
    'discriminators': DISCRIMINATORS,
    'losses': LOSSES,
    'mask_generators': MASK_GENERATORS,
    'stage_schedulers': STAGE_SCHEDULERS,
    'denoisers': DENOISERS,
    'noise_schedules': NOISE_SCHEDULES,
    'samplers': SAMPLERS,
    'weight_converters': WEIGHT_CONVERTERS,
}


def _child(root: Registry) -> ToolboxRegistry:
    return ToolboxRegistry(root.name, parent=root, kind=root.name,
                           build_func=checked_build_func(root.build_func))


RUNNERS = _child(_mm.RUNNERS)
RUNNER_CONSTRUCTORS = _child(_mm.RUNNER_CONSTRUCTORS)
LOOPS = _child(_mm.LOOPS)
HOOKS = _child(_mm.HOOKS)
STRATEGIES = _child(_mm.STRATEGIES)
DATASETS = _child(_mm.DATASETS)
DATA_SAMPLERS = _child(_mm.DATA_SAMPLERS)
TRANSFORMS = _child(_mm.TRANSFORMS)
MODELS = _child(_mm.MODELS)
MODEL_WRAPPERS = _child(_mm.MODEL_WRAPPERS)
WEIGHT_INITIALIZERS = _child(_mm.WEIGHT_INITIALIZERS)
OPTIMIZERS = _child(_mm.OPTIMIZERS)
OPTIM_WRAPPERS = _child(_mm.OPTIM_WRAPPERS)
OPTIM_WRAPPER_CONSTRUCTORS = _child(_mm.OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = _child(_mm.PARAM_SCHEDULERS)
METRICS = _child(_mm.METRICS)
EVALUATOR = _child(_mm.EVALUATOR)
TASK_UTILS = _child(_mm.TASK_UTILS)
VISUALIZERS = _child(_mm.VISUALIZERS)
VISBACKENDS = _child(_mm.VISBACKENDS)
LOG_PROCESSORS = _child(_mm.LOG_PROCESSORS)
INFERENCERS = _child(_mm.INFERENCERS)
FUNCTIONS = _child(_mm.FUNCTIONS)

#: The Runner registries that ``toolbox list`` shows and provenance covers, by key.
RUNNER_REGISTRIES: dict[str, ToolboxRegistry] = {
    'models': MODELS,
    'datasets': DATASETS,
    'transforms': TRANSFORMS,
    'metrics': METRICS,
    'hooks': HOOKS,
}

#: Every registry a plugin's components are listed in, by key.
ALL_REGISTRIES: dict[str, ToolboxRegistry] = {**KIND_REGISTRIES, **RUNNER_REGISTRIES}
