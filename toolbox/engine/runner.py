"""The toolbox's Runner: mmengine's, with clear config errors and safe, strict checkpoints."""
from __future__ import annotations

import pickle
import re

from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint
from torch import nn

from toolbox.builder import config_path
from toolbox.registry import MODELS, RUNNERS

from .checkpoint import (SafeCheckpointHook, add_wrapper_prefixes, check_keys,
                         strip_wrapper_prefixes, wrapper_prefixes)


class CheckpointLoadError(RuntimeError):
    """A checkpoint that cannot be loaded safely."""


@RUNNERS.register_module()
class ToolboxRunner(Runner):
    """mmengine's ``Runner`` with three changes:

    * the model is built with config-path-aware errors (``model.generator: ...``);
    * checkpoints are stored weights-only-loadable (:class:`SafeCheckpointHook`, always
      installed) and loaded with ``torch.load``'s safe default;
    * loading is strict: missing or unexpected keys raise :class:`CheckpointMismatchError`
      naming them, so ``--resume`` or ``load_from`` never continues from random weights.
    """

    def build_model(self, model):
        if isinstance(model, nn.Module):
            return model
        with config_path('model'):
            return MODELS.build(model)

    def register_hooks(self, default_hooks=None, custom_hooks=None) -> None:
        super().register_hooks(default_hooks, custom_hooks)
        if not any(isinstance(h, SafeCheckpointHook) for h in self.hooks):
            self.register_hook(SafeCheckpointHook())

    def load_checkpoint(self, filename: str, map_location='cpu', strict: bool = True,
                        revise_keys=((r'^module\.', ''),)):
        try:
            checkpoint = _load_checkpoint(filename, map_location=map_location)
        except pickle.UnpicklingError as exc:
            raise CheckpointLoadError(
                f'checkpoint {filename} holds Python objects beyond tensors and numbers, '
                'so it is not loaded: unpickling them could run code from the file. '
                'Toolbox checkpoints never need this; re-save trusted files as plain state '
                'dicts.') from exc
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        state = checkpoint.get('state_dict', checkpoint)
        for pattern, repl in revise_keys:
            state = {re.sub(pattern, repl, k): v for k, v in state.items()}
        prefixes = wrapper_prefixes(model)
        state = strip_wrapper_prefixes(state, prefixes)
        check_keys(model, state, filename)
        model.load_state_dict(add_wrapper_prefixes(state, prefixes), strict=True)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint
