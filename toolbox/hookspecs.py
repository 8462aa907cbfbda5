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

PROJECT_NAME = 'toolbox'

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Marker for plugin functions implementing the hooks of this module.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# --- component kinds ------------------------------------------------------------------------

@hookspec
def toolbox_generators() -> list[type]:
    """Generators: subclasses of :class:`toolbox.bases.BaseGenerator`.

    Registered in ``toolbox.registry.GENERATORS`` under their class name.
    """


@hookspec
def toolbox_discriminators() -> list[type]:
    """Discriminators: subclasses of :class:`toolbox.bases.BaseDiscriminator`."""


@hookspec
def toolbox_losses() -> list[type]:
    """Losses: subclasses of :class:`toolbox.bases.BaseLoss`: reconstruction
    (``BaseReconstructionLoss``), adversarial (``BaseAdversarialLoss``) or feature-matching
    (``BaseFeatureMatchingLoss``)."""


@hookspec
def toolbox_mask_generators() -> list[type]:
    """Mask generators: subclasses of :class:`toolbox.bases.BaseMaskGenerator`."""


@hookspec
def toolbox_progressive_schedulers() -> list[type]:
    """Progressive training schedulers: subclasses of
    :class:`toolbox.bases.BaseProgressiveScheduler`."""


@hookspec
def toolbox_weight_converters() -> list[type]:
    """Importers of other projects' released checkpoints: subclasses of
    :class:`toolbox.converters.BaseWeightConverter`, looked up by their ``format`` by
    :func:`toolbox.apis.convert_weights` and ``tools/convert_weights.py``."""


# --- components for mmengine's Runner --------------------------------------------------------

@hookspec
def toolbox_models() -> list[type]:
    """Inpaintors (mmengine ``BaseModel`` subclasses), registered in ``MODELS``."""


@hookspec
def toolbox_transforms() -> list[type]:
    """Data transforms (mmcv ``BaseTransform`` subclasses), registered in ``TRANSFORMS``."""


@hookspec
def toolbox_datasets() -> list[type]:
    """Datasets (mmengine ``BaseDataset`` subclasses), registered in ``DATASETS``."""


@hookspec
def toolbox_metrics() -> list[type]:
    """Metrics (mmengine ``BaseMetric`` subclasses), registered in ``METRICS``."""


@hookspec
def toolbox_hooks() -> list[type]:
    """Engine hooks (mmengine ``Hook`` subclasses), registered in ``HOOKS``."""


#: hook name -> key of :data:`toolbox.registry.ALL_REGISTRIES`
HOOK_TO_REGISTRY = {
    'toolbox_generators': 'generators',
    'toolbox_discriminators': 'discriminators',
    'toolbox_losses': 'losses',
    'toolbox_mask_generators': 'mask_generators',
    'toolbox_progressive_schedulers': 'progressive_schedulers',
    'toolbox_weight_converters': 'weight_converters',
    'toolbox_models': 'models',
    'toolbox_transforms': 'transforms',
    'toolbox_datasets': 'datasets',
    'toolbox_metrics': 'metrics',
    'toolbox_hooks': 'hooks',
}
