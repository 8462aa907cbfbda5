"""HD strategies: ``crop`` against ``whole`` on a large photo with one small hole.

usage: python tools/benchmark.py hd [--size W H] [--hole N] [--models telea basic]
                                    [--repeats R] [--threads N]

The photo is scikit-image's ``coffee`` (600 x 400) upscaled (bicubic) to ``--size``
(default 4000 x 3000), with one ``--hole`` x ``--hole`` hole (default 200) left of the
centre. Models: ``telea`` (OpenCV's Telea, classical) and ``basic`` (the encoder-decoder
of ``configs/basic/demo.py``, random weights: the cost does not depend on them).

Each measurement is a fresh process, so that peak memory is that of one call: the
process builds the model and the photo, warms up on a 256² input, resets its peak
resident memory (``/proc/self/clear_refs``), notes its resident memory, runs
``toolbox.apis.inpaint`` once with the strategy, and reports the wall time and the peak
resident memory above that baseline. Rounds are interleaved (every model and strategy once
per round) and the best time and the median memory of ``--repeats`` rounds are printed, with
``crop``'s ratio to ``whole`` measured in the same rounds.
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MODELS = ('telea', 'basic')
STRATEGIES = ('whole', 'crop')


def parse(argv):
    p = argparse.ArgumentParser(prog='benchmark.py hd', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--size', type=int, nargs=2, default=[4000, 3000], metavar=('W', 'H'))
    p.add_argument('--hole', type=int, default=200)
    p.add_argument('--models', nargs='+', choices=MODELS, default=list(MODELS))
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--threads', type=int, default=None,
                   help='torch threads (default: the CPUs this process may use)')
    p.add_argument('--child', nargs=2, metavar=('MODEL', 'STRATEGY'), help=argparse.SUPPRESS)
    return p.parse_args(argv)


def _status_kb(key: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    raise KeyError(key)


def _reset_peak() -> bool:
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')       # resets VmHWM to the current resident size (Linux >= 4.0)
        return True
    except OSError:
        return False


def build(model: str):
    from toolbox.apis import init_inpaintor
    if model == 'telea':
        return init_inpaintor(osp.join(REPO, 'configs/classical/telea.py'))
    return init_inpaintor(osp.join(REPO, 'configs/basic/demo.py'), random_weights=True)


def photo(width: int, height: int, hole: int):
    import cv2
    import numpy as np
    from skimage import data
    image = cv2.resize(data.coffee(), (width, height), interpolation=cv2.INTER_CUBIC)
    mask = np.zeros((height, width), np.uint8)
    y, x = height // 2 - hole // 2, width // 3 - hole // 2
    mask[y:y + hole, x:x + hole] = 255
    return image, mask


def child(args) -> int:
    import time

    import numpy as np
    import torch

    from toolbox.apis import inpaint
    from toolbox.apis.hd import run_strategy
    model_name, strategy = args.child
    torch.set_num_threads(args.threads or len(os.sched_getaffinity(0)))
    model = build(model_name)
    image, mask = photo(*args.size, args.hole)
    small = np.zeros((256, 256), np.float32)
    small[100:150, 100:150] = 1
    run_strategy(model, image[:256, :256].copy(), small, {}, 'whole')     # warm-up
    exact = _reset_peak()
    base = _status_kb('VmRSS')
    start = time.perf_counter()
    out = inpaint(model, image, mask, hd_strategy=strategy)
    seconds = time.perf_counter() - start
    peak = _status_kb('VmHWM')
    assert np.array_equal(out[mask == 0], image[mask == 0])
    print(json.dumps(dict(seconds=seconds, peak_mb=(peak - base) / 1024, exact_peak=exact)))
    return 0


def main(argv) -> int:
    args = parse(argv)
    if args.child:
        return child(args)
    threads = args.threads or len(os.sched_getaffinity(0))
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    w, h = args.size
    from toolbox.system import describe_cpu
    print(f'{describe_cpu()}; {threads} torch thread(s), load average {load:.2f}')
    print(f'photo: skimage coffee upscaled to {w}x{h}, one {args.hole}x{args.hole} hole; '
          f'inpaint(hd_strategy=...) once per fresh process, {args.repeats} interleaved '
          'rounds: best time, median peak resident memory above the baseline')
    results = {(m, s): [] for m in args.models for s in STRATEGIES}
    for _ in range(args.repeats):
        for key in results:
            cmd = [sys.executable, '-m', 'toolbox.benchmarks.hd', '--child', *key, '--size', str(w),
                   str(h), '--hole', str(args.hole), '--threads', str(threads)]
            done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO,
                                  env=dict(os.environ, PYTHONPATH=REPO))
            if done.returncode != 0:
                print(f'{key}: failed\n{done.stderr[-2000:]}', file=sys.stderr)
                return 1
            results[key].append(json.loads(done.stdout.strip().splitlines()[-1]))
    if not all(r['exact_peak'] for rs in results.values() for r in rs):
        print('note: /proc/self/clear_refs is not writable here: peaks include the setup')
    print(f'\n  {"model":6s} {"strategy":8s} {"seconds":>8s} {"peak MB":>8s}')
    for model in args.models:
        best = {s: min(r['seconds'] for r in results[model, s]) for s in STRATEGIES}
        mem = {s: statistics.median(r['peak_mb'] for r in results[model, s])
               for s in STRATEGIES}
        for s in STRATEGIES:
            print(f'  {model:6s} {s:8s} {best[s]:8.3f} {mem[s]:8.1f}')
        print(f'  {model:6s} crop/whole: time {best["crop"] / best["whole"]:.3f}x, '
              f'peak memory {mem["crop"] / max(mem["whole"], 1e-9):.3f}x')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
