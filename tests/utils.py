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
    """``tools/<name>.py`` (or the repository path ``name`` ending in ``.py``) as a module,
    to call its ``main(argv)`` in this process."""
    import importlib.util
    path = osp.join(REPO, name) if name.endswith('.py') else osp.join(REPO, 'tools', f'{name}.py')
    spec = importlib.util.spec_from_file_location(
        'tool_' + osp.splitext(osp.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
