"""What the test run leaves on disk (CI once ran out of it): a passing test's ``tmp_path`` is
removed when the test ends, a failing test's stays to be read (setup.cfg's
``tmp_path_retention_policy``)."""
from __future__ import annotations

import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def test_a_passing_tests_folder_is_removed_and_a_failing_tests_folder_kept(tmp_path):
    (tmp_path / 'test_inner.py').write_text(
        "def test_passes(tmp_path):\n"
        "    (tmp_path / 'checkpoint.pth').write_bytes(b'x' * 1000)\n"
        "def test_fails(tmp_path):\n"
        "    (tmp_path / 'checkpoint.pth').write_bytes(b'x' * 1000)\n"
        "    assert False\n")
    base = tmp_path / 'basetemp'
    result = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-c', osp.join(REPO, 'setup.cfg'),
         '--rootdir', str(tmp_path), '--basetemp', str(base), str(tmp_path / 'test_inner.py')],
        cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    assert '1 failed, 1 passed' in result.stdout, result.stdout + result.stderr
    assert not (base / 'test_passes0').exists()
    assert (base / 'test_fails0' / 'checkpoint.pth').exists()
