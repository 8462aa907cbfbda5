"""bf16 autocast training (``tools/train.py --amp``) against fp32: the G+D step's time and
its effect on a fixed-batch loss curve.

usage: python tools/benchmark.py amp [--config configs/deepfillv2/places_256.py]
                                     [--amp-steps 12] [--train-size 256] [--train-batch 4]
                                     [--threads N]

Both runs build the config's model from the same seed (identical weights), with the
config's optimizers (``--amp`` switches them to ``CPUAutocastOptimWrapper``, bfloat16),
and train ``--amp-steps`` steps on one fixed batch: real photos (scikit-image's astronaut,
coffee, chelsea, rocket, ...) resized to ``--train-size``, with the config's training masks drawn
from a fixed seed. The steps alternate fp32 / bf16, so both see the same machine load.
Printed: each step's generator and discriminator losses and the masked L1 term for both,
the step times (median of the steps after the first), and the largest relative gap of the
L1 term. Whether bf16 is native on this CPU (AVX-512-BF16 or AMX) is printed first:
without it bf16 convolutions take a slow reference path and the time ratio is not a target.

No assertions: figures only.
"""
from __future__ import annotations

import argparse
import copy
import os
import os.path as osp
import statistics
import time

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))


def parser():
    p = argparse.ArgumentParser(prog='benchmark.py amp', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--config', default=osp.join(ROOT, 'configs/deepfillv2/places_256.py'))
    p.add_argument('--amp-steps', type=int, default=12)
    p.add_argument('--train-size', type=int, default=256)
    p.add_argument('--train-batch', type=int, default=4)
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--seed', type=int, default=0)
    return p


def fixed_batch(cfg, size: int, batch: int, seed: int) -> dict:
    """``batch`` real photos at ``size``² and the config's training masks, as the data
    loader hands them to ``train_step``."""
    import cv2
    import numpy as np
    import skimage.data
    import torch

    from toolbox.registry import MASK_GENERATORS
    names = ['astronaut', 'coffee', 'chelsea', 'rocket', 'immunohistochemistry', 'hubble_deep_field']
    images = []
    for i in range(batch):
        photo = getattr(skimage.data, names[i % len(names)])()
        images.append(cv2.resize(photo, (size, size), interpolation=cv2.INTER_AREA))
    mask_cfg = cfg.train_dataloader.dataset.mask
    gen = MASK_GENERATORS.build(copy.deepcopy(mask_cfg))
    masks = [gen((size, size), np.random.default_rng([seed, i])) for i in range(batch)]
    return dict(inputs=dict(gt=[torch.from_numpy(im).permute(2, 0, 1).contiguous() for im in images],
                            mask=[torch.from_numpy(m)[None] for m in masks]))


def build(cfg, amp: bool, seed: int):
    import torch
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import DefaultScope

    from toolbox.apis import apply_amp
    from toolbox.registry import MODELS
    cfg = copy.deepcopy(cfg)
    if amp:
        apply_amp(cfg)
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model).train()
    with DefaultScope.overwrite_default_scope('toolbox'):   # as the Runner builds them
        return model, build_optim_wrapper(model, cfg.optim_wrapper)


def main(argv) -> int:
    args = parser().parse_args(argv)
    import torch

    from toolbox.apis import load_config
    from toolbox.system import describe_cpu, native_bf16
    cpu = describe_cpu()
    threads = args.threads or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    native = native_bf16()
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    print(f'{cpu}; torch {torch.__version__}, {threads} thread(s), load average {load:.2f}; '
          f'native bf16: {"yes (the time ratio applies)" if native else "no (time ratio not a target)"}')
    cfg = load_config(args.config)
    data = fixed_batch(cfg, args.train_size, args.train_batch, args.seed)
    runs = {name: build(cfg, name == 'bf16', args.seed) for name in ('fp32', 'bf16')}
    print(f'{osp.relpath(args.config, ROOT)}: {type(runs["fp32"][0]).__name__}, '
          f'{args.train_size}² batch {args.train_batch}, one fixed batch, {args.amp_steps} steps each, '
          'interleaved')
    logs = {name: [] for name in runs}
    seconds = {name: [] for name in runs}
    for step in range(args.amp_steps):
        for name, (model, optim) in runs.items():
            start = time.perf_counter()
            logs[name].append(model.train_step(data, optim))
            seconds[name].append(time.perf_counter() - start)
    keys = [k for k in logs['fp32'][0] if k in ('loss_g', 'loss_d') or 'L1' in k]
    print('  step ' + ' '.join(f'{k + " " + n:>26s}' for k in keys for n in ('fp32', 'bf16')))
    for step in range(args.amp_steps):
        print(f'  {step:4d} ' + ' '.join(f'{logs[n][step].get(k, float("nan")):26.5f}'
                                          for k in keys for n in ('fp32', 'bf16')))
    for l1 in (k for k in keys if 'L1' in k):
        gap = max(abs(b[l1] - a[l1]) / max(abs(a[l1]), 1e-12)
                  for a, b in zip(logs['fp32'], logs['bf16']))
        first, last = logs['fp32'][0][l1], logs['fp32'][-1][l1]
        print(f'{l1}: fp32 {first:.5f} -> {last:.5f}, bf16 {logs["bf16"][0][l1]:.5f} -> '
              f'{logs["bf16"][-1][l1]:.5f}; largest relative gap over the curve {gap:.2%}')
    tail = {n: statistics.median(s[1:] or s) for n, s in seconds.items()}
    print(f'step time (median after the first): fp32 {tail["fp32"]:.3f} s, bf16 '
          f'{tail["bf16"]:.3f} s, bf16/fp32 {tail["bf16"] / tail["fp32"]:.2f}')
    return 0
