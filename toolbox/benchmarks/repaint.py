"""RePaint sampling cost: seconds per image against the number of respaced steps ``t_T``
(with the configured jumps), next to the number of denoiser calls and the time of that many
bare denoiser calls measured in the same rounds (the ratio is the sampler's own overhead:
noise, injection, posterior steps).

    python tools/benchmark.py repaint [--config configs/repaint/demo.py]
        [--steps 10 25 50] [--repeats 3] [--threads N]

The paper's setting (configs/repaint/places_256.py, t_T=250, 2,410 calls of a 481M-parameter
UNet at 256x256) is far too slow for a CPU; pass it with ``--config`` on a GPU machine.
"""
from __future__ import annotations

import argparse
import os


def main(argv) -> int:
    p = argparse.ArgumentParser(prog='benchmark.py repaint', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--config', default='configs/repaint/demo.py')
    p.add_argument('--steps', type=int, nargs='+', default=[10, 25, 50])
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--device', default='cpu')
    args = p.parse_args(argv)
    from toolbox.benchmarks.deepfill import interleaved
    from toolbox.system import describe_cpu
    import torch

    from toolbox.apis import init_inpaintor
    threads = args.threads or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    print(f'torch {torch.__version__}, {threads} thread(s), load average {load:.2f}, {describe_cpu()}')
    torch.manual_seed(0)
    model = init_inpaintor(args.config, device=args.device, random_weights=True)  # cost only
    sampler = model.sampler
    size = model.image_size or 64
    params = sum(p.numel() for p in model.denoiser.parameters())
    print(f'{args.config}: {type(model.denoiser).__name__} with {params:,} parameters at '
          f'{size}x{size}; {sampler!r}; best of {args.repeats} interleaved rounds')
    g = torch.Generator().manual_seed(0)
    image = (torch.rand(1, 3, size, size, generator=g) * 2 - 1).to(args.device)
    mask = torch.zeros(1, 1, size, size, device=args.device)
    mask[..., size // 4: 3 * size // 4, size // 4: 3 * size // 4] = 1
    t = torch.zeros(1, dtype=torch.long, device=args.device)

    def sync():
        if args.device.startswith('cuda'):
            torch.cuda.synchronize()

    print(f'{"t_T":>5} {"calls":>6} {"s/image":>9} {"calls x bare":>13} {"ratio":>6}')
    for steps in args.steps:
        calls = sampler.num_denoiser_calls(steps)

        def sample(steps=steps):
            model.inpaint(image, mask, seed=0, steps=steps)
            sync()

        def bare(calls=calls):
            with torch.no_grad():
                for _ in range(calls):
                    model.denoiser(image, t)
            sync()
        best = interleaved({'sample': sample, 'bare': bare}, args.repeats)
        print(f'{steps:5d} {calls:6d} {best["sample"]:9.3f} {best["bare"]:13.3f} '
              f'{best["sample"] / best["bare"]:6.3f}')
    return 0
