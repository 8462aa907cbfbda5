"""Benchmarks that print figures (never assertions): ``toolbox benchmark NAME [args]``
(or ``python tools/benchmark.py NAME [args]``).

``toolbox benchmark versus CONFIG [CONFIG ...]`` times the models that configs describe
against the first one (inference and a training step, parameters, FLOPs, peak memory):
a new method needs no benchmark script of its own.

Several names run one after another in this process: ``toolbox benchmark deepfill lama
train --peer-mmagic /tmp/mmagic --peer-lama /tmp/lama``; each gets the options its own
parser (``parser()``) knows, and an option none of them knows is an error.

Each NAME is a module ``toolbox.benchmarks.NAME`` with a ``main(argv)`` function; run
without NAME to list them. Timings are reported next to a baseline measured in the same
run, as ratios, because absolute seconds on a shared CPU mean little.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys

import toolbox.benchmarks


def available() -> list[str]:
    # peers imports other projects' code for the comparisons; it is no benchmark itself
    return sorted(m.name for m in pkgutil.iter_modules(toolbox.benchmarks.__path__)
                  if not m.name.startswith('_') and m.name != 'peers')


def load_benchmark(name: str):
    """The module ``toolbox.benchmarks.NAME``."""
    return importlib.import_module(f'toolbox.benchmarks.{name}')


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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    names = available()
    if not argv or argv[0] in ('-h', '--help'):
        print(__doc__)
        print('available:', ', '.join(names) or '(none)')
        return 0
    if argv[0] == 'versus':            # its positional CONFIGs are no benchmark names
        return int(load_benchmark('versus').main(argv[1:]) or 0)
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
    sys.exit(main())
