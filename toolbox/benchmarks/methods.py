"""The image methods of the survey (LBAM, PRVS, CSA) and Pluralistic against DeepFill v2,
and the CSA layer's own time.

usage: toolbox benchmark methods [--size 256] [--repeats 3] [--no-train] [--threads N]
                                 [--configs CONFIG ...] [--no-versus]
                                 [--csa-repeats 5] [--peer-csa PATH]

* the rows: ``toolbox benchmark versus`` over the paper configs (DeepFill v2 first, the
  baseline of the ratios; then ``configs/lbam/paris_256.py``, ``configs/prvs/
  paris_256.py``, ``configs/csa/paris_256.py``, ``configs/pluralistic/places2_256.py``),
  random weights, the loss networks' VGG-16 too (no weights file needed);
* the CSA layer (``CoherentSemanticAttention``, found in the registered
  ``CSARefinementNet``): a 1x512x32x32 feature map (a 256x256 input) with a 16x16 hole
  (256 hole positions) in its centre, batch 1, on the CPU, forward without gradients,
  float32, best and median of ``--csa-repeats`` after a warm-up. With ``--peer-csa``, a
  checkout of KumapowerLIU/CSA-inpainting, the official layer (its Python loop) runs on
  the same input in the same process, interleaved: its time, the ratio, and the largest
  difference between the two outputs.

Figures only, never assertions.
"""
from __future__ import annotations

import os

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')   # before torch starts OpenMP

import argparse  # noqa: E402
import os.path as osp  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

#: the rows, the first the baseline; relative to the repository's configs/ folder
CONFIGS = ('deepfillv2/places_256.py', 'lbam/paris_256.py', 'prvs/paris_256.py',
           'csa/paris_256.py', 'pluralistic/places2_256.py')


def parser():
    p = argparse.ArgumentParser(prog='toolbox benchmark methods', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--configs', nargs='+', metavar='CONFIG', default=None,
                   help='the rows instead of the paper configs (the first: the baseline)')
    p.add_argument('--size', type=int, default=256)
    p.add_argument('--train-batch', type=int, default=2)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--no-train', action='store_true', help='skip the training step')
    p.add_argument('--no-versus', action='store_true', help='only the CSA layer')
    p.add_argument('--threads', type=int, default=None,
                   help='torch threads (default: the CPUs this process may use)')
    p.add_argument('--csa-repeats', type=int, default=5)
    p.add_argument('--peer-csa', metavar='PATH',
                   help='a checkout of KumapowerLIU/CSA-inpainting: time its layer too')
    return p


def _configs_folder() -> str:
    """configs/ of the source checkout this toolbox runs from (``--configs`` otherwise)."""
    return osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')


def csa_layer():
    """The toolbox's CSA layer, found by class name in the registered refinement net
    (the engine imports no plugin)."""
    from toolbox.registry import GENERATORS
    cls = GENERATORS.get('CSARefinementNet')
    if cls is None:
        raise SystemExit('toolbox benchmark methods: the CSA plugin is not installed '
                         '(no CSARefinementNet among the generators)')
    net = cls(**cls.tiny_cfg)          # the layer has no parameters: any size holds it
    for module in net.modules():
        if type(module).__name__ == 'CoherentSemanticAttention':
            return module
    raise SystemExit('toolbox benchmark methods: CSARefinementNet holds no '
                     'CoherentSemanticAttention layer')


def _times(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def time_csa_layer(repeats: int, peer: str | None) -> None:
    import torch
    layer = csa_layer()
    torch.manual_seed(0)
    x = torch.randn(1, 512, 32, 32).abs()      # post-ReLU features, as the layer sees them
    hole = torch.zeros(32, 32, dtype=torch.bool)
    hole[8:24, 8:24] = True

    def ours():
        with torch.no_grad():
            return layer(x, hole[None, None])
    runs = {'toolbox': ours}
    if peer is not None:
        from .peers import commit_of, csa_layer as official_layer
        official = official_layer(peer)
        runs['official'] = lambda: official(x, hole)
        print(f'official CSA layer: {peer} at {commit_of(peer)}')
    outputs = {name: fn() for name, fn in runs.items()}          # the warm-up
    times = {name: [] for name in runs}
    for _ in range(repeats):                                      # interleaved rounds
        for name, fn in runs.items():
            times[name] += _times(fn, 1)
    print(f'\nCSA layer, 1x512x32x32, 16x16 hole ({int(hole.sum())} positions), batch 1, '
          f'CPU, {torch.get_num_threads()} thread(s), forward, float32, {repeats} rounds')
    for name, t in times.items():
        print(f'  {name:9s} best {min(t):.4f} s, median {statistics.median(t):.4f} s')
    if peer is not None:
        ratio = min(times['official']) / min(times['toolbox'])
        diff = float((outputs['toolbox'] - outputs['official']).abs().max())
        print(f'  official / toolbox: {ratio:.1f}x (best against best); largest output '
              f'difference {diff:.1e}')


def main(argv) -> int:
    args = parser().parse_args(argv)
    import torch
    threads = args.threads or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    if not args.no_versus:
        from . import versus
        configs = args.configs or [osp.join(_configs_folder(), c) for c in CONFIGS]
        code = versus.main([*configs, '--size', str(args.size), '--train-batch',
                            str(args.train_batch), '--repeats', str(args.repeats),
                            '--threads', str(threads), *(['--no-train'] * args.no_train)])
        if code:
            return code
    else:
        from toolbox.system import describe_cpu
        print(f'{describe_cpu()}; torch {torch.__version__}, {threads} thread(s)')
    time_csa_layer(args.csa_repeats, args.peer_csa)
    return 0
