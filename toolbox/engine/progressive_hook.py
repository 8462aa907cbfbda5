"""Switching the stages of a progressive inpaintor as training goes."""
from __future__ import annotations

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from toolbox.registry import HOOKS


@HOOKS.register_module()
class ProgressiveStageHook(Hook):
    """Before every training iteration, put the model in the stage its scheduler assigns to
    that iteration: earlier stages frozen, the current one trainable.

    The stage follows from the iteration alone, so a run resumed from a checkpoint saved
    mid-stage or exactly at a boundary continues in the right stage with the right
    parameters frozen (the optimizer state comes from the checkpoint as usual). Each switch
    is logged with the stage's scale and resolution.
    """

    priority = 'HIGH'

    def __init__(self, full_size: tuple[int, int] | None = None) -> None:
        #: the final image size, only used to log the stage resolutions
        self.full_size = tuple(full_size) if full_size else None

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not hasattr(model, 'set_stage'):
            raise TypeError(f'ProgressiveStageHook needs a progressive model, got '
                            f'{type(model).__name__}')
        stage = model.scheduler.stage_at(runner.iter)
        if stage == model.current_stage and model._training_run:
            return
        model.set_stage(stage)
        sched = model.scheduler
        if runner.iter == sched.stage_start(stage):
            model.begin_stage(stage)        # a resumed run mid-stage has its weights already
        where = ''
        if self.full_size:
            h, w = sched.stage_size(stage, self.full_size)
            where = f' at {h}x{w} for {self.full_size[0]}x{self.full_size[1]} inputs'
        frozen = model.frozen_stages()
        runner.logger.info(
            f'progressive training: stage {stage + 1}/{sched.num_stages}{where} from '
            f'iteration {runner.iter}; frozen stages: '
            f'{", ".join(str(k + 1) for k in frozen) or "none"}')
