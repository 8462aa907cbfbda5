"""An image-inpainting toolbox whose components are plugins.

Public API. Components are looked up in the registries of :mod:`toolbox.registry`; the
first lookup loads every plugin (see :mod:`toolbox.plugins`).
"""
from .bases import (BaseAdversarialLoss, BaseDiscriminator, BaseFeatureMatchingLoss,
                    BaseGenerator, BaseLoss, BaseMaskGenerator, BaseProgressiveScheduler,
                    BaseReconstructionLoss, check_image_and_mask)
from .hookspecs import hookimpl
from .plugins import PluginConflictError, PluginWarning, load_plugins
from .registry import (DISCRIMINATORS, GENERATORS, LOSSES, MASK_GENERATORS, MODELS,
                       PROGRESSIVE_SCHEDULERS)

__version__ = '0.1.0'

__all__ = [
    'hookimpl', 'load_plugins', 'PluginWarning', 'PluginConflictError',
    'GENERATORS', 'DISCRIMINATORS', 'LOSSES', 'MASK_GENERATORS', 'PROGRESSIVE_SCHEDULERS',
    'MODELS',
    'BaseGenerator', 'BaseDiscriminator', 'BaseLoss', 'BaseReconstructionLoss',
    'BaseAdversarialLoss', 'BaseFeatureMatchingLoss', 'BaseMaskGenerator', 'BaseProgressiveScheduler',
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
