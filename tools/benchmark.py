#!/usr/bin/env python
"""Benchmarks that print figures (never assertions): ``python tools/benchmark.py NAME [args]``.

Several names run one after another in this process: ``python tools/benchmark.py deepfill
lama train --peer-mmagic /tmp/mmagic --peer-lama /tmp/lama``; each gets the options its
own parser (``parser()``) knows, and an option none of them knows is an error.

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


def own_options(parser, argv: list[str]) -> tuple[list[str], set[str]]:
    """(the part of ``argv`` that ``parser`` knows, the option strings it does not)."""
    _, unknown = parser.parse_known_args(argv)
    rest = list(unknown)
    known = []
    for token in argv:
        if rest and token == rest[0]:
            rest.pop(0)
        else:
            known.append(token)
    return known, {t for t in unknown if t.startswith('-')}


def main(argv: list[str]) -> int:
    names = available()
    if not argv or argv[0] in ('-h', '--help'):
        print(__doc__)
        print('available:', ', '.join(names) or '(none)')
        return 0
    chosen = []
    while argv and not argv[0].startswith('-'):
        chosen.append(argv.pop(0))
    for name in chosen:
        if name not in names:
            print(f'unknown benchmark {name!r}; available: {", ".join(names)}',
                  file=sys.stderr)
            return 2
    if len(chosen) == 1:
        return int(load_benchmark(chosen[0]).main(argv) or 0)
    modules = [load_benchmark(name) for name in chosen]
    for name, module in zip(chosen, modules):
        if not hasattr(module, 'parser'):
            print(f'benchmark {name!r} runs alone (it has no parser() to share options)',
                  file=sys.stderr)
            return 2
    split = [own_options(module.parser(), argv) for module in modules]
    unknown = set.intersection(*(u for _, u in split))
    if unknown:
        print(f'option(s) {", ".join(sorted(unknown))} known to none of {", ".join(chosen)}',
              file=sys.stderr)
        return 2
    rc = 0
    for name, module, (own, _) in zip(chosen, modules, split):
        print(f'\n=== {name} {" ".join(own)}'.rstrip(), flush=True)
        rc = max(rc, int(module.main(own) or 0))
    return rc


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
