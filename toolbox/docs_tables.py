"""The tables of the docs that are generated from plugin metadata.

``docs/methods.md`` holds the method table between ``<!-- methods:begin -->`` and
``<!-- methods:end -->``; it is made from what the built-in plugins return from their
``toolbox_methods`` hook (:func:`toolbox.plugins.methods`). After changing a plugin's
metadata, regenerate it with::

    python -m toolbox.docs_tables            # rewrites docs/methods.md
    python -m toolbox.docs_tables --check    # exit status 1 when it is not current

``tests/test_docs_tables.py`` fails when the table in the file is not current.

``docs/model-zoo.md`` holds the model-zoo table between ``<!-- zoo:begin -->`` and
``<!-- zoo:end -->``, made from the built-in plugins' ``toolbox_model_zoo`` entries
(:func:`toolbox.zoo.zoo_entries`); the same command rewrites (or checks) it.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from toolbox.hookspecs import MethodInfo
from toolbox.plugins import loaded_plugins, methods

__all__ = ['BEGIN', 'END', 'METHODS_PAGE', 'builtin_methods', 'method_table',
           'with_table', 'update', 'main', 'ZOO_BEGIN', 'ZOO_END', 'ZOO_PAGE', 'zoo_table',
           'update_zoo']

BEGIN = '<!-- methods:begin -->'
END = '<!-- methods:end -->'
ZOO_BEGIN = '<!-- zoo:begin -->'
ZOO_END = '<!-- zoo:end -->'
#: The page in a checkout (an installed wheel has no docs/).
METHODS_PAGE = Path(__file__).resolve().parents[1] / 'docs' / 'methods.md'
ZOO_PAGE = Path(__file__).resolve().parents[1] / 'docs' / 'model-zoo.md'
#: The distribution whose plugins are the built-in ones.
DISTRIBUTION = 'inpainting-toolbox'


def builtin_methods() -> list[MethodInfo]:
    """The methods of the plugins this distribution ships (not of third-party plugins
    that happen to be installed)."""
    plugins = loaded_plugins()
    return [m for m in methods()
            if m['plugin'] in plugins and plugins[m['plugin']].distribution == DISTRIBUTION]


def _cell(text: str) -> str:
    return text.replace('|', '\\|')


def _folder(path: str, link_base: str | None) -> str:
    # mkdocs --strict rejects relative links that leave docs/, so without a base URL a
    # folder is named, not linked.
    return f'[`{path}`]({link_base}{path})' if link_base else f'`{path}`'


def method_table(rows: list[MethodInfo] | None = None, link_base: str | None = None) -> str:
    """The Markdown table of ``rows`` (default: :func:`builtin_methods`): method,
    paper and venue, plugin folder, config folder, official code. ``link_base`` (a URL
    ending in ``/``, e.g. a repository's tree) turns the folders into links."""
    rows = builtin_methods() if rows is None else rows
    lines = ['| method | paper | plugin | configs | official code |',
             '| --- | --- | --- | --- | --- |']
    for m in rows:
        paper = ', '.join(p for p in (m['paper'], m['venue']) if p) or '—'
        configs = _folder(f'configs/{m["configs"]}/', link_base) if m['configs'] else '—'
        code = (f'[{m["official_code"]}](https://github.com/{m["official_code"]})'
                if m['official_code'] else '—')
        lines.append('| ' + ' | '.join(_cell(c) for c in (
            m['name'], paper, _folder(f'plugins/{m["plugin"]}/', link_base), configs, code))
            + ' |')
    return '\n'.join(lines) + '\n'


def zoo_table(entries: list[dict] | None = None) -> str:
    """The Markdown table of the built-in plugins' model-zoo entries: name and the
    command that fetches it, source, licence, published hash, file, converter, config."""
    if entries is None:
        from toolbox.zoo import zoo_entries
        plugins = loaded_plugins()
        entries = [e for e in zoo_entries().values() if e['plugin'] in plugins
                   and plugins[e['plugin']].distribution == DISTRIBUTION]
    lines = ['| model | get it | source, version | licence | published hash | file | '
             'converter | config |', '| --- | --- | --- | --- | --- | --- | --- | --- |']
    for e in entries:
        get = (f'`toolbox download {e["name"]}`' if e['url'] else
               f'by hand from {e["page"]}, into `$TOOLBOX_HOME/downloads/`; then '
               f'`toolbox download {e["name"]}` converts it')
        digest = (f'sha256 `{e["sha256"]}…`' if e['sha256'] else
                  'none published: the sha256 of the first download is recorded and '
                  'required afterwards (trust on first use)')
        file = f'[`{e["filename"]}`]({e["url"]})' if e['url'] else f'`{e["filename"]}`'
        if e['member']:
            file += f', holding `{e["member"]}`'
        lines.append('| ' + ' | '.join(_cell(c) for c in (
            f'`{e["name"]}`: {e["title"]}', get, e['source'], e['licence'], digest, file,
            f'`{e["format"]}`', f'`{e["config"]}`')) + ' |')
    return '\n'.join(lines) + '\n'


def with_table(text: str, table: str, begin: str = BEGIN, end: str = END) -> str:
    """``text`` with everything between the markers replaced by ``table``."""
    if text.count(begin) != 1 or text.count(end) != 1 or text.index(begin) > text.index(end):
        raise ValueError(f'the page needs one {begin} and, after it, one {end}')
    head, rest = text.split(begin)
    _, tail = rest.split(end)
    return f'{head}{begin}\n{table}{end}{tail}'


def update_zoo(path: Path | str = ZOO_PAGE, check: bool = False) -> bool:
    """Write the current model-zoo table into ``path``; return whether it was stale."""
    path = Path(path)
    text = path.read_text(encoding='utf-8')
    new = with_table(text, zoo_table(), ZOO_BEGIN, ZOO_END)
    if new != text and not check:
        path.write_text(new, encoding='utf-8')
    return new != text


def update(path: Path | str = METHODS_PAGE, check: bool = False) -> bool:
    """Write the current method table into ``path``; return whether it was stale. With
    ``check``, only report."""
    path = Path(path)
    text = path.read_text(encoding='utf-8')
    new = with_table(text, method_table())
    if new != text and not check:
        path.write_text(new, encoding='utf-8')
    return new != text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m toolbox.docs_tables',
                                     description=__doc__.split('\n\n')[0])
    parser.add_argument('--path', default=str(METHODS_PAGE), help='the methods page')
    parser.add_argument('--zoo-path', default=str(ZOO_PAGE), help='the model-zoo page')
    parser.add_argument('--check', action='store_true',
                        help='do not write; exit with 1 when the table is not current')
    args = parser.parse_args(argv)
    stale_any = False
    for path, what, do in ((args.path, 'method', update), (args.zoo_path, 'model-zoo', update_zoo)):
        try:
            stale = do(path, check=args.check)
        except (OSError, ValueError) as exc:
            print(f'error: {path}: {exc}', file=sys.stderr)
            return 2
        if stale:
            print(f'{path}: the {what} table is not current'
                  + ('; run python -m toolbox.docs_tables' if args.check else '; rewritten'))
        stale_any = stale_any or stale
    return 1 if stale_any and args.check else 0


if __name__ == '__main__':
    sys.exit(main())
