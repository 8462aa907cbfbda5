"""The ``toolbox`` command: ``toolbox list [KIND]``, ``toolbox info NAME``."""
from __future__ import annotations

import argparse
import inspect
import sys


def _kinds() -> dict:
    from toolbox.registry import ALL_REGISTRIES
    return ALL_REGISTRIES


def _rows(kind: str | None):
    from toolbox.plugins import component_origin, ensure_loaded
    for registry in _kinds().values():   # an engine module may fill several registries
        ensure_loaded(registry)
    for key, registry in _kinds().items():
        if kind and key != kind:
            continue
        for name in sorted(registry.module_dict):
            yield key, name, component_origin(key, name)


def cmd_list(args) -> int:
    from toolbox.registry import DEPRECATED_KEYS, kind_key
    kinds = _kinds()
    if args.kind in DEPRECATED_KEYS:
        args.kind = kind_key(args.kind)
    if args.kind and args.kind not in kinds:
        import difflib
        close = difflib.get_close_matches(args.kind, list(kinds), n=1)
        hint = f'; did you mean {close[0]!r}?' if close else ''
        print(f'error: unknown kind {args.kind!r}{hint} (kinds: {", ".join(kinds)})',
              file=sys.stderr)
        return 2
    rows = [(k, n, str(o) if o else '?') for k, n, o in _rows(args.kind)]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(('KIND', 'NAME', 'PLUGIN'))]
    print('  '.join(h.ljust(w) for h, w in zip(('KIND', 'NAME', 'PLUGIN'), widths)).rstrip())
    for row in rows:
        print('  '.join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    return 0


def cmd_info(args) -> int:
    matches = [(k, n, o) for k, n, o in _rows(None) if n == args.name]
    if not matches:
        import difflib
        names = sorted({n for _, n, _ in _rows(None)})
        close = difflib.get_close_matches(args.name, names, n=3)
        hint = f'; did you mean {" or ".join(close)}?' if close else ''
        print(f'error: no component named {args.name!r}{hint}', file=sys.stderr)
        return 2
    for key, name, origin in matches:
        cls = _kinds()[key].module_dict[name]
        try:
            sig = str(inspect.signature(cls))
        except (TypeError, ValueError):
            sig = '(...)'
        print(f'{name}{sig}')
        print(f'  kind:   {key}')
        print(f'  plugin: {origin}')
        print(f'  class:  {cls.__module__}.{cls.__qualname__}')
        doc = inspect.getdoc(cls)
        if doc:
            print()
            print('\n'.join('  ' + line for line in doc.splitlines()))
        print()
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog='toolbox', description='Inpainting toolbox components.')
    sub = parser.add_subparsers(dest='command', required=True)
    p = sub.add_parser('list', help='list registered components with their kind and plugin')
    p.add_argument('kind', nargs='?', help='only this kind, e.g. generators, mask_generators')
    p.set_defaults(func=cmd_list)
    p = sub.add_parser('info', help="show a component's constructor signature and docstring")
    p.add_argument('name')
    p.set_defaults(func=cmd_info)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == '__main__':
    sys.exit(main())
