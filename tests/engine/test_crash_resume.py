"""A run killed with SIGKILL and resumed ends bit-identical to an uninterrupted one."""
import os.path as osp

from ..utils import REPO, run_python


def test_sigkill_then_resume_loses_nothing(tmp_path, demo_root):
    result = run_python([osp.join(REPO, 'tools/crash_test.py'), '--iters', '6', '--kills', '1',
                         '--seed', '1', '--work-dir', str(tmp_path), '--cfg-options',
                         f'train_dataloader.dataset.data_root={demo_root}'], timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + (tmp_path / 'train.log').read_text()[-3000:]
    assert 'identical: weights, optimizer states and iteration' in result.stdout


def test_latest_checkpoint_ignores_a_stale_note(tmp_path):
    from toolbox.engine.checkpoint import latest_checkpoint
    assert latest_checkpoint(str(tmp_path)) is None
    for i in (2, 10, 9):
        (tmp_path / f'iter_{i}.pth').write_bytes(b'x')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_9.pth'))
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_10.pth')


def test_checkpoint_writes_are_atomic(tmp_path, monkeypatch):
    import os

    from toolbox.engine.checkpoint import AtomicLocalBackend
    target = tmp_path / 'c.pth'
    target.write_bytes(b'old complete file')

    def crash(src, dst):
        raise KeyboardInterrupt('killed before the rename')
    monkeypatch.setattr(os, 'replace', crash)
    try:
        AtomicLocalBackend().put(b'new', str(target))
    except KeyboardInterrupt:
        pass
    assert target.read_bytes() == b'old complete file'
    assert [p.name for p in tmp_path.iterdir()] == ['c.pth']      # no temporary left behind
