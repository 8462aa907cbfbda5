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


def train_demo(config: str, work_dir, iters: int, *options: str, data_root=None,
               timeout: int = 400) -> str:
    """Train ``config`` for ``iters`` iterations through ``tools/train.py`` in a fresh
    interpreter (one thread, run from ``work_dir``'s parent, a ``pathlib.Path``), validating
    and saving at the last one; returns the log."""
    data = [f'{split}_dataloader.dataset.data_root={data_root}'
            for split in ('train', 'val')] if data_root else []
    result = run_python([osp.join(REPO, 'tools/train.py'), osp.join(REPO, config),
                         '--work-dir', str(work_dir), '--cfg-options', *data,
                         f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
                         f'default_hooks.checkpoint.interval={iters}',
                         'default_hooks.logger.interval=1', *options],
                        cwd=str(work_dir.parent),
                        env={'OMP_NUM_THREADS': '1'}, timeout=timeout)
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout + result.stderr


def inpaint_box(config: str, checkpoint, image, box: tuple[slice, slice], folder, *options: str):
    """Inpaint ``image`` (a path, or a uint8 array written to ``folder``) inside ``box``
    through ``tools/inpaint.py``'s ``main``; checks that the known pixels are kept and
    returns ``(written, original, mask)``."""
    import cv2
    import numpy as np
    if not isinstance(image, str):
        cv2.imwrite(osp.join(folder, 'image.png'), image)
        image = osp.join(folder, 'image.png')
    original = cv2.imread(image)
    mask = np.zeros(original.shape[:2], np.uint8)
    mask[box] = 255
    mask_path, out = osp.join(folder, 'mask.png'), osp.join(folder, 'out.png')
    cv2.imwrite(mask_path, mask)
    assert load_tool('inpaint').main(['--config', osp.join(REPO, config), '--checkpoint',
                                      str(checkpoint), '--image', image, '--mask', mask_path,
                                      '--out', out, *options]) == 0
    written = cv2.imread(out)
    assert written.shape == original.shape
    assert np.array_equal(written[mask == 0], original[mask == 0])
    return written, original, mask
