"""Engine pieces around mmengine's Runner: the toolbox runner, checkpoints, hooks."""
from .checkpoint import (CheckpointLoadError, CheckpointMismatchError, SafeCheckpointHook,
                         ToolboxCheckpointHook, from_safe, load_weights, read_checkpoint,
                         to_safe)
from .consistency_hook import RankConsistencyHook, RankDivergenceError, weights_digest
from .progressive_hook import ProgressiveStageHook
from .visualization import InpaintingVisualizationHook, save_result_grid

__all__ = ['ToolboxRunner', 'SafeCheckpointHook', 'ToolboxCheckpointHook',
           'CheckpointMismatchError', 'CheckpointLoadError',
           'read_checkpoint', 'load_weights', 'to_safe',
           'from_safe', 'InpaintingVisualizationHook', 'save_result_grid',
           'ProgressiveStageHook', 'RankConsistencyHook', 'RankDivergenceError',
           'weights_digest']


def __getattr__(name: str):
    # The Runner pulls in mmengine.runner (about 2 s): import it only when training.
    if name == 'ToolboxRunner':
        from .runner import ToolboxRunner
        return ToolboxRunner
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
