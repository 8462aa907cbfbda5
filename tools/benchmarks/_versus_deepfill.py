"""Shared body of the benchmarks that time one method next to DeepFill v2 in the same run
(``aotgan``, ``context_encoder``, ``deepfillv1``, ``dfnet``, ``dmfn``, ``global_local``,
``pconv``): inference at each size, batch 1, fp32, ``torch.inference_mode``
(best of ``--repeats`` after a warm-up, interleaved rounds, GFLOP from
``torch.utils.flop_counter``), and one training step (``GANInpaintor.train_step``: G+D,
or G alone for a model without discriminator) at ``--train-size`` with ``--train-batch``.

No assertions: figures only, as ratios against DeepFill v2 timed in the same rounds.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import sys


def _bench(name: str):
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))   # tools/
    from benchmark import load_benchmark
    return load_benchmark(name)


def parse(prog: str, doc: str, argv):
    p = argparse.ArgumentParser(prog=prog, description=doc,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--sizes', type=int, nargs='+', default=[256, 512])
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--no-train', action='store_true')
    p.add_argument('--train-size', type=int, default=256)
    p.add_argument('--train-batch', type=int, default=4)
    return p.parse_args(argv)


def deepfill_model():
    from toolbox.registry import MODELS
    return MODELS.build(dict(
        type='GANInpaintor',
        generator=dict(type='DeepFillv2Generator', cnum=48),
        discriminator=dict(type='SNPatchGANDiscriminator'),
        losses=[dict(type='L1Loss', outputs=('coarse', 'output')),
                dict(type='HingeGANLoss', loss_weight=0.1)])).train()


def step_run(model, size: int, batch: int, df):
    import torch
    from mmengine.optim import OptimWrapper, OptimWrapperDict
    wrappers = dict(generator=OptimWrapper(torch.optim.Adam(model.generator.parameters(),
                                                            lr=1e-4)))
    if model.discriminator is not None:
        wrappers['discriminator'] = OptimWrapper(
            torch.optim.Adam(model.discriminator.parameters(), lr=1e-4))
    optim = OptimWrapperDict(**wrappers)
    image, _ = df.inputs(size, batch)
    mask = torch.zeros(batch, 1, size, size)
    mask[..., size // 4:size // 4 + size // 2, size // 4:size // 4 + size // 2] = 1
    data = df.train_data(image, mask)
    return lambda: model.train_step(data, optim)


def run(label: str, generator_for_size, model_for_size, args) -> int:
    """``generator_for_size(size)``: the method's generator for inference at ``size``;
    ``model_for_size(size)``: its training model at ``size`` (in train mode)."""
    df = _bench('deepfill')
    from toolbox.apis.memory import keep_freed_memory
    tuned = keep_freed_memory()
    import torch

    from toolbox.registry import GENERATORS
    threads = args.threads or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    print(f'{_bench("hd")._cpu()}; torch {torch.__version__}, {threads} thread(s), load '
          f'average {load:.2f}, large blocks kept by malloc: {"yes" if tuned else "no"}')
    deepfill = GENERATORS.build(dict(type='DeepFillv2Generator', cnum=48)).eval()
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731

    print(f'\ninference, batch 1, fp32, best of {args.repeats} after a warm-up')
    print(f'  {"size":>5s} {label + " s":>12s} {"GFLOP":>7s} {"params":>11s} '
          f'{"DeepFill s":>10s} {"GFLOP":>7s} {"ratio":>6s}')
    for size in args.sizes:
        gen = generator_for_size(size).eval()
        runs = dict(method=df.generator_run(gen, size, 'fp32'),
                    deepfill=df.generator_run(deepfill, size, 'fp32'))
        best = df.interleaved(runs, args.repeats)
        flops = {k: df.count_flops(v) / 1e9 for k, v in runs.items()}
        print(f'  {size:5d} {best["method"]:12.3f} {flops["method"]:7.1f} {n(gen):11,d} '
              f'{best["deepfill"]:10.3f} {flops["deepfill"]:7.1f} '
              f'{best["method"] / best["deepfill"]:6.2f}', flush=True)

    if not args.no_train:
        s, b = args.train_size, args.train_batch
        model = model_for_size(s)
        what = 'G+D' if model.discriminator is not None else 'G (no discriminator)'
        print(f'\ntraining step (GANInpaintor.train_step), {label}: {what}; DeepFill v2: '
              f'G+D; {s}² batch {b}, fp32, best of {max(1, args.repeats - 1)}')
        runs = dict(method=step_run(model, s, b, df),
                    deepfill=step_run(deepfill_model(), s, b, df))
        best = df.interleaved(runs, max(1, args.repeats - 1))
        print(f'  {label} {best["method"]:.3f} s/step, DeepFill v2 {best["deepfill"]:.3f} '
              f's/step, ratio {best["method"] / best["deepfill"]:.2f}', flush=True)
    return 0
