"""Context Encoders speed on the CPU next to DeepFill v2 measured in the same run.

usage: python tools/benchmark.py context_encoder [--threads N] [--sizes 256 512]
                                 [--repeats R] [--no-train] [--train-size 256]
                                 [--train-batch 4]

Prints, batch 1, fp32, ``torch.inference_mode``: seconds per image of
``ContextEncoderGenerator(image_size=S)`` (the paper's width, channel-wise FC bottleneck:
the generator is built for each size, its FC grows with (S/32)^4) and of
``DeepFillv2Generator(cnum=48)``, timed in the same rounds (best of ``--repeats`` after a
warm-up), their GFLOP and the ratio; then one G+D training step
(``GANInpaintor.train_step``) of each with its own losses (Context Encoders: the
overlap-weighted L2 0.999 and the GAN loss 0.001, the discriminator on the 128² centre
crop at 256²). No assertions: figures only, as ratios against the baseline of the run.
"""
from __future__ import annotations

import os

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')   # before torch starts OpenMP

import sys  # noqa: E402
import os.path as osp  # noqa: E402


def _helpers():
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))   # tools/
    from benchmark import load_benchmark
    return load_benchmark('deepfill'), load_benchmark('dmfn')


def generator(size: int):
    from toolbox.registry import GENERATORS
    return GENERATORS.build(dict(type='ContextEncoderGenerator', image_size=size)).eval()


def model(size: int):
    from toolbox.registry import MODELS
    return MODELS.build(dict(
        type='GANInpaintor',
        generator=dict(type='ContextEncoderGenerator', image_size=size),
        discriminator=dict(type='ContextEncoderDiscriminator', crop_size=size // 2),
        losses=[dict(type='OverlapL2Loss', loss_weight=0.999),
                dict(type='NonSaturatingGANLoss', loss_weight=0.001)],
        disc_input='output')).train()


def run_rows(label: str, generator, model, argv) -> int:
    """The inference and training rows of ``label`` against DeepFill v2 (shared by the
    Global&Local benchmark)."""
    df, dmfn = _helpers()
    args = dmfn.parse(argv)
    from toolbox.apis.memory import keep_freed_memory
    tuned = keep_freed_memory()
    import torch
    from toolbox.registry import GENERATORS
    threads = args.threads or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    from benchmark import load_benchmark
    print(f'{load_benchmark("hd")._cpu()}; torch {torch.__version__}, {threads} thread(s), '
          f'load average {load:.2f}, large blocks kept by malloc: {"yes" if tuned else "no"}')
    deepfill = GENERATORS.build(dict(type='DeepFillv2Generator', cnum=48)).eval()
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    print(f'\ninference, batch 1, fp32, best of {args.repeats} after a warm-up')
    print(f'  {"size":>5s} {label + " s":>10s} {"params":>11s} {"GFLOP":>7s} '
          f'{"DeepFill s":>10s} {"GFLOP":>7s} {"ratio":>6s}')
    for size in args.sizes:
        gen = generator(size)
        runs = dict(ours=df.generator_run(gen, size, 'fp32'),
                    deepfill=df.generator_run(deepfill, size, 'fp32'))
        best = df.interleaved(runs, args.repeats)
        flops = {k: df.count_flops(v) / 1e9 for k, v in runs.items()}
        print(f'  {size:5d} {best["ours"]:10.3f} {n(gen):11,d} {flops["ours"]:7.1f} '
              f'{best["deepfill"]:10.3f} {flops["deepfill"]:7.1f} '
              f'{best["ours"] / best["deepfill"]:6.2f}', flush=True)
    if not args.no_train:
        s, b = args.train_size, args.train_batch
        print(f'\nG+D training step (GANInpaintor.train_step), {s}² batch {b}, fp32, '
              f'best of {max(1, args.repeats - 1)}')
        runs = dict(ours=dmfn.step_run(model(s), s, b, df),
                    deepfill=dmfn.step_run(dmfn.deepfill_model(), s, b, df))
        best = df.interleaved(runs, max(1, args.repeats - 1))
        print(f'  {label} {best["ours"]:.3f} s/step, DeepFill v2 {best["deepfill"]:.3f} '
              f's/step, ratio {best["ours"] / best["deepfill"]:.2f}', flush=True)
    return 0


def main(argv) -> int:
    return run_rows('CE', generator, model, argv)
