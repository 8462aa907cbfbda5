"""An image-inpainting toolbox whose components are plugins.

Public API. Components are looked up in the registries of :mod:`toolbox.registry`; the
first lookup loads every plugin (see :mod:`toolbox.plugins`). Each component kind's
registry (``GENERATORS`` ...) and base class (``BaseGenerator`` ...) is exported here, as
listed in :data:`toolbox.registry.KINDS`.
"""
from . import bases as _bases
from . import registry as _registry
from .bases import (BaseAdversarialLoss, BaseFeatureMatchingLoss, BaseReconstructionLoss,
                    check_image_and_mask)
from .hookspecs import hookimpl
from .plugins import PluginConflictError, PluginWarning, load_plugins
from .registry import KINDS, MODELS

__version__ = '0.1.0'

globals().update({k.constant: getattr(_registry, k.constant) for k in KINDS})
globals().update({k.base: getattr(_bases, k.base) for k in KINDS})

__all__ = [
    'hookimpl', 'load_plugins', 'PluginWarning', 'PluginConflictError', 'MODELS',
    *(k.constant for k in KINDS), *(k.base for k in KINDS),
    'BaseReconstructionLoss', 'BaseAdversarialLoss', 'BaseFeatureMatchingLoss',
    'check_image_and_mask', 'init_inpaintor', 'inpaint', 'BaseInpaintor',
]

_DEPRECATED = {'PROGRESSIVE_SCHEDULERS': _registry, 'BaseProgressiveScheduler': _bases}


def __getattr__(name: str):
    # The inference API pulls in the data pipeline; import it only when asked for.
    if name in ('init_inpaintor', 'inpaint'):
        from . import apis
        return getattr(apis, name)
    if name == 'BaseInpaintor':    # pulls in mmengine's model machinery
        from .models.base import BaseInpaintor
        return BaseInpaintor
    if name in _DEPRECATED:        # warns, names the new one
        return getattr(_DEPRECATED[name], name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
