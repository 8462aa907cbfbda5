"""Issue 27.1: a distributed run that trained correctly exits 0.

The abort itself ("terminate called without an active exception" at interpreter exit)
cannot be forced, so these tests hold the pieces that prevent it: the order of the
shutdown (dataloader workers, barrier, ``destroy_process_group``), the exit that skips
the interpreter's teardown, and the launcher's completion marker.
"""
import os
import os.path as osp
import stat
import subprocess
import sys
import textwrap
import types

import pytest
import torch.distributed as dist
from torch.utils.data import DataLoader

from toolbox.apis import config as config_module
from toolbox.apis.config import COMPLETION_MARKER_ENV, shutdown_distributed

from ..utils import REPO, load_tool


def _runner_with_persistent_workers():
    loader = DataLoader(list(range(8)), batch_size=2, num_workers=1, persistent_workers=True)
    next(iter(loader))                   # starts the worker, which stays (persistent)
    workers = list(loader._iterator._workers)
    assert workers and all(w.is_alive() for w in workers)
    loop = types.SimpleNamespace(dataloader=loader)
    return types.SimpleNamespace(_train_loop=loop, _val_loop={'type': 'ValLoop'},
                                 _test_loop=None), workers


def _fake_group(monkeypatch, events, workers=(), rank=0):
    def barrier():
        events.append(('barrier', [w.is_alive() for w in workers]))

    monkeypatch.setattr(dist, 'is_available', lambda: True)
    monkeypatch.setattr(dist, 'is_initialized', lambda: True)
    monkeypatch.setattr(dist, 'get_rank', lambda: rank)
    monkeypatch.setattr(dist, 'barrier', barrier)
    monkeypatch.setattr(dist, 'destroy_process_group', lambda: events.append(('destroy',)))


def test_workers_stop_before_the_barrier_and_the_group_closes_after_it(monkeypatch):
    runner, workers = _runner_with_persistent_workers()
    events = []
    _fake_group(monkeypatch, events, workers)
    monkeypatch.delenv(COMPLETION_MARKER_ENV, raising=False)
    assert shutdown_distributed(runner) is True
    # the workers were gone when the barrier was reached; the group closed after it
    assert events == [('barrier', [False]), ('destroy',)]
    assert runner._train_loop.dataloader._iterator is None


def test_single_process_run_only_stops_the_workers(monkeypatch):
    runner, workers = _runner_with_persistent_workers()
    monkeypatch.setattr(dist, 'is_initialized', lambda: False)
    assert shutdown_distributed(runner) is False
    assert not any(w.is_alive() for w in workers)


@pytest.mark.parametrize('rank', [0, 1])
def test_rank_0_writes_the_completion_marker_after_the_barrier(monkeypatch, tmp_path, rank):
    marker = tmp_path / 'done'
    events = []
    _fake_group(monkeypatch, events, rank=rank)
    monkeypatch.setenv(COMPLETION_MARKER_ENV, str(marker))
    real_open = open

    def watching_open(path, *args, **kwargs):
        if str(path) == str(marker):
            events.append(('marker',))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr('builtins.open', watching_open)
    shutdown_distributed()
    if rank == 0:
        assert [e[0] for e in events] == ['barrier', 'marker', 'destroy']
        assert marker.exists()
    else:
        assert [e[0] for e in events] == ['barrier', 'destroy'] and not marker.exists()


def test_train_entry_point_shuts_down_then_exits_without_teardown(monkeypatch, tmp_path):
    """tools/train.py: train, then shutdown_distributed(runner), then the hard exit."""
    import toolbox.apis
    import toolbox.engine
    events = []

    class FakeRunner:
        def train(self):
            events.append('train')

    runner = FakeRunner()
    cfg = types.SimpleNamespace(get=lambda *a: None)
    monkeypatch.setattr(toolbox.apis, 'load_config', lambda *a: cfg)
    monkeypatch.setattr(toolbox.apis, 'set_work_dir', lambda *a: None)
    monkeypatch.setattr(toolbox.apis, 'setup_launcher', lambda *a: events.append('setup'))
    monkeypatch.setattr(toolbox.engine.ToolboxRunner, 'from_cfg', classmethod(lambda c, x: runner))
    monkeypatch.setattr(toolbox.apis, 'shutdown_distributed',
                        lambda r=None: events.append(('shutdown', r is runner)) or True)
    monkeypatch.setattr(config_module, 'exit_after_distributed',
                        lambda code: events.append(('exit', code)))
    load_tool('train').main([osp.join(REPO, 'configs/basic/demo.py'),
                             '--launcher', 'pytorch', '--work-dir', str(tmp_path)])
    assert events == ['setup', 'train', ('shutdown', True), ('exit', 0)]


def test_exit_after_distributed_flushes_what_was_written(tmp_path):
    code = textwrap.dedent("""
        import logging, sys
        from toolbox.apis.config import exit_after_distributed
        logging.basicConfig(filename=sys.argv[1], level=logging.INFO)
        logging.info('logged before the exit')
        print('printed before the exit', end='')       # still in the buffer
        exit_after_distributed(3)
        print('never')
    """)
    log = tmp_path / 'log.txt'
    result = subprocess.run([sys.executable, '-c', code, str(log)], capture_output=True,
                            text=True, timeout=120, cwd=REPO)
    assert result.returncode == 3
    assert result.stdout == 'printed before the exit'
    assert 'logged before the exit' in log.read_text()


def _fake_torchrun(tmp_path, body: str) -> dict:
    """A ``python`` first on PATH that stands in for torchrun (tools/dist_train.sh runs
    ``python -m torch.distributed.run``)."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    fake = bin_dir / 'python'
    fake.write_text('#!/bin/sh\n' + body)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return dict(os.environ, PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}')


@pytest.mark.parametrize('marker', [True, False])
def test_dist_train_counts_a_failure_after_the_marker_as_success(tmp_path, marker):
    # torchrun's exit status 1 after a rank aborted at exit: success only with the marker
    body = ('echo "$TOOLBOX_COMPLETION_MARKER" > "$(dirname "$0")/marker_path"\n'
            + ('touch "$TOOLBOX_COMPLETION_MARKER"\n' if marker else '') + 'exit 1\n')
    env = _fake_torchrun(tmp_path, body)
    result = subprocess.run(['bash', osp.join(REPO, 'tools/dist_train.sh'), 'cfg.py', '2'],
                            env=env, capture_output=True, text=True, timeout=60)
    if marker:
        assert result.returncode == 0, result.stderr
        assert 'after every process had finished training' in result.stderr
    else:
        assert result.returncode == 1 and 'finished training' not in result.stderr
    path = (tmp_path / 'bin' / 'marker_path').read_text().strip()
    assert path and not osp.exists(path)               # fresh per run, removed after


def test_dist_train_passes_on_a_real_failure_and_success(tmp_path):
    env = _fake_torchrun(tmp_path, 'exit "$FAKE_STATUS"\n')
    for status in (0, 3):
        result = subprocess.run(['bash', osp.join(REPO, 'tools/dist_train.sh'), 'c.py', '2'],
                                env=dict(env, FAKE_STATUS=str(status)), capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == status, result.stderr
