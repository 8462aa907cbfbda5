"""The toolbox's registries.

Two families live here:

* the **component kinds** that plugins contribute, listed once in :data:`KINDS` (the
  hookspecs, the plugin checks, the contract tests and the public API derive from it):
  ``GENERATORS``, ``DISCRIMINATORS``, ``LOSSES``, ``MASK_GENERATORS``,
  ``STAGE_SCHEDULERS``, ``DENOISERS``, ``NOISE_SCHEDULES``, ``SAMPLERS``;
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

import warnings
from dataclasses import dataclass

from mmengine import registry as _mm
from mmengine.registry import Registry

__all__ = [
    'ToolboxRegistry', 'Kind', 'KINDS', 'KIND_REGISTRIES', 'ALL_REGISTRIES', 'kind_key',
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'STRATEGIES', 'DATASETS',
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


@dataclass(frozen=True)
class Kind:
    """A kind of component that plugins contribute.

    ``key`` names it everywhere: ``toolbox list KEY``, the hook ``toolbox_KEY``
    (:mod:`toolbox.hookspecs`), ``KIND_REGISTRIES[KEY]``; ``constant`` is its registry's
    name in this module and in :mod:`toolbox`; ``base`` the class in :mod:`toolbox.bases`
    every entry derives from; ``check`` the contract check in :mod:`toolbox.testing` that
    runs on every registered entry; ``doc`` says what the hook returns.
    """
    key: str
    constant: str
    name: str
    base: str
    check: str
    doc: str


#: Every component kind, once.
KINDS: tuple[Kind, ...] = (
    Kind('generators', 'GENERATORS', 'generator', 'BaseGenerator', 'check_generator',
         'Inpainting generators ``(masked_image, mask, **guidance) -> dict``.'),
    Kind('discriminators', 'DISCRIMINATORS', 'discriminator', 'BaseDiscriminator',
         'check_discriminator', 'Discriminators ``(image, mask, **conditions) -> logits``.'),
    Kind('losses', 'LOSSES', 'loss', 'BaseLoss', 'check_loss',
         'Losses: reconstruction (``BaseReconstructionLoss``), adversarial '
         '(``BaseAdversarialLoss``) or feature-matching (``BaseFeatureMatchingLoss``).'),
    Kind('mask_generators', 'MASK_GENERATORS', 'mask generator', 'BaseMaskGenerator',
         'check_mask_generator', 'Mask recipes ``(shape, rng) -> uint8 (H, W)``, 1 = hole.'),
    Kind('stage_schedulers', 'STAGE_SCHEDULERS', 'stage scheduler', 'BaseStageScheduler',
         'check_stage_scheduler',
         'Stage schedulers of progressive models: which stage trains at which iteration, '
         'at which size.'),
    Kind('denoisers', 'DENOISERS', 'denoiser', 'BaseDenoiser', 'check_denoiser',
         'Diffusion denoisers ``(x_t, t) -> predicted noise``.'),
    Kind('noise_schedules', 'NOISE_SCHEDULES', 'noise schedule', 'BaseNoiseSchedule',
         'check_noise_schedule',
         'Forward-process noise schedules (the variances beta_t), with respacing.'),
    Kind('samplers', 'SAMPLERS', 'sampler', 'BaseSampler', 'check_sampler',
         'Samplers that fill the holes by running a denoiser backwards through a noise '
         'schedule (e.g. RePaint\'s resampling).'),
    Kind('weight_converters', 'WEIGHT_CONVERTERS', 'weight converter', 'BaseWeightConverter',
         'check_weight_converter',
         "Importers of other projects' released checkpoints, looked up by their ``format`` "
         'by :func:`toolbox.apis.convert_weights` and ``tools/convert_weights.py``.'),
)

KIND_REGISTRIES: dict[str, ToolboxRegistry] = {k.key: _kind(k.name, k.name) for k in KINDS}
globals().update({k.constant: KIND_REGISTRIES[k.key] for k in KINDS})
__all__ += [k.constant for k in KINDS]

#: Old names kept working for one release, with a DeprecationWarning.
DEPRECATED_KEYS = {'progressive_schedulers': 'stage_schedulers'}
_DEPRECATED_CONSTANTS = {'PROGRESSIVE_SCHEDULERS': 'STAGE_SCHEDULERS'}


def kind_key(key: str) -> str:
    """``key``, or the current key of a deprecated one (with a DeprecationWarning)."""
    if key in DEPRECATED_KEYS:
        new = DEPRECATED_KEYS[key]
        warnings.warn(f'the component kind {key!r} is now called {new!r}; the old name '
                      'goes in the next release', DeprecationWarning, stacklevel=3)
        return new
    return key


def __getattr__(name: str):
    if name in _DEPRECATED_CONSTANTS:
        new = _DEPRECATED_CONSTANTS[name]
        warnings.warn(f'toolbox.registry.{name} is now {new}; the old name goes in the next '
                      'release', DeprecationWarning, stacklevel=2)
        return globals()[new]
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


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

# Registries a plugin may contribute to besides the kinds: key -> (registry, what the hook
# ``toolbox_KEY`` returns); toolbox.hookspecs derives these hooks from it.
RUNNER_HOOKS: dict[str, tuple[ToolboxRegistry, str]] = {
    'models': (MODELS, 'Inpainting models (subclasses of ``toolbox.models.BaseInpaintor``).'),
    'datasets': (DATASETS, 'Datasets (mmengine ``BaseDataset`` subclasses).'),
    'transforms': (TRANSFORMS, 'Data transforms (mmcv ``BaseTransform`` subclasses).'),
    'metrics': (METRICS, 'Metrics (mmengine ``BaseMetric`` subclasses).'),
    'hooks': (HOOKS, 'Engine hooks (mmengine ``Hook`` subclasses).'),
}
RUNNER_REGISTRIES: dict[str, ToolboxRegistry] = {k: r for k, (r, _) in RUNNER_HOOKS.items()}

ALL_REGISTRIES: dict[str, ToolboxRegistry] = {**KIND_REGISTRIES, **RUNNER_REGISTRIES}
