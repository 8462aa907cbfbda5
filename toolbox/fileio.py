"""Atomic file writes: a reader sees the old file or the new one, never a part of either.

Every file the Runner and the tools write (checkpoints, the ``last_checkpoint`` note,
evaluation tables, inpainted images, result grids) goes through :func:`atomic_write`:
the bytes go to a temporary file in the target's folder, which is flushed and synced,
renamed over the target, and the folder is synced so the rename itself survives a power
cut. A process killed at any moment leaves the previous file intact; what it may leave is
a hidden ``.<name>.<pid>-<random>.part`` file, which :func:`remove_partial_files` clears.

Fault injection (for ``tools/crash_test.py`` only): with ``TOOLBOX_FAULT_KILL_IN_WRITE=N``
(or ``N:GLOB``) in the environment, the process kills itself with SIGKILL in the middle of
its N-th atomic write (counting only files whose name matches GLOB), after half the bytes
are on disk in the temporary file. A crash test then hits the write window every time
instead of hoping a random kill lands in its few milliseconds.
"""
from __future__ import annotations

import fnmatch
import glob
import os
import os.path as osp
import secrets
import signal

__all__ = ['WriteError', 'atomic_write', 'atomic_write_text', 'write_image',
           'check_image_path', 'remove_partial_files', 'FAULT_ENV']

#: Test-only: ``N`` or ``N:GLOB``; see the module docstring.
FAULT_ENV = 'TOOLBOX_FAULT_KILL_IN_WRITE'
_PARTIAL_SUFFIX = '.part'
_writes_seen = 0


class WriteError(OSError):
    """A file that cannot be written (read-only folder, full disk, unknown image format);
    the message names the file."""


def _fault_due(path: str) -> bool:
    """True when the fault-injection setting says this write is the one to die in."""
    global _writes_seen
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return False
    count, _, pattern = spec.partition(':')
    if pattern and not fnmatch.fnmatch(osp.basename(path), pattern):
        return False
    _writes_seen += 1
    return _writes_seen == int(count)


def _fsync_folder(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:          # some platforms cannot open folders; the rename still happened
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _why(path: str, exc: OSError) -> str:
    hint = ' (is the folder read-only?)' if isinstance(exc, PermissionError) else ''
    return f'cannot write {path}: {exc.strerror or exc}{hint}'


def atomic_write(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename, fsync folder).

    Raises :class:`WriteError` naming ``path`` when the folder cannot be written.
    """
    path = os.fspath(path)
    folder = osp.dirname(osp.abspath(path))
    tmp = osp.join(folder, f'.{osp.basename(path)}.{os.getpid()}-{secrets.token_hex(4)}'
                           f'{_PARTIAL_SUFFIX}')
    try:
        os.makedirs(folder, exist_ok=True)
        # os.open with 0o666 (not mkstemp's 0o600): the file gets the user's umask.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise WriteError(_why(path, exc)) from exc
    try:
        with os.fdopen(fd, 'wb') as f:
            if _fault_due(path):
                f.write(data[:len(data) // 2])
                f.flush()
                os.fsync(f.fileno())
                os.kill(os.getpid(), signal.SIGKILL)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.remove(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and not isinstance(exc, WriteError):
            raise WriteError(_why(path, exc)) from exc
        raise
    _fsync_folder(folder)


def atomic_write_text(path, text: str, encoding: str = 'utf-8') -> None:
    atomic_write(path, text.encode(encoding))


def check_image_path(path: str, what: str = 'output') -> None:
    """Raise :class:`WriteError` unless OpenCV can write an image named ``path``: call it
    before the work, so an unknown extension costs nothing."""
    import cv2
    ext = osp.splitext(path)[1]
    if not ext or not cv2.haveImageWriter(path):
        raise WriteError(f'{what} {path}: cannot write images with extension {ext or "(none)"!r}; '
                         'use .png, .jpg, .bmp, .tif or .webp')


def write_image(path: str, rgb, what: str = 'output') -> None:
    """Encode the RGB uint8 ``(H, W, 3)`` (or ``(H, W)``) array by ``path``'s extension and
    write it atomically."""
    import cv2
    import numpy as np
    check_image_path(path, what)
    arr = np.ascontiguousarray(rgb[..., ::-1] if rgb.ndim == 3 else rgb)   # RGB -> BGR
    ok, buf = cv2.imencode(osp.splitext(path)[1], arr)
    if not ok:
        raise WriteError(f'{what} {path}: OpenCV could not encode the image')
    atomic_write(path, buf.tobytes())


def remove_partial_files(folder: str) -> list[str]:
    """Delete the temporary files that writes killed mid-way left in ``folder``; returns them."""
    removed = []
    for path in glob.glob(osp.join(glob.escape(folder), f'.*{_PARTIAL_SUFFIX}')):
        try:
            os.remove(path)
            removed.append(path)
        except OSError:
            pass
    return removed
