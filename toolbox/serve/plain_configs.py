"""``toolbox serve --models DIR --plain-configs``: configs that are data, not code.

An mmengine config is a Python file, run when it is loaded: a config in the models folder
can do anything the server's user can. With ``--plain-configs`` a config is accepted only
if, read as a syntax tree and never run, it

* inherits at least one config shipped with the toolbox (``_base_``, a path or a list of
  paths, relative to the config's folder or absolute, inside the toolbox's ``configs/``);
* holds nothing but assignments ``NAME = value`` of plain values: numbers, strings,
  ``True``/``False``/``None``, lists, tuples, dicts and ``dict(key=value, ...)`` of those;
* sets no ``custom_imports`` (mmengine imports the modules it names).

The shipped configs it inherits are run as Python: they come with the toolbox.
"""
from __future__ import annotations

import ast
import os.path as osp

from toolbox.apis.convert import CONFIG_ROOT

#: top-level keys that make mmengine import or run something
REFUSED_KEYS = ('custom_imports',)


class PlainConfigError(ValueError):
    """A config that is not plain data over a shipped config; names the file and line."""


def _plain(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (str, int, float, bool, type(None)))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return isinstance(node.operand, ast.Constant) and isinstance(
            node.operand.value, (int, float)) and not isinstance(node.operand.value, bool)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(_plain(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _plain(k) for k in node.keys) and all(
            _plain(v) for v in node.values)
    if isinstance(node, ast.Call):       # dict(key=value, ...) only
        return (isinstance(node.func, ast.Name) and node.func.id == 'dict' and not node.args
                and all(k.arg is not None and _plain(k.value) for k in node.keywords))
    return False


def check_plain_config(path: str) -> None:
    """Refuse (``PlainConfigError``, one line) a config that is more than plain values over
    a shipped config. Reads ``path``; runs nothing."""
    try:
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read(), path)
    except (OSError, SyntaxError, ValueError) as exc:
        raise PlainConfigError(f'{path}: cannot be read as Python ({exc})') from exc
    bases = None
    for node in tree.body:
        where = f'{path}:{node.lineno}'
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)):
            continue                      # a docstring
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            raise PlainConfigError(f'{where}: only `NAME = value` assignments are allowed '
                                   f'with --plain-configs, not {type(node).__name__}')
        name = node.targets[0].id
        if name in REFUSED_KEYS:
            raise PlainConfigError(f'{where}: {name} is refused with --plain-configs (it '
                                   'makes mmengine import modules)')
        if not _plain(node.value):
            raise PlainConfigError(f'{where}: {name} must be a plain value (numbers, strings, '
                                   'lists, dicts, dict(...)), not an expression')
        if name == '_base_':
            value = ast.literal_eval(node.value) if not isinstance(node.value, ast.Call) \
                else None
            bases = [value] if isinstance(value, str) else value
            if not (isinstance(bases, (list, tuple)) and bases
                    and all(isinstance(b, str) for b in bases)):
                raise PlainConfigError(f'{where}: _base_ must be a path or a list of paths')
    if bases is None:
        raise PlainConfigError(f'{path}: with --plain-configs a config must inherit a shipped '
                               f'config (_base_ = [...] under {CONFIG_ROOT})')
    root = osp.realpath(CONFIG_ROOT)
    for base in bases:
        full = osp.realpath(osp.join(osp.dirname(osp.abspath(path)), base))
        if osp.commonpath([full, root]) != root or not osp.isfile(full):
            raise PlainConfigError(f'{path}: _base_ {base!r} is not a config shipped with '
                                   f'the toolbox (under {CONFIG_ROOT})')
