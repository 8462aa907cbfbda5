"""Import cost: ``import torch`` alone vs. ``import toolbox`` + loading every plugin.

Each measurement is a fresh interpreter; the median of N runs is printed, with the
difference and the ratio to ``import torch`` measured in the same run.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

SNIPPETS = {
    'import torch': 'import torch',
    'import torch, mmengine': 'import torch, mmengine.runner',
    'import toolbox': 'import toolbox',
    'toolbox + all plugins': 'import toolbox; from toolbox.registry import GENERATORS; len(GENERATORS)',
}


def _time(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, '-c', code], check=True)
    return time.perf_counter() - start


def main(argv) -> int:
    p = argparse.ArgumentParser(prog='benchmark.py startup', description=__doc__)
    p.add_argument('--runs', type=int, default=5)
    args = p.parse_args(argv)
    _time('import torch')  # warm the file cache
    results = {}
    for name, code in SNIPPETS.items():
        results[name] = statistics.median(_time(code) for _ in range(args.runs))
    base = results['import torch']
    print(f'{"what":28s} {"median s":>9s} {"- torch s":>10s} {"x torch":>8s}')
    for name, t in results.items():
        print(f'{name:28s} {t:9.2f} {t - base:10.2f} {t / base:8.2f}')
    # Heavy optional dependencies must not be imported by loading plugins.
    code = ('import sys, toolbox; from toolbox.registry import GENERATORS; len(GENERATORS); '
            "print(sorted(m for m in ('timm', 'lpips', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    print('heavy modules imported by loading all plugins:', out.stdout.strip())
    return 0
