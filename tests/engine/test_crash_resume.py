"""Kills lose nothing: atomic checkpoint writes, saving before pruning, a resume that skips
incomplete checkpoints and never silently starts again from iteration 0."""
import itertools
import os.path as osp

import pytest

from ..utils import REPO, load_tool, run_python

DEMO = osp.join(REPO, 'configs/basic/demo.py')
_runs = itertools.count()


@pytest.mark.slow
def test_sigkill_inside_writes_then_resume_loses_nothing(tmp_path, demo_root):
    """The short version of ``tools/crash_test.py --kills 20``: both kills land inside a
    write (a checkpoint and a ``last_checkpoint`` note), through the fault point."""
    result = run_python([osp.join(REPO, 'tools/crash_test.py'), '--iters', '4', '--kills', '2',
                         '--seed', '0', '--work-dir', str(tmp_path), '--cfg-options',
                         f'train_dataloader.dataset.data_root={demo_root}'], timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + (tmp_path / 'train.log').read_text()[-3000:]
    assert 'in write #2 of last_checkpoint' in result.stdout
    assert 'in write #2 of iter_*.pth' in result.stdout
    assert 'identical: weights, optimizer states and iteration after 2 kill(s), 2 of them ' \
           'inside a write' in result.stdout


def test_plain_paths_are_written_by_the_atomic_backend():
    """Issue 13.1: registered without prefixes='', plain paths kept mmengine's LocalBackend."""
    from mmengine.fileio import get_file_backend

    from toolbox.engine.checkpoint import AtomicLocalBackend, install_atomic_local_backend
    install_atomic_local_backend()
    assert type(get_file_backend('/some/work_dir/iter_5.pth')) is AtomicLocalBackend
    assert type(get_file_backend('relative/iter_5.pth')) is AtomicLocalBackend


def _cfg(work, demo_root, **extra):
    from mmengine.config import Config
    cfg = Config.fromfile(DEMO)
    cfg.merge_from_dict({'train_dataloader.dataset.data_root': demo_root,
                         'val_dataloader.dataset.data_root': demo_root,
                         'work_dir': str(work), 'experiment_name': f'run{next(_runs)}', **extra})
    return cfg


def test_the_new_checkpoint_is_written_before_the_old_one_is_pruned(tmp_path, demo_root):
    """Issue 13.2: with max_keep_ckpts=1, a kill 15 ms into a save left no checkpoint."""
    from mmengine.hooks import CheckpointHook

    from toolbox.engine import ToolboxRunner
    runner = ToolboxRunner.from_cfg(_cfg(tmp_path, demo_root, **{
        'default_hooks.checkpoint.max_keep_ckpts': 1}))
    hook = next(h for h in runner.hooks if isinstance(h, CheckpointHook))
    hook.before_train(runner)
    (tmp_path / 'iter_1.pth').write_bytes(b'the only checkpoint')
    hook.keep_ckpt_ids.append(1)

    def killed_while_saving(*args, **kwargs):
        raise KeyboardInterrupt('killed inside the write of iter_2.pth')
    runner.save_checkpoint = killed_while_saving
    with pytest.raises(KeyboardInterrupt):
        hook._save_checkpoint_with_step(runner, 2, dict(iter=2))
    assert (tmp_path / 'iter_1.pth').read_bytes() == b'the only checkpoint'

    # The next save completes: the new file and the note first, then what is too old,
    # including iter_1, which the interrupted save had already dropped from its list.
    runner.save_checkpoint = lambda out_dir, name, *a, **k: (tmp_path / name).write_bytes(b'3')
    hook._save_checkpoint_with_step(runner, 3, dict(iter=3))
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == ['iter_3.pth']
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'iter_3.pth')


def _train(tmp_path, demo_root, iters, *extra, resume=False):
    work = tmp_path / 'work'
    argv = [DEMO, '--work-dir', str(work), *(['--resume'] if resume else []),
            '--cfg-options', f'train_dataloader.dataset.data_root={demo_root}',
            f'val_dataloader.dataset.data_root={demo_root}', f'train_cfg.max_iters={iters}',
            'train_cfg.val_interval=100', 'default_hooks.checkpoint.interval=1',
            'default_hooks.checkpoint.max_keep_ckpts=3', f'experiment_name=run{next(_runs)}',
            *extra]
    return load_tool('train').main(argv), work


def test_resume_skips_incomplete_checkpoints_and_refuses_when_none_loads(tmp_path, demo_root,
                                                                         capsys):
    code, work = _train(tmp_path, demo_root, 2)
    assert code == 0
    (work / 'iter_2.pth').write_bytes((work / 'iter_2.pth').read_bytes()[:5000])   # truncated
    code, _ = _train(tmp_path, demo_root, 3, resume=True)
    out = capsys.readouterr().out
    assert code == 0
    assert f'--resume: skipping {work}/iter_2.pth: checkpoint {work}/iter_2.pth cannot be ' \
           'read: it is truncated' in out
    assert f'Auto resumed from the latest checkpoint {work}/iter_1.pth' in out
    assert 'Iter(train) [2/3]' in out and 'Iter(train) [1/3]' not in out

    for name in ('iter_1.pth', 'iter_2.pth', 'iter_3.pth'):
        if (work / name).exists():
            (work / name).write_bytes(b'')
    code, _ = _train(tmp_path, demo_root, 4, resume=True)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith(f'error: {DEMO}: --resume: {work} held a training, but none of '
                              'its checkpoints loads')
    assert 'refusing to start again from iteration 0' in err[-1]


def test_a_note_naming_a_deleted_checkpoint_is_not_a_fresh_start(tmp_path, demo_root, capsys):
    work = tmp_path / 'work'
    work.mkdir()
    (work / 'last_checkpoint').write_text(str(work / 'iter_7.pth'))
    code, _ = _train(tmp_path, demo_root, 2, resume=True)
    assert code == 2
    assert f'its last_checkpoint note names {work}/iter_7.pth, which does not exist' in \
        capsys.readouterr().err
    assert not (work / 'iter_1.pth').exists()
