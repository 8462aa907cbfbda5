#!/usr/bin/env python
"""Run the 2-process demo training N times under CPU hogs and count the exit codes.

    toolbox stress-distributed [--runs 30] [--hogs 2] [--iters 4]

Not a test (it takes a long time, and the race it looks for cannot be forced): it is the
evidence that a distributed run that trained correctly also exits 0. Each run is
``tools/dist_train.sh`` on ``configs/basic/demo.py`` with a ``RankConsistencyHook``
(a collective every iteration), validation and a checkpoint at the end, while ``--hogs``
busy-looping processes compete for the CPU. Prints one line per run and a summary of exit
codes and of runs whose log shows an abort at exit ("terminate called").
"""
from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import os.path as osp
import shutil
import socket
import subprocess
import sys
import tempfile
import time

# the checkout this package runs from: the job runs tools/dist_train.sh on one of its configs
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _hog() -> None:
    while True:
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog='toolbox stress-distributed', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--runs', type=int, default=30)
    p.add_argument('--hogs', type=int, default=2, help='busy-looping processes')
    p.add_argument('--iters', type=int, default=4, help='training iterations per run')
    p.add_argument('--keep', action='store_true', help='keep the temporary files (removed when every run passed) and the logs of failed runs')
    args = p.parse_args(argv)

    from toolbox.datasets import materialise_demo
    tmp = tempfile.mkdtemp(prefix='stress_dist_')
    demo_root = materialise_demo(osp.join(tmp, 'demo'))
    cfg = osp.join(tmp, 'dist.py')
    with open(cfg, 'w') as f:
        f.write(f"_base_ = [{osp.join(REPO, 'configs/basic/demo.py')!r}]\n"
                "custom_hooks = [dict(type='RankConsistencyHook', interval=1)]\n")

    hogs = [multiprocessing.Process(target=_hog, daemon=True) for _ in range(args.hogs)]
    for h in hogs:
        h.start()
    codes: collections.Counter = collections.Counter()
    aborts = 0
    try:
        for run in range(1, args.runs + 1):
            work = osp.join(tmp, f'run{run}')
            env = dict(os.environ, PORT=str(_free_port()), OMP_NUM_THREADS='1')
            cmd = ['bash', osp.join(REPO, 'tools/dist_train.sh'), cfg, '2', '--work-dir', work,
                   '--cfg-options', f'train_cfg.max_iters={args.iters}',
                   f'train_cfg.val_interval={args.iters}',
                   f'default_hooks.checkpoint.interval={args.iters}',
                   f'train_dataloader.dataset.data_root={demo_root}',
                   f'val_dataloader.dataset.data_root={demo_root}']
            start = time.monotonic()
            result = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True)
            log = result.stdout + result.stderr
            trained = f'after {args.iters} iterations: weights identical' in log
            abort = 'terminate called' in log
            aborts += abort
            codes[result.returncode] += 1
            print(f'run {run:3d}: exit {result.returncode}  trained={trained}  '
                  f'abort_at_exit={abort}  {time.monotonic() - start:.0f} s', flush=True)
            if result.returncode != 0 and args.keep:
                with open(osp.join(tmp, f'run{run}.log'), 'w') as f:
                    f.write(log)
    finally:
        for h in hogs:
            h.terminate()
    passed = set(codes) == {0}
    # every run writes a work dir with checkpoints: removed when all passed, unless --keep
    if passed and not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f'{args.runs} runs under {args.hogs} CPU hogs: exit codes '
          + ', '.join(f'{c}: {n}' for c, n in sorted(codes.items()))
          + f'; logs with "terminate called": {aborts}; '
          + ('temporary files removed' if passed and not args.keep else f'files in {tmp}'))
    return 0 if passed else 1


if __name__ == '__main__':
    sys.exit(main())
