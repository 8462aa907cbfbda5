"""Atomic writes: a kill inside the write leaves the old file, unwritable targets are named."""
import os
import signal

import numpy as np
import pytest

from toolbox import fileio
from toolbox.fileio import (FAULT_ENV, WriteError, atomic_write, check_image_path,
                            remove_partial_files, write_image)

from .utils import run_python


@pytest.mark.slow
def test_a_kill_inside_the_write_leaves_the_previous_file(tmp_path):
    target = tmp_path / 'c.pth'
    target.write_bytes(b'old complete file')
    code = ('import sys; from toolbox.fileio import atomic_write; '
            'atomic_write(sys.argv[1], b"n" * 100000)')
    result = run_python(['-c', code, str(target)], env={FAULT_ENV: '1:*.pth'}, timeout=120)
    assert result.returncode == -signal.SIGKILL               # died inside the write
    assert target.read_bytes() == b'old complete file'
    partial = [p for p in tmp_path.iterdir() if p.name != 'c.pth']
    assert len(partial) == 1 and partial[0].stat().st_size == 50000   # half was on disk
    assert remove_partial_files(str(tmp_path)) == [str(partial[0])]
    assert [p.name for p in tmp_path.iterdir()] == ['c.pth']


def test_the_fault_point_counts_only_matching_files(tmp_path, monkeypatch):
    monkeypatch.setenv(FAULT_ENV, '2:*.pth')
    monkeypatch.setattr(fileio, '_writes_seen', 0)
    killed = []
    monkeypatch.setattr(os, 'kill', lambda pid, sig: killed.append(sig))
    atomic_write(tmp_path / 'note', b'x')           # not a .pth: not counted
    atomic_write(tmp_path / 'a.pth', b'x')
    assert not killed
    atomic_write(tmp_path / 'b.pth', b'x')
    assert killed == [signal.SIGKILL]


def test_an_unwritable_folder_is_a_write_error_naming_the_file(tmp_path, monkeypatch):
    folder = tmp_path / 'ro'
    folder.mkdir()
    if os.geteuid() == 0:       # root ignores permission bits: the OS refuses as it would
        real_open = os.open

        def refuse(path, *args, **kwargs):
            if str(path).startswith(str(folder)):
                raise PermissionError(13, 'Permission denied', str(path))
            return real_open(path, *args, **kwargs)
        monkeypatch.setattr(os, 'open', refuse)
    else:
        folder.chmod(0o500)
    with pytest.raises(WriteError, match=r'cannot write .*ro/x\.pth: Permission denied '
                                         r'\(is the folder read-only\?\)'):
        atomic_write(folder / 'x.pth', b'x')


def test_images_are_written_atomically_and_the_extension_checked_first(tmp_path):
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[..., 0] = 255
    write_image(str(tmp_path / 'a.png'), rgb)
    import cv2
    assert cv2.imread(str(tmp_path / 'a.png'))[0, 0].tolist() == [0, 0, 255]    # BGR on disk
    with pytest.raises(WriteError, match=r"--out x\.xyz: cannot write images with extension '\.xyz'"):
        check_image_path('x.xyz', '--out')
    assert sorted(p.name for p in tmp_path.iterdir()) == ['a.png']


def _table(tmp_path, value):
    from toolbox.evaluation.report import TypeTable
    table = TypeTable(columns=[])
    table.set('Thick', {'PSNR': value}, 1)
    return table.save(str(tmp_path))


def _grid(tmp_path, value):
    import torch

    from toolbox.engine import save_result_grid
    x = torch.full((1, 3, 4, 4), value / 100)
    return [save_result_grid(str(tmp_path / 'grid.png'), x, torch.zeros(1, 1, 4, 4), x)]


def _image(tmp_path, value):
    write_image(str(tmp_path / 'out.png'), np.full((4, 4, 3), value, np.uint8))
    return [str(tmp_path / 'out.png')]


@pytest.mark.parametrize('writer', [_table, _grid, _image], ids=['evaluation table',
                                                                 'result grid', 'inpainted image'])
def test_the_tools_files_go_through_the_atomic_writer(tmp_path, monkeypatch, writer):
    """Killed inside the second save, each of these files still holds the first one."""
    first = {os.path.basename(p): open(p, 'rb').read() for p in writer(tmp_path, 10)}

    def die(pid, sig):
        raise SystemExit('killed inside the write')
    monkeypatch.setattr(os, 'kill', die)
    monkeypatch.setattr(fileio, '_writes_seen', 0)
    monkeypatch.setenv(FAULT_ENV, '1')
    with pytest.raises(SystemExit):
        writer(tmp_path, 20)
    for name, data in first.items():
        assert (tmp_path / name).read_bytes() == data, name
