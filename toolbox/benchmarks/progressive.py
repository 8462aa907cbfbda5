"""Progressive training cost: per-stage training-step time of the 5-stage SA-PatchGAN, and
the whole schedule's cost relative to a single-stage run of the same iterations, next to
the FLOP ratio (counted with torch's FlopCounterMode on the same steps).

    python tools/benchmark.py progressive [--size 256] [--batch 4] [--cnum 48] [--repeats 2]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch


def _model(scales, iters, cnum, semantic):
    from toolbox.registry import MODELS
    return MODELS.build(dict(
        type='ProgressiveInpaintor',
        generator=dict(type='DeepFillv2Generator', cnum=cnum),
        scheduler=dict(type='StageScheduler', scales=scales, stage_iters=iters, size_multiple=8),
        discriminator=dict(type='SAPatchGANDiscriminator', semantic_model=semantic,
                           pretrained=False),
        losses=[dict(type='L1Loss', outputs=('coarse', 'output')),
                dict(type='HingeGANLoss', loss_weight=0.1)]))


def _optim(model):
    from toolbox.models import MultiOptimWrapperConstructor
    return MultiOptimWrapperConstructor(dict(
        generator=dict(optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))),
        discriminator=dict(optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999)))))(model)


def _data(batch, size):
    g = torch.Generator().manual_seed(0)
    gt = torch.randint(0, 256, (batch, 3, size, size), generator=g, dtype=torch.uint8)
    mask = torch.zeros(batch, 1, size, size, dtype=torch.uint8)
    mask[..., size // 4: 3 * size // 4, size // 4: 3 * size // 4] = 1
    return dict(inputs=dict(gt=list(gt), mask=list(mask)), data_samples=[{}] * batch)


def _measure(model, stage, data, repeats):
    from torch.utils.flop_counter import FlopCounterMode
    model.train_steps.fill_(model.scheduler.stage_start(stage))   # the stage follows the steps
    model.train()
    optim = _optim(model)
    model.train_step(data, optim)                       # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.train_step(data, optim)
        times.append(time.perf_counter() - start)
    with FlopCounterMode(display=False) as counter:
        model.train_step(data, optim)
    return statistics.median(times), counter.get_total_flops()


def main(argv) -> int:
    p = argparse.ArgumentParser(prog='benchmark.py progressive', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--size', type=int, default=256)
    p.add_argument('--batch', type=int, default=4)
    p.add_argument('--cnum', type=int, default=48)
    p.add_argument('--semantic', default='resnet50', help='timm model of the SA discriminator')
    p.add_argument('--repeats', type=int, default=2)
    p.add_argument('--threads', type=int, default=torch.get_num_threads())
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    from mmengine.config import Config
    cfg = Config.fromfile('configs/sa_patchgan_5s.py')
    scales = cfg.model.scheduler.scales
    iters = cfg.model.scheduler.stage_iters
    data = _data(args.batch, args.size)
    print(f'# {args.size}x{args.size}, batch {args.batch}, DeepFill v2 cnum={args.cnum}, '
          f'SA-PatchGAN with {args.semantic} (random weights), {args.threads} threads')
    torch.manual_seed(0)
    model = _model(scales, iters, args.cnum, args.semantic)
    rows = []
    for k in range(len(scales)):
        t, f = _measure(model, k, data, args.repeats)
        size = model.scheduler.stage_size(k, (args.size, args.size))
        rows.append((k, size, t, f))
    single = _model((1.0,), (sum(iters),), args.cnum, args.semantic)
    t1, f1 = _measure(single, 0, data, args.repeats)
    print(f'{"stage":>5} {"size":>9} {"iters":>7} {"step s":>8} {"GFLOP":>8} {"x single(time)":>15} '
          f'{"x single(FLOP)":>15}')
    for (k, size, t, f), n in zip(rows, iters):
        print(f'{k + 1:5d} {size[0]:4d}x{size[1]:<4d} {n:7d} {t:8.3f} {f / 1e9:8.1f} {t / t1:15.3f} '
              f'{f / f1:15.3f}')
    print(f'{"B":>5} {args.size:4d}x{args.size:<4d} {sum(iters):7d} {t1:8.3f} {f1 / 1e9:8.1f} '
          f'{1.0:15.3f} {1.0:15.3f}')
    total_t = sum(t * n for (_, _, t, _), n in zip(rows, iters))
    total_f = sum(f * n for (_, _, _, f), n in zip(rows, iters))
    print(f'whole 5-stage schedule / single-stage run of {sum(iters)} iterations: '
          f'time {total_t / (t1 * sum(iters)):.3f}, FLOPs {total_f / (f1 * sum(iters)):.3f}')
    return 0
