"""An image-inpainting toolbox whose components are plugins.

Public API. Components are looked up in the registries of :mod:`toolbox.registry`; the
first lookup loads every plugin (see :mod:`toolbox.plugins`). Each component kind
(:data:`toolbox.kinds.KINDS`) has its registry (``GENERATORS`` ...) and its base class
(``BaseGenerator`` ...) exported here.
"""
from .bases import (BaseAdversarialLoss, BaseDenoiser, BaseDiscriminator,
                    BaseFeatureMatchingLoss, BaseGenerator, BaseLoss, BaseMaskGenerator,
                    BaseNoiseSchedule, BaseReconstructionLoss, BaseSampler, BaseStageScheduler,
                    BaseWeightConverter, check_image_and_mask)
from .hookspecs import hookimpl
from .plugins import PluginConflictError, PluginWarning, load_plugins
from .registry import (DENOISERS, DISCRIMINATORS, GENERATORS, LOSSES, MASK_GENERATORS, MODELS,
                       NOISE_SCHEDULES, SAMPLERS, STAGE_SCHEDULERS, WEIGHT_CONVERTERS)

__version__ = '0.1.0'

__all__ = [
    'hookimpl', 'load_plugins', 'PluginWarning', 'PluginConflictError',
    # the registries of the component kinds, and the Runner's models
    'GENERATORS', 'DISCRIMINATORS', 'LOSSES', 'MASK_GENERATORS', 'STAGE_SCHEDULERS',
    'DENOISERS', 'NOISE_SCHEDULES', 'SAMPLERS', 'WEIGHT_CONVERTERS', 'MODELS',
    # their base classes
    'BaseGenerator', 'BaseDiscriminator', 'BaseLoss', 'BaseMaskGenerator',
    'BaseStageScheduler', 'BaseDenoiser', 'BaseNoiseSchedule', 'BaseSampler',
    'BaseWeightConverter',
    'BaseReconstructionLoss', 'BaseAdversarialLoss', 'BaseFeatureMatchingLoss',
    'check_image_and_mask', 'init_inpaintor', 'inpaint', 'BaseInpaintor',
]


def __getattr__(name: str):
    # The inference API pulls in the data pipeline; import it only when asked for.
    if name in ('init_inpaintor', 'inpaint'):
        from . import apis
        return getattr(apis, name)
    if name == 'BaseInpaintor':    # pulls in mmengine's model machinery
        from .models.base import BaseInpaintor
        return BaseInpaintor
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
