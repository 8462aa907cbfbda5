"""One optimizer per sub-module (generator, discriminator) for GAN training.

mmengine 0.10 has no multi-optimizer constructor (MMagic has one); this is the toolbox's.
"""
from __future__ import annotations

from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict

from toolbox.registry import OPTIM_WRAPPER_CONSTRUCTORS

from .distributed import unwrap


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """Build an ``OptimWrapperDict`` with one optimizer wrapper per named sub-module.

    Config::

        optim_wrapper = dict(
            constructor='MultiOptimWrapperConstructor',
            generator=dict(optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))),
            discriminator=dict(optimizer=dict(type='Adam', lr=4e-4, betas=(0.5, 0.999))))

    Each key names an attribute of the model (``model.generator``); each value is an
    ordinary mmengine optim-wrapper config (``type``, ``optimizer``, ``paramwise_cfg``...).
    A key whose module is ``None`` (a model without discriminator) is skipped.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict | None = None) -> None:
        if not isinstance(optim_wrapper_cfg, dict) or not optim_wrapper_cfg:
            raise ValueError('MultiOptimWrapperConstructor: optim_wrapper needs one entry per '
                             'sub-module, e.g. generator=dict(optimizer=...)')
        self.optim_wrapper_cfg = optim_wrapper_cfg
        if paramwise_cfg is not None:
            raise ValueError('MultiOptimWrapperConstructor: put paramwise_cfg inside each '
                             'sub-module entry, not at the top level')

    def __call__(self, model) -> OptimWrapperDict:
        model = unwrap(model)
        wrappers = {}
        for name, cfg in self.optim_wrapper_cfg.items():
            if not hasattr(model, name):
                raise ValueError(f'optim_wrapper.{name}: the model '
                                 f'{type(model).__name__} has no sub-module {name!r}')
            module = getattr(model, name)
            if module is None:
                continue
            cfg = dict(cfg)
            paramwise = cfg.pop('paramwise_cfg', None)
            wrappers[name] = DefaultOptimWrapperConstructor(cfg, paramwise)(module)
        return OptimWrapperDict(**wrappers)
