"""docs/plugins.md, run as written: the ten-line generator and its setup.cfg install as a
distribution, and `toolbox list` / `toolbox info` / the contract checks find it; the table
of kinds is the one in toolbox/kinds.py."""
import json
import os.path as osp
import re
import subprocess
import sys
import textwrap

from toolbox.kinds import KINDS

from .utils import REPO, run_python

GUIDE = osp.join(REPO, 'docs', 'plugins.md')


def section(title: str) -> str:
    text = open(GUIDE, encoding='utf-8').read()
    return text.split(f'\n## {title}\n', 1)[1].split('\n## ', 1)[0]


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf'```{lang}\n(.*?)```', text, re.S)


PROBE = textwrap.dedent('''
    import contextlib, io, json
    from toolbox import testing
    from toolbox.cli import main
    from toolbox.plugins import methods
    out = {}
    for args in (['list', 'generators'], ['info', 'MeanFill']):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            main(args)
        out[args[0]] = buf.getvalue()
    testing.check_generator('MeanFill')
    out['methods'] = [m['name'] for m in methods()]
    print(json.dumps(out))
''')


def test_the_guide_generator_installs_and_registers_as_written(tmp_path):
    code, = blocks(section('A generator in ten lines'), 'python')
    setup_cfg, = blocks(section('A generator in ten lines'), 'ini')
    hooks, = blocks(section('Hooks: what a decorator cannot say'), 'python')
    assert code.startswith('# my_inpainting/__init__.py')
    assert len([l for l in code.splitlines() if l.strip()]) <= 13
    project = tmp_path / 'project'
    (project / 'my_inpainting').mkdir(parents=True)
    (project / 'my_inpainting' / '__init__.py').write_text(code + '\n' + hooks)
    (project / 'setup.cfg').write_text(setup_cfg)
    (project / 'pyproject.toml').write_text(
        '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n')
    site = tmp_path / 'site'
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet', '--no-deps',
                    '--no-build-isolation', '--no-index', '--target', str(site), str(project)],
                   check=True, capture_output=True)
    result = run_python(['-c', PROBE], env=dict(PYTHONPATH=str(site)))
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    row = [l for l in found['list'].splitlines() if 'MeanFill' in l]
    assert len(row) == 1 and 'my_inpainting (my-inpainting 0.1.0)' in row[0], found['list']
    assert found['info'].startswith('MeanFill(') and 'plugin: my_inpainting' in found['info']
    assert 'Mean fill' in found['methods']


def test_the_kinds_table_is_toolbox_kinds():
    text = section('Registries and base classes')
    table = text.split('<!-- kinds:begin -->')[1].split('<!-- kinds:end -->')[0]
    rows = [[c.strip(' `') for c in line.strip('|').split('|')]
            for line in table.strip().splitlines()[2:]]
    assert rows == [[k.key, k.constant, k.base, k.check] for k in KINDS]
