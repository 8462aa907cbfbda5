"""Helpers shared by the tests."""
from __future__ import annotations

import os
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def run_python(args: list[str], cwd: str | None = None, env: dict | None = None,
               timeout: int = 300) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` in a fresh interpreter; the result's output is text."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, *args], cwd=cwd or REPO, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def load_tool(name: str):
    """The module behind ``tools/<name>.py`` (``toolbox.commands.<name>``; a path
    ``tools/benchmarks/<name>.py`` means ``toolbox.benchmarks.<name>``), to call its
    ``main(argv)`` in this process. Tests import the package, never the scripts."""
    import importlib
    base = osp.splitext(osp.basename(name))[0]
    if '/benchmarks/' in name:
        return importlib.import_module(f'toolbox.benchmarks.{base}')
    return importlib.import_module(f'toolbox.commands.{ {"convert_weights": "convert"}.get(base, base)}')

