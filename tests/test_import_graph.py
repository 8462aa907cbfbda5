"""No import circle among the engine's modules.

The graph is read from the source with ``ast``: a node per module of ``toolbox/``, an edge
for every import of another ``toolbox`` module, at the top of a file or inside a function
(an import inside a function hides a circle, it does not remove it). ``from pkg import
name`` is an edge to ``pkg.name`` when that is a module, else to ``pkg``. Python imports a
package's ``__init__`` before any of its submodules, but that is not an edge: a package's
own ``__init__`` re-exporting its submodules is not a circle; a submodule importing the
package back is.
"""
from __future__ import annotations

import ast
import os.path as osp
from pathlib import Path

from .utils import REPO


def modules(root: Path, package: str) -> dict[str, Path]:
    """Module name -> file, for every module of ``package`` under ``root``."""
    found = {}
    for path in sorted((root / package).rglob('*.py')):
        parts = list(path.relative_to(root).with_suffix('').parts)
        if parts[-1] == '__init__':
            parts.pop()
        found['.'.join(parts)] = path
    return found


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    mods = modules(root, package)
    graph: dict[str, set[str]] = {name: set() for name in mods}
    for name, path in mods.items():
        is_package = path.name == '__init__.py'
        here = name if is_package else name.rpartition('.')[0]
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            if isinstance(node, ast.Import):
                graph[name] |= {a.name for a in node.names if a.name in mods}
            elif isinstance(node, ast.ImportFrom):
                if node.level:   # relative: 'from . import x', 'from ..registry import X'
                    base = here.split('.')[:len(here.split('.')) - node.level + 1]
                    target = '.'.join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ''
                for alias in node.names:
                    sub = f'{target}.{alias.name}'
                    if sub in mods:
                        graph[name].add(sub)
                    elif target in mods:
                        graph[name].add(target)
        graph[name].discard(name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_engine_has_no_import_circle():
    graph = import_graph(Path(REPO), 'toolbox')
    assert len(graph) > 40 and 'toolbox.plugins' in graph['toolbox']
    assert cycles(graph) == []


def test_the_registry_modules_depend_one_way():
    graph = import_graph(Path(REPO), 'toolbox')
    assert graph['toolbox.kinds'] == set()          # imports nothing of the toolbox
    assert graph['toolbox.builder'] == set()
    assert graph['toolbox.hookspecs'] == set()
    assert graph['toolbox.registry'] == {'toolbox.builder'}
    assert 'toolbox.registry' in graph['toolbox.plugins']


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_a_circle_hidden_in_a_function_is_found(tmp_path):
    _write(tmp_path, {
        'pkg/__init__.py': 'from . import a, b\nfrom .sub import c\n',   # re-exports: fine
        'pkg/a.py': 'from pkg.b import thing\n',
        'pkg/b.py': 'def f():\n    from .sub.c import other\n',
        'pkg/sub/__init__.py': '',
        'pkg/sub/c.py': 'def g():\n    from ..a import x\n',
        'pkg/d.py': 'import pkg.a\n',
    })
    assert cycles(import_graph(tmp_path, 'pkg')) == [['pkg.a', 'pkg.b', 'pkg.sub.c']]
    _write(tmp_path, {'pkg/sub/c.py': 'import os.path\n'})
    assert cycles(import_graph(tmp_path, 'pkg')) == []
    _write(tmp_path, {'pkg/sub/c.py': 'from pkg import d\n'})   # a sibling module
    assert cycles(import_graph(tmp_path, 'pkg')) == [['pkg.a', 'pkg.b', 'pkg.d', 'pkg.sub.c']]
    _write(tmp_path, {'pkg/b.py': '', 'pkg/sub/c.py': 'from pkg import helper\n'})
    assert cycles(import_graph(tmp_path, 'pkg')) == [['pkg', 'pkg.sub.c']]   # the package back


def test_kinds_registries_bases_and_checks_agree():
    """toolbox.kinds lists each kind once; the registry, the base class, the contract check
    and the public names are written out by name elsewhere: they must match it."""
    import toolbox
    from toolbox import bases, registry, testing
    from toolbox.kinds import KINDS
    assert list(registry.KIND_REGISTRIES) == [k.key for k in KINDS]
    for k in KINDS:
        reg = getattr(registry, k.constant)
        assert registry.KIND_REGISTRIES[k.key] is reg and reg.kind == k.name
        assert getattr(toolbox, k.constant) is reg and k.constant in toolbox.__all__
        assert getattr(toolbox, k.base) is getattr(bases, k.base) and k.base in toolbox.__all__
        assert callable(getattr(testing, k.check))
    source = open(osp.join(REPO, 'toolbox', '__init__.py'), encoding='utf-8').read()
    assert 'globals()' not in source
