"""Optional features and the extras that install them (``pip install
"inpainting-toolbox[EXTRA]"``): a feature whose packages are missing fails in one line that
names the extra, instead of an ImportError deep inside it.

* ``onnx``: ``toolbox export`` and ``toolbox inpaint --onnx`` (onnx, onnxscript, onnxruntime);
* ``plot``: ``toolbox browse-masks`` (matplotlib);
* ``fast-metrics``: numba's fused float64 SSIM/MSE kernels; without it the metrics fall back
  to torch operators silently (same values, slower), so nothing here requires it;
* ``serve``: ``toolbox serve`` (FastAPI, uvicorn).
"""
from __future__ import annotations

import importlib

DISTRIBUTION = 'inpainting-toolbox'


class MissingExtraError(ImportError):
    """An optional feature's package is not installed; the message names the extra."""


def require(extra: str, feature: str, *modules: str) -> None:
    """Import ``modules`` or raise :class:`MissingExtraError` naming ``extra``."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise MissingExtraError(
                f'{feature} needs the package {name}, which is not installed: '
                f'pip install "{DISTRIBUTION}[{extra}]"') from exc
