#!/usr/bin/env python
"""Kill training with SIGKILL at random moments, resume, and check nothing was lost.

    python tools/crash_test.py [--config configs/demo/basic_demo.py] [--iters 12] [--kills 3]

1. trains the config for --iters iterations without interruption (the reference);
2. trains it again in another work dir, killing the process (SIGKILL) after a random
   delay --kills times and resuming with ``--resume`` each time, then lets it finish;
3. compares the final checkpoints: model weights, both optimizers' states and the
   iteration must be bit-identical.

Checkpoints are saved every iteration, so many kills land while one is being written.
Bounded: each run is killed or finishes within --timeout seconds, and the whole test makes
at most --kills + 2 runs. Exit status 0 when identical, 1 otherwise.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import random
import signal
import subprocess
import sys
import tempfile
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _command(config, work_dir, iters, resume, extra):
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'train.py'), config, '--work-dir', work_dir]
    if resume:
        cmd.append('--resume')
    return cmd + ['--cfg-options', f'train_cfg.max_iters={iters}',
                  f'train_cfg.val_interval={iters + 1}', 'default_hooks.checkpoint.interval=1',
                  'default_hooks.checkpoint.max_keep_ckpts=2', 'default_hooks.logger.interval=1',
                  *extra]


def _run(cmd, log, timeout, kill_after=None) -> str:
    """'finished', 'killed', or 'failed'."""
    with open(log, 'a') as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            proc.wait(timeout=min(timeout, kill_after) if kill_after else timeout)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return 'killed'
    return 'finished' if proc.returncode == 0 else 'failed'


def _final(work_dir, iters) -> dict:
    import torch
    return torch.load(osp.join(work_dir, f'iter_{iters}.pth'), map_location='cpu',
                      weights_only=True)


def compare(a: dict, b: dict) -> list[str]:
    """Differences between two checkpoints' weights, optimizer states and iteration."""
    import torch

    def walk(x, y, path, out):
        if isinstance(x, dict):
            if set(x) != set(y):
                out.append(f'{path}: keys differ')
                return
            for k in x:
                walk(x[k], y[k], f'{path}.{k}', out)
        elif isinstance(x, (list, tuple)):
            for i, (u, v) in enumerate(zip(x, y)):
                walk(u, v, f'{path}[{i}]', out)
        elif torch.is_tensor(x):
            if x.shape != y.shape or not torch.equal(x, y):
                diff = (x.double() - y.double()).abs().max().item() if x.shape == y.shape else None
                out.append(f'{path}: differs (max abs diff {diff})')
        elif x != y:
            out.append(f'{path}: {x!r} != {y!r}')

    out: list[str] = []
    walk(a['state_dict'], b['state_dict'], 'state_dict', out)
    walk(a.get('optimizer', {}), b.get('optimizer', {}), 'optimizer', out)
    if a['meta']['iter'] != b['meta']['iter']:
        out.append(f"iteration {a['meta']['iter']} != {b['meta']['iter']}")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--config', default=osp.join(ROOT, 'configs/demo/basic_demo.py'))
    p.add_argument('--iters', type=int, default=12)
    p.add_argument('--kills', type=int, default=3)
    p.add_argument('--seed', type=int, default=0, help='seed of the kill times')
    p.add_argument('--work-dir', help='default: a temporary folder')
    p.add_argument('--timeout', type=float, default=600, help='seconds per run at most')
    p.add_argument('--cfg-options', nargs='*', default=[], help='passed to train.py')
    args = p.parse_args(argv)
    work = args.work_dir or tempfile.mkdtemp(prefix='crash_test_')
    os.makedirs(work, exist_ok=True)
    ref_dir, crash_dir = osp.join(work, 'reference'), osp.join(work, 'crashed')
    log = osp.join(work, 'train.log')
    rng = random.Random(args.seed)

    start = time.monotonic()
    status = _run(_command(args.config, ref_dir, args.iters, False, args.cfg_options), log,
                  args.timeout)
    duration = time.monotonic() - start
    if status != 'finished':
        print(f'reference run {status}; see {log}')
        return 1
    print(f'reference: {args.iters} iterations in {duration:.1f} s')

    kills = 0
    for attempt in range(args.kills):
        # Uniform over the whole run, start-up included: some kills hit start-up or resume,
        # most hit training steps and checkpoint writes.
        delay = rng.uniform(0.35, 0.8) * duration
        resume = osp.isdir(crash_dir)
        status = _run(_command(args.config, crash_dir, args.iters, resume, args.cfg_options),
                      log, args.timeout, kill_after=delay)
        saved = sorted(f for f in os.listdir(crash_dir) if f.endswith('.pth')) \
            if osp.isdir(crash_dir) else []
        print(f'run {attempt + 1}: {status} after {delay:.1f} s; checkpoints: {saved}')
        kills += status == 'killed'
        if status == 'failed':
            print(f'a resumed run failed; see {log}')
            return 1
        if status == 'finished':
            break
    status = _run(_command(args.config, crash_dir, args.iters, True, args.cfg_options), log,
                  args.timeout)
    if status != 'finished':
        print(f'final resumed run {status}; see {log}')
        return 1
    diffs = compare(_final(ref_dir, args.iters), _final(crash_dir, args.iters))
    if diffs:
        print(f'NOT identical after {kills} kill(s):')
        print('\n'.join('  ' + d for d in diffs[:20]))
        return 1
    print(f'identical: weights, optimizer states and iteration after {kills} kill(s) '
          f'(work dir {work})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
