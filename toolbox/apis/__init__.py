"""Entry points for user code and the command-line tools."""
from .config import ConfigError, apply_amp, load_config, setup_launcher, shutdown_distributed
from .inference import init_inpaintor, inpaint

__all__ = ['load_config', 'ConfigError', 'apply_amp', 'setup_launcher', 'shutdown_distributed',
           'init_inpaintor',
           'inpaint']
