"""AOT-GAN speed on the CPU next to DeepFill v2 measured in the same run.

usage: python tools/benchmark.py aotgan [--threads N] [--sizes 256 512] [--repeats R]
                                        [--no-train] [--train-size 256] [--train-batch 4]

Prints, batch 1, fp32, ``torch.inference_mode``: seconds per image of
``AOTGANGenerator()`` (the authors' width, 8 AOT blocks) and of
``DeepFillv2Generator(cnum=48)`` at each size, timed in the same rounds (best of
``--repeats`` after a warm-up), their GFLOP and the ratio; then one G+D training step
(``GANInpaintor.train_step``) of each: AOT-GAN with L1, style, perceptual (VGG19 with
random weights: the timing does not depend on them) and SM-PatchGAN against its SN
PatchGAN, DeepFill v2 with L1 on both stages and the hinge loss; same size and batch.

No assertions: figures only, as ratios against the baseline of the same run.
"""
from __future__ import annotations

import os

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')   # before torch starts OpenMP

import os.path as osp  # noqa: E402
import sys  # noqa: E402


def _bench(name: str):
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))   # tools/
    from benchmark import load_benchmark
    return load_benchmark(name)


def aotgan_model():
    from toolbox.registry import MODELS
    return MODELS.build(dict(
        type='GANInpaintor',
        generator=dict(type='AOTGANGenerator'),
        discriminator=dict(type='AOTGANDiscriminator'),
        losses=[dict(type='L1Loss'),
                dict(type='StyleLoss', loss_weight=250.0, region='all', pretrained=False),
                dict(type='VGGFeatureMatchingLoss', loss_weight=0.1, composite=False,
                     layer_weights=(1.0,) * 5, pretrained=False),
                dict(type='SoftMaskGANLoss', loss_weight=0.01)])).train()


def compare(label: str, generator_cfg: dict, model_fn, argv) -> int:
    """The inference table and the training step of ``label`` against DeepFill v2."""
    dmfn = _bench('dmfn')
    args = dmfn.parse(argv)
    df = _bench('deepfill')
    from toolbox.apis.memory import keep_freed_memory
    tuned = keep_freed_memory()
    import torch

    from toolbox.registry import GENERATORS
    threads = args.threads or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    print(f'torch {torch.__version__}, {threads} thread(s), load average {load:.2f}, '
          f'large blocks kept by malloc: {"yes" if tuned else "no"}')
    gen = GENERATORS.build(generator_cfg).eval()
    deepfill = GENERATORS.build(dict(type='DeepFillv2Generator', cnum=48)).eval()
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    print(f'{generator_cfg["type"]}(): {n(gen):,} parameters; DeepFillv2Generator(cnum=48): '
          f'{n(deepfill):,}')
    print(f'\ninference, batch 1, fp32, best of {args.repeats} after a warm-up')
    print(f'  {"size":>5s} {label + " s":>10s} {"GFLOP":>7s} {"DeepFill s":>10s} {"GFLOP":>7s} '
          f'{label + "/DeepFill":>16s}')
    for size in args.sizes:
        runs = dict(m=df.generator_run(gen, size, 'fp32'),
                    deepfill=df.generator_run(deepfill, size, 'fp32'))
        best = df.interleaved(runs, args.repeats)
        flops = {k: df.count_flops(v) / 1e9 for k, v in runs.items()}
        print(f'  {size:5d} {best["m"]:10.3f} {flops["m"]:7.1f} {best["deepfill"]:10.3f} '
              f'{flops["deepfill"]:7.1f} {best["m"] / best["deepfill"]:16.2f}', flush=True)
    if not args.no_train:
        s, b = args.train_size, args.train_batch
        print(f'\ntraining step (GANInpaintor.train_step), {s}² batch {b}, fp32, '
              f'best of {max(1, args.repeats - 1)}')
        runs = dict(m=step_run(model_fn(), s, b, df),
                    deepfill=step_run(dmfn.deepfill_model(), s, b, df))
        best = df.interleaved(runs, max(1, args.repeats - 1))
        print(f'  {label} {best["m"]:.3f} s/step, DeepFill v2 (G+D) {best["deepfill"]:.3f} '
              f's/step, ratio {best["m"] / best["deepfill"]:.2f}', flush=True)
    return 0


def step_run(model, size: int, batch: int, df):
    """dmfn's step, also for a model without a discriminator (its G step only)."""
    if model.discriminator is not None:
        return _bench('dmfn').step_run(model, size, batch, df)
    import torch
    from mmengine.optim import OptimWrapper, OptimWrapperDict
    optim = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.Adam(model.generator.parameters(), lr=1e-4)))
    image, _ = df.inputs(size, batch)
    mask = torch.zeros(batch, 1, size, size)
    mask[..., size // 4:size // 4 + size // 2, size // 4:size // 4 + size // 2] = 1
    data = dict(inputs=dict(gt=list(((image + 1) * 127.5).round().byte()),
                            mask=list(mask.byte())))
    return lambda: model.train_step(data, optim)


def main(argv) -> int:
    return compare('AOT-GAN', dict(type='AOTGANGenerator'), aotgan_model, argv)
