"""Kill training with SIGKILL, inside file writes and at random moments, resume, and
check that nothing was lost.

    toolbox crash-test [--config configs/basic/demo.py] [--iters N] [--kills 3]

1. trains the config for --iters iterations without interruption (the reference);
2. trains it again in another work dir, killing the process --kills times and resuming
   with ``--resume`` each time, then lets it finish. Three kills in four land *inside a
   write*: the run is started with ``TOOLBOX_FAULT_KILL_IN_WRITE`` (see toolbox/fileio.py),
   so it SIGKILLs itself half-way through writing its first or second checkpoint or
   ``last_checkpoint`` note; the others come at a random moment of start-up, or within
   two iterations after the run's first new checkpoint (training steps, writes);
3. after every kill, every checkpoint left in the work dir must load, and at least one
   must be there once one was written (``max_keep_ckpts=1`` makes pruning part of each
   save);
4. compares the final checkpoints: model weights, both optimizers' states and the
   iteration must be bit-identical.

Bounded: each run is killed or finishes within --timeout seconds, and the whole test makes
at most --kills + 2 runs. Exit status 0 when identical, 1 otherwise.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))  # the checkout
FAULT_ENV = 'TOOLBOX_FAULT_KILL_IN_WRITE'     # toolbox.fileio.FAULT_ENV, without importing it


def _command(config, work_dir, iters, resume, extra):
    cmd = [sys.executable, '-m', 'toolbox', 'train', config, '--work-dir', work_dir]
    if resume:
        cmd.append('--resume')
    return cmd + ['--cfg-options', f'train_cfg.max_iters={iters}',
                  f'train_cfg.val_interval={iters + 1}', 'default_hooks.checkpoint.interval=1',
                  'default_hooks.checkpoint.max_keep_ckpts=1', 'default_hooks.logger.interval=1',
                  *extra]


def _checkpoints(work_dir: str) -> set[str]:
    return {f for f in os.listdir(work_dir) if f.endswith('.pth')} if osp.isdir(work_dir) else set()


def _run(cmd, log, timeout, kill_after=None, env=None, watch=None, first_ckpt=None) -> str:
    """'finished', 'killed', or 'failed'.

    ``kill_after``: SIGKILL after this many seconds, or, with ``watch`` (a work dir), this
    many seconds after a checkpoint appears there that was not there at the start.
    ``first_ckpt``: a list that receives the seconds until the run's first checkpoint.
    """
    work_dir = cmd[cmd.index('--work-dir') + 1]
    before = _checkpoints(watch) if watch else set()
    start = time.monotonic()
    deadline = start + kill_after if kill_after is not None and watch is None else None
    with open(log, 'a') as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                env={**os.environ, **(env or {})})
        while proc.poll() is None:
            now = time.monotonic()
            if first_ckpt is not None and not first_ckpt and _checkpoints(work_dir):
                first_ckpt.append(now - start)
            if watch is not None and deadline is None and _checkpoints(watch) - before:
                deadline = now + kill_after
            if now - start > timeout or (deadline is not None and now >= deadline):
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return 'killed'
            time.sleep(0.02)
    if proc.returncode == -signal.SIGKILL:      # killed itself inside a write
        return 'killed'
    return 'finished' if proc.returncode == 0 else 'failed'


def check_left_checkpoints(work_dir: str, wrote_one: bool) -> list[str]:
    """Problems with what a killed run left: a checkpoint that does not load, or none."""
    import contextlib
    import io

    from toolbox.engine.checkpoint import CheckpointLoadError, read_checkpoint
    problems, found = [], sorted(f for f in os.listdir(work_dir) if f.endswith('.pth'))
    for name in found:
        try:
            with contextlib.redirect_stdout(io.StringIO()):     # mmengine's "Loads ..." line
                read_checkpoint(osp.join(work_dir, name))
        except CheckpointLoadError as exc:
            problems.append(f'{name} does not load: {exc}')
    if wrote_one and not found:
        problems.append('no checkpoint left, although one had been written')
    return problems


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
    p = argparse.ArgumentParser(prog='toolbox crash-test', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--config', default=osp.join(ROOT, 'configs/basic/demo.py'))
    p.add_argument('--iters', type=int, default=None,
                   help='training iterations (default: 12, or 2 per kill when more)')
    p.add_argument('--kills', type=int, default=3)
    p.add_argument('--seed', type=int, default=0, help='seed of the kill times')
    p.add_argument('--work-dir', help='default: a temporary folder')
    p.add_argument('--timeout', type=float, default=600, help='seconds per run at most')
    p.add_argument('--cfg-options', nargs='*', default=[], help='passed to train.py')
    args = p.parse_args(argv)
    if args.iters is None:
        args.iters = max(12, 2 * args.kills)
    work = args.work_dir or tempfile.mkdtemp(prefix='crash_test_')
    os.makedirs(work, exist_ok=True)
    ref_dir, crash_dir = osp.join(work, 'reference'), osp.join(work, 'crashed')
    log = osp.join(work, 'train.log')
    rng = random.Random(args.seed)
    wrote_one = False

    start = time.monotonic()
    first: list[float] = []
    status = _run(_command(args.config, ref_dir, args.iters, False, args.cfg_options), log,
                  args.timeout, first_ckpt=first)
    duration = time.monotonic() - start
    if status != 'finished':
        print(f'reference run {status}; see {log}')
        return 1
    startup = first[0] if first else duration / 2
    per_iter = max(duration - startup, 0.1) / max(args.iters - 1, 1)
    print(f'reference: {args.iters} iterations in {duration:.1f} s (first checkpoint after '
          f'{startup:.1f} s, then {per_iter:.2f} s per iteration)')

    kills = in_write = 0
    for attempt in range(args.kills):
        resume = osp.isdir(crash_dir)
        env, what, kill_after = None, '', None
        if attempt % 4 != 3:
            # Die half-way through the 1st or 2nd checkpoint or note this run writes.
            target = rng.choice(['iter_*.pth', 'last_checkpoint'])
            count = rng.randint(1, 2)
            env = {FAULT_ENV: f'{count}:{target}'}
            what = f'in write #{count} of {target}'
        watch = None
        if env is None:
            # Random moments: during start-up (and resume), or within the two iterations
            # after the run's first new checkpoint (training steps and writes).
            if rng.random() < 0.5:
                kill_after = rng.uniform(0.2, 1.0) * startup
                what = f'after {kill_after:.1f} s (start-up)'
            else:
                kill_after, watch = rng.uniform(0.0, 2.0) * per_iter, crash_dir
                what = f'{kill_after:.2f} s after its first checkpoint'
        status = _run(_command(args.config, crash_dir, args.iters, resume, args.cfg_options),
                      log, args.timeout, kill_after=kill_after, env=env, watch=watch)
        saved = sorted(f for f in os.listdir(crash_dir) if f.endswith('.pth')) \
            if osp.isdir(crash_dir) else []
        print(f'run {attempt + 1}: {status} {what}; checkpoints: {saved}', flush=True)
        if status == 'failed':
            print(f'a resumed run failed; see {log}')
            return 1
        if status == 'finished':
            break
        kills += 1
        in_write += env is not None
        wrote_one = wrote_one or bool(saved)
        problems = check_left_checkpoints(crash_dir, wrote_one) if osp.isdir(crash_dir) else []
        if problems:
            print('a kill lost data:\n' + '\n'.join('  ' + p for p in problems))
            return 1
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
    # a temporary work dir is removed once the runs agree (each run leaves checkpoints);
    # one the user named is theirs to keep, and a failure above leaves its files to read
    kept = f'work dir {work}' if args.work_dir else 'temporary work dir removed'
    if not args.work_dir:
        shutil.rmtree(work, ignore_errors=True)
    print(f'identical: weights, optimizer states and iteration after {kills} kill(s), '
          f'{in_write} of them inside a write ({kept}; '
          f'{time.monotonic() - start:.0f} s in all)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
