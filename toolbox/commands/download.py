"""Fetch a model-zoo model: download, verify, convert and cache its released weights.

    toolbox download NAME [NAME ...]
    toolbox download --list

NAME is a model-zoo name (``toolbox download --list``, docs/model-zoo.md). The published
file goes to ``$TOOLBOX_HOME/downloads/`` (default ``~/.cache/inpainting-toolbox``; an
interrupted download resumes), its sha256 is checked against the published one (or, where
none is published, against the one recorded at the first download), and the converted
checkpoint is written once to ``$TOOLBOX_HOME/models/NAME.pth``. Afterwards
``toolbox inpaint --model NAME``, ``toolbox serve --model NAME``, ``toolbox evaluate NAME``
and ``init_inpaintor('NAME')`` use it. See :mod:`toolbox.zoo`.
"""
from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog='toolbox download', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('names', nargs='*', metavar='NAME', help='model-zoo names')
    p.add_argument('--list', action='store_true', help='list the model-zoo entries')
    args = p.parse_args(argv)
    from toolbox.apis.errors import run_reporting_errors
    from toolbox.zoo import (converted_path, ensure_weights, resolve_model_name,
                             weights_present, zoo_entries)
    entries = zoo_entries()
    if args.list or not args.names:
        for name, entry in entries.items():
            state = 'cached' if weights_present(name) else 'not downloaded'
            print(f'{name:24} {state:15} {entry["title"]} (config {entry["config"]})')
        return 0
    code = 0
    for name in args.names:
        def fetch(name=name):
            if name not in entries:
                from toolbox.config_names import UnknownNameError
                try:
                    what = resolve_model_name(name)
                except UnknownNameError as exc:
                    raise FileNotFoundError(f'{exc}') from None
                raise FileNotFoundError(f'{name} is a {what.describe()}, not a model-zoo '
                                        'name: nothing to download (toolbox download --list)')
            print(f'{name}: model-zoo entry ({entries[name]["title"]}, config '
                  f'{entries[name]["config"]})')
            present = weights_present(name)
            path = ensure_weights(name, allow_download=True,
                                  say=lambda text: print(text, flush=True))
            print(f'{name}: {"already cached" if present else "ready"}: {path}')
            assert path == converted_path(entries[name])
        code = max(code, run_reporting_errors(fetch, 'toolbox download'))
    return code


if __name__ == '__main__':
    sys.exit(main())
