#!/usr/bin/env python
"""Benchmarks that print figures (never assertions): ``python tools/benchmark.py NAME [args]``.

Each NAME is a module ``tools/benchmarks/NAME.py`` with a ``main(argv)`` function; run
without NAME to list them. Timings are reported next to a baseline measured in the same
run, as ratios, because absolute seconds on a shared CPU mean little.
"""
from __future__ import annotations

import importlib.util
import os.path as osp
import sys

HERE = osp.join(osp.dirname(osp.abspath(__file__)), 'benchmarks')


def available() -> list[str]:
    import os
    return sorted(f[:-3] for f in os.listdir(HERE) if f.endswith('.py') and not f.startswith('_'))


def load_benchmark(name: str):
    """The module ``tools/benchmarks/NAME.py`` (one instance per process), so that one
    benchmark can reuse another's helpers: ``from benchmark import load_benchmark``."""
    key = f'benchmark_{name}'
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, osp.join(HERE, f'{name}.py'))
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


def main(argv: list[str]) -> int:
    names = available()
    if not argv or argv[0] in ('-h', '--help'):
        print(__doc__)
        print('available:', ', '.join(names) or '(none)')
        return 0
    name, rest = argv[0], argv[1:]
    if name not in names:
        print(f'unknown benchmark {name!r}; available: {", ".join(names)}', file=sys.stderr)
        return 2
    return int(load_benchmark(name).main(rest) or 0)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
