"""Mask generation speed: masks per second of every registered mask generator, one core.

usage: python tools/benchmark.py masks [--seconds S] [--sizes 256 512] [--types NAME ...]

Each generator is built with its defaults (MaskFiles reads a temporary folder of 64 masks
written at the benchmark size; a generator that needs other arguments uses its
``tiny_cfg``) and called repeatedly for ``--seconds`` of CPU time per size, with torch and
OpenCV limited to one thread. The baseline, timed in the same run, is the cheapest mask
there is: allocate zeros and cut the centre box in (no randomness, no checks); "vs
baseline" is a generator's rate over it. The target is 1,000 masks/s at 256 x 256 for
every type. Rates are CPU time, so other load on the machine distorts them less than
wall time would.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import tempfile
import time

import numpy as np


def rate(fn, shape: tuple[int, int], seconds: float) -> float:
    """Calls of ``fn(shape, rng)`` per CPU second."""
    rng = np.random.default_rng(0)
    fn(shape, rng)  # warm-up: caches, lazy imports
    count, start = 0, time.process_time()
    while True:
        fn(shape, rng)
        count += 1
        elapsed = time.process_time() - start
        if elapsed >= seconds and count >= 10:
            return count / elapsed


def baseline(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    h, w = shape
    mask = np.zeros(shape, np.uint8)
    mask[h // 4:h // 4 + h // 2, w // 4:w // 4 + w // 2] = 1
    return mask


def mask_folder(root: str, size: int, count: int = 64) -> str:
    """``count`` brush masks of ``size`` x ``size`` as PNGs under ``root``."""
    import cv2

    from toolbox.registry import MASK_GENERATORS
    folder = osp.join(root, str(size))
    gen = MASK_GENERATORS.build(dict(type='FreeFormBrush'))
    os.makedirs(folder, exist_ok=True)
    for i in range(count):
        cv2.imwrite(osp.join(folder, f'{i:06d}.png'),
                    gen((size, size), np.random.default_rng(i)) * 255)
    return folder


def build(name: str, size: int, tmp: str):
    from toolbox.registry import MASK_GENERATORS
    if name == 'MaskFiles':
        return MASK_GENERATORS.build(dict(type=name, root=mask_folder(tmp, size)))
    try:
        return MASK_GENERATORS.build(dict(type=name))
    except (TypeError, ValueError):
        return MASK_GENERATORS.build(dict(type=name, **MASK_GENERATORS.get(name).tiny_cfg))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog='benchmark.py masks', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seconds', type=float, default=1.0,
                        help='CPU seconds per generator and size')
    parser.add_argument('--sizes', type=int, nargs='+', default=[256, 512])
    parser.add_argument('--types', nargs='+', metavar='NAME',
                        help='generators to time (default: every registered one)')
    parser.add_argument('--target', type=float, default=1000.0,
                        help='masks/s every type should reach at the first size')
    args = parser.parse_args(argv)

    import cv2
    import torch

    from toolbox.testing import components
    torch.set_num_threads(1)
    cv2.setNumThreads(1)

    from toolbox.registry import MASK_GENERATORS
    names = args.types or [n for n in components('mask_generators')   # images only: (H, W)
                           if not getattr(MASK_GENERATORS.get(n), 'is_video', False)]
    sizes = args.sizes
    base = {s: rate(baseline, (s, s), args.seconds) for s in sizes}
    head = ''.join(f'{f"{s}x{s}/s":>12}' for s in sizes)
    print(f'{"mask generator":<18}{head}{"vs baseline":>14}  target {args.target:g}/s at '
          f'{sizes[0]}')
    print(f'{"(baseline)":<18}' + ''.join(f'{base[s]:>12,.0f}' for s in sizes))
    slow = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            rates = {s: rate(build(name, s, tmp), (s, s), args.seconds) for s in sizes}
            ok = rates[sizes[0]] >= args.target
            if not ok:
                slow.append(name)
            print(f'{name:<18}' + ''.join(f'{rates[s]:>12,.0f}' for s in sizes)
                  + f'{rates[sizes[0]] / base[sizes[0]]:>14.3f}  {"ok" if ok else "SLOW"}')
    if slow:
        print(f'below {args.target:g} masks/s at {sizes[0]}: {", ".join(slow)}')
    return 0
