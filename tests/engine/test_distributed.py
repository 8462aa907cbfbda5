"""Two processes on the CPU (gloo): same weights on both ranks, rank 0 writes, and a
resumed distributed run continues from the trained weights, not from random ones."""
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch

from ..utils import REPO


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _dist_train(cfg, work, demo_root, max_iters, *extra):
    env = dict(os.environ, PORT=str(_free_port()),
               PATH=osp.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))
    cmd = ['bash', osp.join(REPO, 'tools/dist_train.sh'), str(cfg), '2', '--work-dir', str(work),
           *extra, '--cfg-options', f'train_cfg.max_iters={max_iters}',
           f'train_cfg.val_interval={max_iters}', 'default_hooks.checkpoint.interval=2',
           f'train_dataloader.dataset.data_root={demo_root}',
           f'val_dataloader.dataset.data_root={demo_root}']
    return subprocess.run(cmd, cwd=str(work.parent), env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.slow
def test_two_processes_agree_and_resume_holds_the_trained_weights(tmp_path, demo_root):
    cfg = tmp_path / 'dist.py'
    cfg.write_text(f"_base_ = [{osp.join(REPO, 'configs/basic/demo.py')!r}]\n"
                   "custom_hooks = [dict(type='RankConsistencyHook', interval=1)]\n")
    full = _dist_train(cfg, tmp_path / 'full', demo_root, 4)
    assert full.returncode == 0, full.stdout[-3000:] + full.stderr[-3000:]
    log = full.stdout + full.stderr
    assert 'after 4 iterations: weights identical on all 2 processes' in log
    names = sorted(os.listdir(tmp_path / 'full'))
    assert 'iter_2.pth' in names and 'iter_4.pth' in names
    assert not any('rank1' in n for n in names)
    ckpt = torch.load(tmp_path / 'full' / 'iter_2.pth', weights_only=True)
    assert not any('.module.' in k for k in ckpt['state_dict'])      # bare keys on disk

    resumed = _dist_train(cfg, tmp_path / 'resumed', demo_root, 4,
                          '--resume', str(tmp_path / 'full' / 'iter_2.pth'))
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert 'resumed epoch: 0, iter: 2' in resumed.stdout + resumed.stderr
    a = torch.load(tmp_path / 'full' / 'iter_4.pth', weights_only=True)['state_dict']
    b = torch.load(tmp_path / 'resumed' / 'iter_4.pth', weights_only=True)['state_dict']
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_progressive_flagship_trains_every_stage_on_two_processes(tmp_path, demo_root):
    # One DDP wrapper per stage: the frozen and the later stages must not be waited for.
    cfg = tmp_path / 'flagship.py'
    cfg.write_text(f"_base_ = [{osp.join(REPO, 'configs/sa_patchgan/demo.py')!r}]\n"
                   "model = dict(scheduler=dict(stage_iters=(2, 2, 2, 2, 2)))\n"
                   "default_hooks = dict(checkpoint=dict(max_keep_ckpts=-1))\n"
                   "custom_hooks = [dict(type='ProgressiveStageHook', full_size=(64, 64)),\n"
                   "                dict(type='RankConsistencyHook', interval=1)]\n")
    full = _dist_train(cfg, tmp_path / 'full', demo_root, 10)
    log = full.stdout + full.stderr
    assert full.returncode == 0, log[-6000:]
    assert 'stage 5/5 at 64x64' in log and 'frozen stages: 1, 2, 3, 4' in log
    for it in range(1, 11):
        assert f'after {it} iterations: weights identical on all 2 processes' in log

    # resumed at the end of stage 2, it trains stages 3-5 to the same weights
    resumed = _dist_train(cfg, tmp_path / 'resumed', demo_root, 10,
                          '--resume', str(tmp_path / 'full' / 'iter_4.pth'))
    assert resumed.returncode == 0, (resumed.stdout + resumed.stderr)[-6000:]
    a = torch.load(tmp_path / 'full' / 'iter_10.pth', weights_only=True)['state_dict']
    b = torch.load(tmp_path / 'resumed' / 'iter_10.pth', weights_only=True)['state_dict']
    assert not any('.module.' in k for k in a)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_a_missing_rank_fails_within_the_configured_timeout(tmp_path, demo_root):
    """Issue 13.8: gloo waited its default 30 minutes for a rank that never came, because
    env_cfg.dist_cfg's timeout did not reach the CPU process group."""
    import time
    env = dict(os.environ, RANK='0', WORLD_SIZE='2', LOCAL_RANK='0', MASTER_ADDR='127.0.0.1',
               MASTER_PORT=str(_free_port()), OMP_NUM_THREADS='1')
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools/train.py'), osp.join(REPO, 'configs/basic/demo.py'),
         '--launcher', 'pytorch', '--work-dir', str(tmp_path / 'w'), '--cfg-options',
         'env_cfg.dist_cfg.timeout=3', f'train_dataloader.dataset.data_root={demo_root}'],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=240)
    # one line naming the rendezvous, not a traceback (exit code 2, as for other user errors)
    assert result.returncode == 2, result.stderr[-3000:]
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith('error: ') and 'Traceback' not in result.stderr
    assert 'rank 0 of 2 could not join' in line and '127.0.0.1' in line and 'within 3 s' in line
    assert '1/2 clients joined' in line
    assert time.monotonic() - start < 200          # not gloo's 1800 s


@pytest.mark.slow
def test_toolbox_dist_train_from_another_folder(tmp_path, demo_root):
    # `toolbox dist-train`, the command of tools/dist_train.sh, with a config named as shipped
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    env = dict(os.environ, PORT=str(_free_port()))
    proc = subprocess.run(
        [sys.executable, '-m', 'toolbox', 'dist-train', 'basic/demo', '2', '--work-dir', 'run',
         '--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
         'default_hooks.checkpoint.interval=2',
         f'train_dataloader.dataset.data_root={demo_root}',
         f'val_dataloader.dataset.data_root={demo_root}'],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (elsewhere / 'run' / 'iter_2.pth').is_file()
