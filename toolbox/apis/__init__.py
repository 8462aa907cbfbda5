"""Entry points for user code and the command-line tools."""
from .config import (ConfigError, apply_amp, load_config, set_work_dir, setup_launcher,
                     shutdown_distributed)
from .convert import WeightConversionError, convert_weights, weight_formats
from .export import export_onnx
from .hd import HD_STRATEGIES
from .inference import CheckpointRequiredError, init_inpaintor, inpaint

__all__ = ['load_config', 'ConfigError', 'apply_amp', 'set_work_dir', 'setup_launcher',
           'shutdown_distributed', 'init_inpaintor', 'inpaint', 'CheckpointRequiredError',
           'HD_STRATEGIES', 'convert_weights', 'weight_formats', 'WeightConversionError',
           'export_onnx']
