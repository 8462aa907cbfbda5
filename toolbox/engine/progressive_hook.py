"""Logging the stages of a progressive inpaintor as training goes."""
from __future__ import annotations

from mmengine.hooks import Hook

from toolbox.models.distributed import unwrap
from toolbox.registry import HOOKS


@HOOKS.register_module()
class ProgressiveStageHook(Hook):
    """Log each stage switch of a progressive model with the stage's scale and resolution.

    The model switches stages by itself: the stage follows from the number of training
    steps it has taken (saved in checkpoints), so a run resumed mid-stage or exactly at a
    boundary continues in the right stage with the right parameters frozen, with or without
    this hook.
    """

    priority = 'HIGH'

    def __init__(self, full_size: tuple[int, int] | None = None) -> None:
        #: the final image size, only used to log the stage resolutions
        self.full_size = tuple(full_size) if full_size else None
        self._logged: int | None = None     # the last stage logged (logging only)

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        model = unwrap(runner.model)
        if not hasattr(model, 'scheduler') or not hasattr(model, 'current_stage'):
            raise TypeError(f'ProgressiveStageHook needs a progressive model, got '
                            f'{type(model).__name__}')
        stage = model.current_stage
        if stage == self._logged:
            return
        self._logged = stage
        sched = model.scheduler
        where = ''
        if self.full_size:
            h, w = sched.stage_size(stage, self.full_size)
            where = f' at {h}x{w} for {self.full_size[0]}x{self.full_size[1]} inputs'
        frozen = model.frozen_stages()
        runner.logger.info(
            f'progressive training: stage {stage + 1}/{sched.num_stages}{where} from '
            f'iteration {runner.iter}; frozen stages: '
            f'{", ".join(str(k + 1) for k in frozen) or "none"}')
