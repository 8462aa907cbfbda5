"""The toolbox's Runner: mmengine's, with clear config errors and safe, strict checkpoints."""
from __future__ import annotations

from mmengine.config import Config
from mmengine.runner import Runner
from torch import nn

from toolbox.builder import check_component, config_path
from toolbox.fileio import remove_partial_files
from toolbox.models.distributed import unwrap
from toolbox.registry import DATASETS, MODELS, OPTIMIZERS, RUNNERS

from .config_check import check_training_config
from .checkpoint import (CheckpointLoadError, SafeCheckpointHook, checkpoint_candidates,
                         install_atomic_local_backend, load_weights, read_checkpoint, read_note)


def check_runner_config(cfg) -> None:
    """Check the datasets and optimizers of ``cfg`` as the toolbox checks its components,
    and every other section the Runner builds itself (:func:`check_training_config`).

    mmengine's Runner builds them through its root registries, which skip the toolbox's
    checks: a misspelled keyword would surface as a bare ``TypeError`` with no config path,
    or, for a hook, only when the hook first runs.
    """
    check_training_config(cfg)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if isinstance(loader, dict) and isinstance(loader.get('dataset'), dict):
            check_component(DATASETS, loader['dataset'], key, 'dataset')
    optim = cfg.get('optim_wrapper')
    if not isinstance(optim, dict):
        return
    if optim.get('constructor') == 'MultiOptimWrapperConstructor':
        subs = [(name, sub) for name, sub in optim.items()
                if isinstance(sub, dict) and 'optimizer' in sub]
    else:
        subs = [(None, optim)]
    for name, sub in subs:
        if isinstance(sub.get('optimizer'), dict):
            path = ('optim_wrapper', name, 'optimizer') if name else ('optim_wrapper', 'optimizer')
            check_component(OPTIMIZERS, sub['optimizer'], *path, params=None)


@RUNNERS.register_module()
class ToolboxRunner(Runner):
    """mmengine's ``Runner`` with these changes:

    * the model is built with config-path-aware errors (``model.generator: ...``), and the
      datasets' and optimizers' keywords are checked the same way before anything is built;
    * checkpoints are stored weights-only-loadable (:class:`SafeCheckpointHook`, always
      installed) and loaded with ``torch.load``'s safe default;
    * loading is strict: missing or unexpected keys raise :class:`CheckpointMismatchError`
      naming them, so ``--resume`` or ``load_from`` never continues from random weights;
    * every file is written atomically, a ``CheckpointHook`` is replaced by
      :class:`ToolboxCheckpointHook` (which saves before it prunes), and ``--resume`` takes
      the newest checkpoint that loads, skipping (and naming) incomplete ones; when the
      work dir has checkpoints or a ``last_checkpoint`` note but none loads, it refuses to
      start from scratch.
    """

    def __init__(self, *args, **kwargs) -> None:
        install_atomic_local_backend()
        self._preloaded: tuple[str, dict] | None = None
        super().__init__(*args, **kwargs)

    @classmethod
    def from_cfg(cls, cfg):
        check_runner_config(cfg)
        return super().from_cfg(cfg)

    def load_or_resume(self) -> None:
        if self._resume and self._load_from is None and not self._has_loaded:
            self._resume_latest()
            return
        super().load_or_resume()

    def _resume_latest(self) -> None:
        for path in remove_partial_files(self.work_dir):
            self.logger.info(f'removed {path}, left by a write that was interrupted')
        candidates = checkpoint_candidates(self.work_dir)
        skipped = []
        for path in candidates:
            try:
                checkpoint = read_checkpoint(path)
            except CheckpointLoadError as exc:
                self.logger.warning(f'--resume: skipping {path}: {exc}')
                skipped.append(path)
                continue
            self._preloaded = (path, checkpoint)
            self.logger.info(f'Auto resumed from the latest checkpoint {path}'
                             + (f' (skipped {", ".join(skipped)})' if skipped else '') + '.')
            self.resume(path)
            self._has_loaded = True
            return
        note = read_note(self.work_dir)
        if candidates or note is not None:
            why = (f'none of its checkpoints loads ({", ".join(skipped)})' if skipped else
                   f'its last_checkpoint note names {note or "nothing"!s}, which does not exist')
            raise CheckpointLoadError(
                f'--resume: {self.work_dir} held a training, but {why}; refusing to start '
                'again from iteration 0. Give a checkpoint with --resume PATH, or delete '
                f'{self.work_dir}/last_checkpoint to start from scratch.')
        self.logger.info(f'no checkpoint in {self.work_dir} to resume from; '
                         'starting from scratch')

    def _log_env(self, env_cfg: dict) -> None:
        # mmengine logs the whole config (hundreds of lines) here, before the model is
        # built: a one-line error in the model config would come after it, buried. The
        # config is logged once the model is built (build_model).
        cfg, self.cfg = self.cfg, Config()
        try:
            super()._log_env(env_cfg)
        finally:
            self.cfg = cfg

    def build_model(self, model):
        if isinstance(model, nn.Module):
            return model
        with config_path('model'):
            model = MODELS.build(model)
        if self.cfg._cfg_dict:
            self.logger.info(f'Config:\n{self.cfg.pretty_text}')
        return model

    def register_hooks(self, default_hooks=None, custom_hooks=None) -> None:
        default_hooks = dict(default_hooks or {})
        ckpt = default_hooks.get('checkpoint', dict(type='CheckpointHook', interval=1))
        if isinstance(ckpt, dict) and ckpt.get('type') in ('CheckpointHook',
                                                           'mmengine.CheckpointHook'):
            default_hooks['checkpoint'] = dict(ckpt, type='ToolboxCheckpointHook')
        super().register_hooks(default_hooks, custom_hooks)
        if not any(isinstance(h, SafeCheckpointHook) for h in self.hooks):
            self.register_hook(SafeCheckpointHook())

    def load_checkpoint(self, filename: str, map_location='cpu', strict: bool = True,
                        revise_keys=None):
        # ``strict`` and ``revise_keys`` are accepted for mmengine's callers and ignored:
        # loading is always strict, and wrapper prefixes are handled by load_weights.
        if self._preloaded is not None and self._preloaded[0] == filename:
            checkpoint, self._preloaded = self._preloaded[1], None
        else:
            checkpoint = read_checkpoint(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = unwrap(self.model)
        load_weights(model, checkpoint, filename)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint
