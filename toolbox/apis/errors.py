"""Errors that are the user's input, reported as one line by the command-line tools."""
from __future__ import annotations

import sys
from collections.abc import Callable


def user_errors() -> tuple[type[BaseException], ...]:
    from toolbox.builder import ConfigKeywordError, UnknownComponentError
    from toolbox.converters import WeightConversionError
    from toolbox.datasets import DatasetError, ImageLoadError, MaskSizeError
    from toolbox.engine import CheckpointLoadError, CheckpointMismatchError
    from toolbox.engine.config_check import ConfigValueError
    from toolbox.extras import MissingExtraError
    from toolbox.fileio import WriteError
    from toolbox.models import NonFiniteLossError
    from toolbox.zoo import ZooError

    from .batch import ManifestError
    from .config import ConfigError, ProcessGroupError
    from .export import ExportError
    from .inference import CheckpointRequiredError
    from .onnx_model import OnnxModelError
    return (ConfigError, UnknownComponentError, ConfigKeywordError, CheckpointMismatchError,
            CheckpointLoadError, CheckpointRequiredError, ImageLoadError, MaskSizeError,
            DatasetError, WriteError, FileNotFoundError, NonFiniteLossError,
            WeightConversionError, ExportError, OnnxModelError, ManifestError, ProcessGroupError,
            MissingExtraError, ConfigValueError, ZooError)


def run_reporting_errors(main: Callable[[], None], context: str) -> int:
    """Run ``main``; a user error becomes ``error: <context>: <message>`` and exit code 2.

    Set ``TOOLBOX_TRACEBACK=1`` to see the full traceback instead.
    """
    import os
    try:
        main()
    except user_errors() as exc:
        if os.environ.get('TOOLBOX_TRACEBACK'):
            raise
        message = ' '.join(str(exc).splitlines())      # one line, whatever the exception held
        print(f'error: {context}: {message}', file=sys.stderr)
        return 2
    return 0
