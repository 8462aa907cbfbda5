"""Time the Coherent Semantic Attention layer on the CPU at the paper's size: a 32x32x512
feature map (256x256 input) with a 16x16 hole (a centred 128x128 hole), batch 1.

    python -m toolbox_plugins.csa.benchmark [--repeat 5] [--threads 1]

Prints the best and the median of ``--repeat`` runs, forward only and forward + backward.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from .attention import coherent_attention, feature_hole


def _times(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    mask = torch.zeros(1, 1, 256, 256)
    mask[..., 64:192, 64:192] = 1
    hole = feature_hole(mask)
    x = torch.randn(1, 512, 32, 32).abs()
    xg = x.clone().requires_grad_(True)
    coherent_attention(x, hole)                                   # warm-up
    with torch.no_grad():
        fwd = _times(lambda: coherent_attention(x, hole), args.repeat)
    both = _times(lambda: coherent_attention(xg, hole).sum().backward(), args.repeat)
    print(f'CSA layer, 1x512x32x32, {int(hole.sum())} hole positions, '
          f'{args.threads} thread(s), CPU:')
    for name, t in (('forward', fwd), ('forward+backward', both)):
        print(f'  {name}: best {min(t):.4f} s, median {statistics.median(t):.4f} s')


if __name__ == '__main__':
    main()
