"""Engine pieces around mmengine's Runner: the toolbox runner, checkpoints, hooks."""
from .checkpoint import (CheckpointLoadError, CheckpointMismatchError, SafeCheckpointHook,
                         from_safe, load_weights, read_checkpoint, to_safe)
from .runner import ToolboxRunner
from .visualization import InpaintingVisualizationHook, save_result_grid

__all__ = ['ToolboxRunner', 'SafeCheckpointHook', 'CheckpointMismatchError', 'CheckpointLoadError',
           'read_checkpoint', 'load_weights', 'to_safe',
           'from_safe', 'InpaintingVisualizationHook', 'save_result_grid']
