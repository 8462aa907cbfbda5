"""DMFN speed on the CPU next to DeepFill v2 measured in the same run.

usage: python tools/benchmark.py dmfn [--threads N] [--sizes 256 512] [--repeats R]
                                      [--no-train] [--train-size 256] [--train-batch 4]

Prints, batch 1, fp32, ``torch.inference_mode``:

* seconds per image of ``DMFNGenerator()`` (the paper's width, 8 DMFBs) and of
  ``DeepFillv2Generator(cnum=48)`` at each size, timed in the same rounds (one call of each
  per round, best of ``--repeats`` after a warm-up), their GFLOP (``torch.utils.
  flop_counter``) and the ratio DMFN / DeepFill;
* one G+D training step (``GANInpaintor.train_step``) of each model with its own configured
  losses: DMFN with L1, self-guided, VGG feature matching, alignment, discriminator feature
  matching and the GAN loss (VGG19 built with random weights: the timing does not depend
  on them), DeepFill v2 with L1 on both stages and the hinge GAN loss; same size and batch.

No assertions: figures only, as ratios against the baseline of the same run.
"""
from __future__ import annotations

import os

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')   # before torch starts OpenMP

import argparse  # noqa: E402
import sys  # noqa: E402
import os.path as osp  # noqa: E402


def _deepfill_bench():
    """The DeepFill benchmark's helpers (timing, inputs, FLOP counting)."""
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))   # tools/
    from benchmark import load_benchmark
    return load_benchmark('deepfill')


def parse(argv):
    p = argparse.ArgumentParser(prog='benchmark.py dmfn', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--sizes', type=int, nargs='+', default=[256, 512])
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--no-train', action='store_true')
    p.add_argument('--train-size', type=int, default=256)
    p.add_argument('--train-batch', type=int, default=4)
    return p.parse_args(argv)


def dmfn_model(size: int):
    from toolbox.registry import MODELS
    return MODELS.build(dict(
        type='GANInpaintor',
        generator=dict(type='DMFNGenerator'),
        discriminator=dict(type='DMFNDiscriminator', image_size=size, local_size=size // 2),
        losses=[dict(type='L1Loss', hole_weight=1.0, valid_weight=0.0),
                dict(type='SelfGuidedRegressionLoss', loss_weight=25.0, pretrained=False),
                dict(type='VGGFeatureMatchingLoss', loss_weight=25.0, pretrained=False),
                dict(type='GeometricalAlignmentLoss', loss_weight=1.0, pretrained=False),
                dict(type='DMFNFeatureMatchingLoss', loss_weight=5.0),
                dict(type='NonSaturatingGANLoss', loss_weight=0.003)])).train()


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
    optim = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.Adam(model.generator.parameters(), lr=1e-4)),
        discriminator=OptimWrapper(torch.optim.Adam(model.discriminator.parameters(),
                                                    lr=1e-4)))
    image, _ = df.inputs(size, batch)
    mask = torch.zeros(batch, 1, size, size)
    mask[..., size // 4:size // 4 + size // 2, size // 4:size // 4 + size // 2] = 1  # centre
    gt = ((image + 1) * 127.5).round().byte()
    data = dict(inputs=dict(gt=list(gt), mask=list(mask.byte())))
    return lambda: model.train_step(data, optim)


def main(argv) -> int:
    args = parse(argv)
    df = _deepfill_bench()
    tuned = df.keep_freed_memory()
    import torch

    from toolbox.registry import GENERATORS
    threads = args.threads or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    print(f'torch {torch.__version__}, {threads} thread(s), load average {load:.2f}, '
          f'large blocks kept by malloc: {"yes" if tuned else "no"}')
    dmfn = GENERATORS.build(dict(type='DMFNGenerator')).eval()
    deepfill = GENERATORS.build(dict(type='DeepFillv2Generator', cnum=48)).eval()
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    print(f'DMFNGenerator(): {n(dmfn):,} parameters; DeepFillv2Generator(cnum=48): '
          f'{n(deepfill):,} (both on their default memory format)')

    print(f'\ninference, batch 1, fp32, best of {args.repeats} after a warm-up')
    print(f'  {"size":>5s} {"DMFN s":>8s} {"GFLOP":>7s} {"DeepFill s":>10s} {"GFLOP":>7s} '
          f'{"DMFN/DeepFill":>13s}')
    for size in args.sizes:
        runs = dict(dmfn=df.generator_run(dmfn, size, 'fp32'),
                    deepfill=df.generator_run(deepfill, size, 'fp32'))
        best = df.interleaved(runs, args.repeats)
        flops = {k: df.count_flops(v) / 1e9 for k, v in runs.items()}
        print(f'  {size:5d} {best["dmfn"]:8.3f} {flops["dmfn"]:7.1f} '
              f'{best["deepfill"]:10.3f} {flops["deepfill"]:7.1f} '
              f'{best["dmfn"] / best["deepfill"]:13.2f}', flush=True)

    if not args.no_train:
        s, b = args.train_size, args.train_batch
        print(f'\nG+D training step (GANInpaintor.train_step), {s}² batch {b}, fp32, '
              f'best of {max(1, args.repeats - 1)}')
        runs = dict(dmfn=step_run(dmfn_model(s), s, b, df),
                    deepfill=step_run(deepfill_model(), s, b, df))
        best = df.interleaved(runs, max(1, args.repeats - 1))
        print(f'  DMFN {best["dmfn"]:.3f} s/step, DeepFill v2 {best["deepfill"]:.3f} s/step, '
              f'ratio {best["dmfn"] / best["deepfill"]:.2f}', flush=True)
    return 0
