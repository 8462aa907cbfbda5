"""Distributed wrapper for inpaintors whose generator or discriminator is a list of stages."""
from __future__ import annotations

from mmengine.device import get_device
from mmengine.model import (MMDistributedDataParallel, MMSeparateDistributedDataParallel,
                            is_model_wrapper)
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from toolbox.registry import MODEL_WRAPPERS


def unwrap(module: nn.Module | None) -> nn.Module | None:
    """The module a distributed wrapper (which hides its attributes) holds, else the module
    itself; ``None`` stays ``None``."""
    while module is not None and is_model_wrapper(module):
        module = module.module
    return module


def _wrap(module: nn.Module, **kwargs) -> nn.Module:
    device = get_device()
    if not any(p.requires_grad for p in module.parameters()):
        return module.to(device)      # nothing to synchronise (no or frozen parameters)
    return MMDistributedDataParallel(module=module.to(device), **kwargs)


@MODEL_WRAPPERS.register_module()
class StagewiseDistributedDataParallel(MMSeparateDistributedDataParallel):
    """:class:`~mmengine.model.MMSeparateDistributedDataParallel` that also wraps every
    element of a :class:`~torch.nn.ModuleList` child on its own.

    A progressive inpaintor keeps one generator (and discriminator) per stage in a
    ``ModuleList`` and trains one stage at a time. Wrapped as one module, the list cannot be
    called, and DDP would wait for gradients of the frozen and the not-yet-trained stages.
    Wrapped per stage, only the stage in training records gradients through its wrapper;
    the frozen ones run under ``no_grad`` and the later ones do not run, so their wrappers
    expect nothing. Other models are wrapped exactly as by the parent class.
    """

    def __init__(self, module: nn.Module, broadcast_buffers: bool = False,
                 find_unused_parameters: bool = False, **kwargs) -> None:
        super(DistributedDataParallel, self).__init__()   # as the parent: no DDP of its own
        self.module = module
        opts = dict(broadcast_buffers=broadcast_buffers,
                    find_unused_parameters=find_unused_parameters, **kwargs)
        for name, sub in module._modules.items():
            if isinstance(sub, nn.ModuleList):
                sub = nn.ModuleList(_wrap(m, **opts) for m in sub)
            elif sub is not None:
                sub = _wrap(sub, **opts)
            module._modules[name] = sub
