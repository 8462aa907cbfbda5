"""Every tool is a ``toolbox COMMAND``; ``tools/*.py`` are thin wrappers over the same
function; no module edits ``sys.path``; tools do not import each other and tests do not
import tools; the CPU probe and the FLOP counter."""
from __future__ import annotations

import ast
import glob
import os.path as osp

import pytest
import torch

from toolbox.cli import COMMANDS
from toolbox.cli import main as toolbox_main
from toolbox.system import count_flops, describe_cpu, read_cpuinfo

from .utils import REPO


@pytest.mark.parametrize('name', sorted(COMMANDS))
def test_every_command_parses_its_own_arguments(name, capsys):
    try:
        code = toolbox_main([name, '--help'])
    except SystemExit as done:             # argparse's --help
        code = done.code
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith(f'usage: toolbox {name}') or (
        name == 'benchmark' and 'toolbox benchmark versus CONFIG' in out)


def _python_files(*folders: str) -> list[str]:
    return sorted(p for folder in folders
                  for p in glob.glob(osp.join(REPO, folder, '**', '*.py'), recursive=True))


def _imports(path: str) -> set[str]:
    tree = ast.parse(open(path).read())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_tools_are_thin_wrappers_over_commands():
    scripts = _python_files('tools')
    assert not osp.exists(osp.join(REPO, 'tools', 'benchmarks'))
    commands = {module for module, _ in COMMANDS.values()}
    wrapped = set()
    for path in scripts:
        tree = ast.parse(open(path).read())
        code = [n for n in tree.body if not (isinstance(n, ast.Expr)
                                             and isinstance(n.value, ast.Constant))]
        assert len(code) <= 3, f'{path}: more than an import and a call'
        (module,) = [m for m in _imports(path) if m.startswith('toolbox.commands.')]
        wrapped.add(module.rsplit('.', 1)[1])
    assert wrapped == commands            # every command has its script and back


def test_no_sys_path_edits_and_no_imports_of_tools():
    tool_names = {osp.splitext(osp.basename(p))[0] for p in _python_files('tools')}
    for path in _python_files('toolbox', 'plugins', 'tools', 'tests'):
        if path.endswith('tests/test_commands.py'):       # this file names what it looks for
            continue
        text = open(path).read()
        assert 'sys.path.insert' not in text and 'sys.path.append' not in text, path
        imported = {m.split('.')[0] for m in _imports(path)}
        assert not imported & (tool_names | {'tools', 'benchmark'}) - {'toolbox'}, path
        assert "spec_from_file_location('tool" not in text, path


CPUINFO = '''processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8480+
flags\t\t: fpu sse avx2 avx512f avx512_bf16 amx_bf16 amx_tile

processor\t: 1
model name\t: Intel(R) Xeon(R) Platinum 8480+
flags\t\t: fpu sse avx2
'''


def test_cpuinfo_is_read_once_for_model_and_flags():
    model, flags = read_cpuinfo(CPUINFO)
    assert model == 'Intel(R) Xeon(R) Platinum 8480+'
    assert {'avx2', 'avx512f', 'avx512_bf16', 'amx_bf16'} <= flags and 'amx_tile' in flags
    assert read_cpuinfo('') == ('unknown CPU', frozenset())
    assert describe_cpu().count(';') == 1 and 'flags:' in describe_cpu()


def test_flops_are_counted_in_inference_mode_and_in_training():
    """A 3x3 convolution, 3 -> 8 channels on 30 x 30 outputs: 2 * 3 * 8 * 9 * 900 FLOPs
    forward; the backward adds the input and weight gradients (twice that)."""
    conv, x = torch.nn.Conv2d(3, 8, 3), torch.randn(1, 3, 32, 32)
    forward = 2 * 3 * 8 * 9 * 30 * 30

    def infer():
        with torch.inference_mode():
            conv(x)

    def train():
        conv(x.requires_grad_()).sum().backward()
    assert count_flops(infer) == forward       # conv2d is a composite op there
    assert count_flops(train) == 3 * forward
