"""Entry points for user code and the command-line tools."""
from .config import (ConfigError, apply_amp, load_config, set_work_dir, setup_launcher,
                     shutdown_distributed)
from .export import export_onnx
from .inference import init_inpaintor, inpaint

__all__ = ['load_config', 'ConfigError', 'apply_amp', 'set_work_dir', 'setup_launcher',
           'shutdown_distributed', 'init_inpaintor', 'inpaint', 'export_onnx']
