"""A method imports only the engine and its own folder: no plugin reaches into another.

Walks every module of ``plugins/`` with ``ast`` (imports inside functions included): an
import of ``toolbox_plugins.<other>``, or a relative import that climbs out of the plugin's
own folder, is a dependency between plugins that the plugin boundary (entry points,
blocking one plugin) cannot see. Pieces several methods share belong in the engine
(``toolbox.nn``, ...)."""
import ast
import os.path as osp
from pathlib import Path

from tests.utils import REPO


def imported_plugins(path: Path, root: Path) -> set[str]:
    """The plugin folders under ``root`` whose code the module at ``path`` imports."""
    package = path.relative_to(root).with_suffix('').parts[:-1]   # ('a', 'sub', ...)
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level:
            keep = len(package) - (node.level - 1)
            target = list(package[:max(keep, 0)]) + (node.module or '').split('.')
            target = [t for t in target if t]
            if keep < 0:
                found.add('<above plugins/>')
            elif target:
                found.add(target[0])
            else:                            # from .. import b: the names are plugins
                found.update(a.name for a in node.names)
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or '']
        else:
            continue
        for name in names:
            bits = name.split('.')
            if bits[0] == 'toolbox_plugins':
                found.add(bits[1] if len(bits) > 1 else '<toolbox_plugins>')
    return found


def test_no_plugin_imports_another_plugin():
    root = Path(REPO) / 'plugins'
    offenders = {}
    for path in sorted(root.rglob('*.py')):
        own = path.relative_to(root).parts[0]
        others = imported_plugins(path, root) - {own}
        if others:
            offenders[osp.relpath(path, REPO)] = sorted(others)
    assert not offenders, f'plugins importing other plugins: {offenders}'


def test_the_walk_sees_each_kind_of_cross_plugin_import(tmp_path):
    folder = tmp_path / 'a' / 'sub'
    folder.mkdir(parents=True)
    cases = {'from toolbox_plugins.b.losses import L1Loss': {'b'},
             'import toolbox_plugins.c.vgg': {'c'},
             'def f():\n    from toolbox_plugins.d import x': {'d'},
             'from ...e import y': {'e'},
             'from ... import f, g': {'f', 'g'},
             'from .. import h\nfrom . import z\nfrom toolbox_plugins.a.m import w\n'
             'import toolbox.nn\nfrom toolbox.crops import hole_boxes': {'a'}}
    for i, (source, expected) in enumerate(cases.items()):
        module = folder / f'm{i}.py'
        module.write_text(source + '\n')
        assert imported_plugins(module, tmp_path) == expected, source
