"""The toolbox's Runner: mmengine's, with clear config errors and safe, strict checkpoints."""
from __future__ import annotations

from mmengine.runner import Runner
from torch import nn

from toolbox.builder import config_path
from toolbox.models.distributed import unwrap
from toolbox.registry import MODELS, RUNNERS

from .checkpoint import (SafeCheckpointHook, install_atomic_local_backend, latest_checkpoint,
                         load_weights, read_checkpoint)


@RUNNERS.register_module()
class ToolboxRunner(Runner):
    """mmengine's ``Runner`` with these changes:

    * the model is built with config-path-aware errors (``model.generator: ...``);
    * checkpoints are stored weights-only-loadable (:class:`SafeCheckpointHook`, always
      installed) and loaded with ``torch.load``'s safe default;
    * loading is strict: missing or unexpected keys raise :class:`CheckpointMismatchError`
      naming them, so ``--resume`` or ``load_from`` never continues from random weights;
    * files are written atomically, and ``--resume`` takes the newest complete checkpoint,
      so a run killed at any moment resumes from the last checkpoint it finished.
    """

    def __init__(self, *args, **kwargs) -> None:
        install_atomic_local_backend()
        super().__init__(*args, **kwargs)

    def load_or_resume(self) -> None:
        if self._resume and self._load_from is None and not self._has_loaded:
            # mmengine trusts the `last_checkpoint` note; take the newest complete file.
            latest = latest_checkpoint(self.work_dir)
            if latest is None:
                self.logger.info(f'no checkpoint in {self.work_dir} to resume from; '
                                 'starting from scratch')
            else:
                self.logger.info(f'Auto resumed from the latest checkpoint {latest}.')
                self.resume(latest)
                self._has_loaded = True
            return
        super().load_or_resume()

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
                        revise_keys=None):
        # ``strict`` and ``revise_keys`` are accepted for mmengine's callers and ignored:
        # loading is always strict, and wrapper prefixes are handled by load_weights.
        checkpoint = read_checkpoint(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = unwrap(self.model)
        load_weights(model, checkpoint, filename)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint
