"""Engine pieces around mmengine's Runner: the toolbox runner, checkpoints, hooks."""
from .checkpoint import CheckpointMismatchError, SafeCheckpointHook, from_safe, to_safe
from .runner import ToolboxRunner
from .visualization import InpaintingVisualizationHook, save_result_grid

__all__ = ['ToolboxRunner', 'SafeCheckpointHook', 'CheckpointMismatchError', 'to_safe',
           'from_safe', 'InpaintingVisualizationHook', 'save_result_grid']
