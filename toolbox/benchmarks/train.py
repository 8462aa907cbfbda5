"""The G+D training step of DeepFill v2 + SN-PatchGAN at 256² batch 4: time and peak RSS,
ours against MMagic's, each side in fresh subprocesses.

usage: python tools/benchmark.py train [--peer-mmagic PATH] [--threads 1] [--rounds 2]
                                       [--steps 2] [--train-size 256] [--train-batch 4]
                                       [--no-checkpointing] [--default-malloc]

Ours: ``GANInpaintor`` with ``DeepFillv2Generator`` (defaults: ``ours``; with
``checkpointing=True``: ``ours-ckpt``, which recomputes each layer in the backward pass),
``SNPatchGANDiscriminator``, L1 on both stages and the hinge GAN loss 0.1 (``deepfill``
benchmark's ``train_run``). Both variants are measured and compared with MMagic's.
MMagic's: its ``TwoStageInpaintor.train_step`` as its DeepFill v2 config builds it (L1 hole
+ valid on both stages, hinge GAN 0.1, spectral-norm discriminator on image + mask), Adam
lr 1e-4 on both sides. Each subprocess imports torch, builds the model, takes one warm-up
step and ``--steps`` timed steps, and reports its best step and its peak resident set
(``VmHWM``, the whole process: the interpreter, torch and the model included). The
subprocesses alternate ours / MMagic's for ``--rounds`` rounds; the best of each is shown.
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import subprocess
import sys

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))


def parser():
    p = argparse.ArgumentParser(prog='benchmark.py train', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--peer-mmagic', metavar='PATH',
                   help='a checkout of open-mmlab/mmagic (without it: ours only)')
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--rounds', type=int, default=2)
    p.add_argument('--steps', type=int, default=2)
    p.add_argument('--train-size', type=int, default=256)
    p.add_argument('--train-batch', type=int, default=4)
    p.add_argument('--no-checkpointing', action='store_true',
                   help="skip ours with the generator's activation checkpointing")
    p.add_argument('--default-malloc', action='store_true',
                   help="keep glibc's default large-block policy on both sides (see "
                        'toolbox.apis.memory.keep_freed_memory)')
    p.add_argument('--worker', choices=['ours', 'ours-ckpt', 'mmagic'], help=argparse.SUPPRESS)
    return p


def _tools():
    """``name -> toolbox.benchmarks.<name>``."""
    import importlib
    return lambda name: importlib.import_module(f'toolbox.benchmarks.{name}')


def worker(args) -> dict:
    import time

    import torch
    torch.set_num_threads(args.threads)
    load = _tools()
    df = load('deepfill')
    if not args.default_malloc:
        df.keep_freed_memory()
    size, batch = args.train_size, args.train_batch
    if args.worker.startswith('ours'):
        from toolbox.plugins import load_plugins
        load_plugins()
        step = df.train_run(48, size, batch, channels_last=True,
                            checkpointing=args.worker == 'ours-ckpt')
    else:
        model, optim, sample = load('_peers').mmagic_deepfillv2_inpaintor(args.peer_mmagic)
        image, mask = df.inputs(size, batch)
        gt = ((image + 1) * 127.5).round()
        data = dict(inputs=[gt[i] * (1 - mask[i]) for i in range(batch)],
                    data_samples=[sample(gt_img=gt[i], mask=mask[i]) for i in range(batch)])

        def step():
            model.train_step(data, optim)
    step()
    best = float('inf')
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - start)
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across fork + exec, so a worker spawned
    # by a large parent (benchmark.py deepfill lama train) reported the parent's peak.
    return dict(seconds=best, rss_mb=load('hd')._status_kb('VmHWM') / 1024)


def spawn(args, kind: str) -> dict:
    cmd = [sys.executable, '-m', 'toolbox.benchmarks.train', '--worker', kind, '--threads',
           str(args.threads), '--steps', str(args.steps), '--train-size', str(args.train_size),
           '--train-batch', str(args.train_batch)]
    if args.peer_mmagic:
        cmd += ['--peer-mmagic', args.peer_mmagic]
    if args.default_malloc:
        cmd.append('--default-malloc')
    env = dict(os.environ, OMP_WAIT_POLICY=os.environ.get('OMP_WAIT_POLICY', 'PASSIVE'),
               PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get('PYTHONPATH')])))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    if out.returncode:
        raise SystemExit(f'{kind} training step failed:\n{out.stderr[-3000:]}')
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv) -> int:
    args = parser().parse_args(argv)
    args.threads = args.threads or len(os.sched_getaffinity(0))
    if args.worker:
        print(json.dumps(worker(args)))
        return 0
    df = _tools()('deepfill')
    load = os.getloadavg()[0]
    print(f'G+D training step, DeepFill v2 + SN-PatchGAN, {args.train_size}² batch '
          f'{args.train_batch}, fp32, {args.threads} thread(s), load average {load:.2f}; '
          f'fresh subprocess per measurement, {args.rounds} round(s) alternating, best of '
          f'{args.steps} steps after a warm-up step in each')
    kinds = (['ours'] + ([] if args.no_checkpointing else ['ours-ckpt'])
             + (['mmagic'] if args.peer_mmagic else []))
    if args.peer_mmagic:
        print(f'MMagic TwoStageInpaintor from {args.peer_mmagic} at commit '
              f'{df.peers().commit_of(args.peer_mmagic)}')
    best = {k: dict(seconds=float('inf'), rss_mb=float('inf')) for k in kinds}
    for _ in range(args.rounds):
        for kind in kinds:
            r = spawn(args, kind)
            best[kind] = {k: min(best[kind][k], r[k]) for k in r}
            print(f'  {kind:9s} {r["seconds"]:7.2f} s/step, peak RSS {r["rss_mb"]:7.0f} MB',
                  flush=True)
    for kind, r in best.items():
        print(f'  best {kind:9s} {r["seconds"]:7.2f} s/step, peak RSS {r["rss_mb"]:7.0f} MB')
    for kind in kinds[:-1] if 'mmagic' in best else ():
        t = best[kind]['seconds'] / best['mmagic']['seconds']
        m = best[kind]['rss_mb'] / best['mmagic']['rss_mb']
        print(f'  {kind} / MMagic: time {t:.2f}x {df.target("time", t, 0.5)}, peak RSS '
              f'{m:.2f}x {df.target("RSS", m, 0.5)}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
