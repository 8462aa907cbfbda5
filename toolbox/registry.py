"""The toolbox's registries.

Two families live here:

* the **component kinds** that plugins contribute: ``GENERATORS``, ``DISCRIMINATORS``,
  ``LOSSES``, ``MASK_GENERATORS``, ``PROGRESSIVE_SCHEDULERS``;
* **children of every mmengine root registry** (``MODELS``, ``DATASETS``, ``TRANSFORMS``,
  ``METRICS``, ``HOOKS`` ...), so that mmengine's ``Runner`` finds the toolbox's models,
  datasets and hooks when ``default_scope='toolbox'``. Creating children for *all* roots,
  not just the ones we use, keeps mmengine from warning once per missing child.

Plugins are loaded lazily: the first lookup in any of these registries (``get``, ``build``,
``in``, ``len``, ``module_dict``) loads every plugin found through the ``toolbox.plugins``
entry points (see :mod:`toolbox.plugins`); the first lookup in a Runner registry also
imports the engine module that fills it (``MODELS``: ``toolbox.models``, ...).
``import toolbox`` itself therefore stays cheap.
"""
from __future__ import annotations

from mmengine import registry as _mm
from mmengine.registry import Registry

__all__ = [
    'ToolboxRegistry', 'KIND_REGISTRIES', 'ALL_REGISTRIES',
    'GENERATORS', 'DISCRIMINATORS', 'LOSSES', 'MASK_GENERATORS', 'PROGRESSIVE_SCHEDULERS',
    'WEIGHT_CONVERTERS', 'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'STRATEGIES', 'DATASETS',
    'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS',
    'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS',
    'METRICS', 'EVALUATOR', 'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS', 'LOG_PROCESSORS',
    'INFERENCERS', 'FUNCTIONS',
]


class ToolboxRegistry(Registry):
    """An mmengine ``Registry`` that loads plugins on first use and explains failed lookups.

    A failed lookup raises :class:`toolbox.builder.UnknownComponentError` (a ``KeyError``)
    naming the kind, close matches, and any other kind that has the name, instead of
    returning ``None``: mmengine turns ``None`` into a generic message far from the cause.
    """

    def __init__(self, name: str, *, kind: str | None = None, engine_module: str | None = None,
                 **kwargs) -> None:
        kwargs.setdefault('scope', 'toolbox')
        super().__init__(name, **kwargs)
        # Human name of the kind for messages, e.g. 'generator'.
        self.kind = kind or name
        # The engine module whose import registers the engine's own entries here; it is
        # imported on the first lookup, so that looking up a generator does not pay for
        # mmengine's model and optimizer machinery.
        self.engine_module = engine_module

    # -- lazy plugin loading -------------------------------------------------------------
    def _ensure_loaded(self) -> None:
        from toolbox.plugins import ensure_loaded
        ensure_loaded(self)

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
            from toolbox.builder import UnknownComponentError
            raise UnknownComponentError(self, key)
        return obj

    def build(self, cfg, *args, **kwargs):
        self._ensure_loaded()
        return super().build(cfg, *args, **kwargs)


def _kind(name: str, kind: str) -> ToolboxRegistry:
    from toolbox.builder import build_checked
    return ToolboxRegistry(name, kind=kind, build_func=build_checked)


# Component kinds contributed by plugins: the names match the hookspecs in toolbox.hookspecs.
GENERATORS = _kind('generator', 'generator')
DISCRIMINATORS = _kind('discriminator', 'discriminator')
LOSSES = _kind('loss', 'loss')
MASK_GENERATORS = _kind('mask generator', 'mask generator')
PROGRESSIVE_SCHEDULERS = _kind('progressive scheduler', 'progressive scheduler')
#: importers of released checkpoints (looked up by their ``format``, see toolbox.converters)
WEIGHT_CONVERTERS = _kind('weight converter', 'weight converter')

KIND_REGISTRIES: dict[str, ToolboxRegistry] = {
    'generators': GENERATORS,
    'discriminators': DISCRIMINATORS,
    'losses': LOSSES,
    'mask_generators': MASK_GENERATORS,
    'progressive_schedulers': PROGRESSIVE_SCHEDULERS,
    'weight_converters': WEIGHT_CONVERTERS,
}


def _child(root: Registry, engine_module: str | None = None) -> ToolboxRegistry:
    from toolbox.builder import checked_build_func
    return ToolboxRegistry(root.name, parent=root, kind=root.name, engine_module=engine_module,
                           build_func=checked_build_func(root.build_func))


RUNNERS = _child(_mm.RUNNERS, 'toolbox.engine.runner')
RUNNER_CONSTRUCTORS = _child(_mm.RUNNER_CONSTRUCTORS)
LOOPS = _child(_mm.LOOPS)
HOOKS = _child(_mm.HOOKS, 'toolbox.engine')
STRATEGIES = _child(_mm.STRATEGIES)
DATASETS = _child(_mm.DATASETS, 'toolbox.datasets')
DATA_SAMPLERS = _child(_mm.DATA_SAMPLERS)
TRANSFORMS = _child(_mm.TRANSFORMS, 'toolbox.datasets')
MODELS = _child(_mm.MODELS, 'toolbox.models')
MODEL_WRAPPERS = _child(_mm.MODEL_WRAPPERS, 'toolbox.models')
WEIGHT_INITIALIZERS = _child(_mm.WEIGHT_INITIALIZERS)
OPTIMIZERS = _child(_mm.OPTIMIZERS)
OPTIM_WRAPPERS = _child(_mm.OPTIM_WRAPPERS, 'toolbox.models')
OPTIM_WRAPPER_CONSTRUCTORS = _child(_mm.OPTIM_WRAPPER_CONSTRUCTORS, 'toolbox.models')
PARAM_SCHEDULERS = _child(_mm.PARAM_SCHEDULERS)
METRICS = _child(_mm.METRICS, 'toolbox.evaluation')
EVALUATOR = _child(_mm.EVALUATOR)
TASK_UTILS = _child(_mm.TASK_UTILS)
VISUALIZERS = _child(_mm.VISUALIZERS)
VISBACKENDS = _child(_mm.VISBACKENDS)
LOG_PROCESSORS = _child(_mm.LOG_PROCESSORS)
INFERENCERS = _child(_mm.INFERENCERS)
FUNCTIONS = _child(_mm.FUNCTIONS)

# Registries a plugin may contribute to besides the kinds (see toolbox.hookspecs).
RUNNER_REGISTRIES: dict[str, ToolboxRegistry] = {
    'models': MODELS,
    'datasets': DATASETS,
    'transforms': TRANSFORMS,
    'metrics': METRICS,
    'hooks': HOOKS,
}

ALL_REGISTRIES: dict[str, ToolboxRegistry] = {**KIND_REGISTRIES, **RUNNER_REGISTRIES}
