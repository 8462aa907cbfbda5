"""Adding a method, as a contributor would: a plugin folder with a generator that registers
itself, a config that inherits a base and changes only the generator, and one entry point
in the package's own setup.cfg. Installed, it trains through ``tools/train.py`` and is timed
against DeepFill v2 by ``tools/benchmark.py versus``, with no other file touched."""
from __future__ import annotations

import os.path as osp
import subprocess
import sys
import textwrap

import pytest

from .utils import REPO, run_python

GENERATOR = '''
"""A throwaway method: two 3x3 convolutions on image + mask."""
import torch
from torch import nn

from toolbox import BaseGenerator
from toolbox.registry import GENERATORS


@GENERATORS.register_module()
class ThrowawayGenerator(BaseGenerator):
    tiny_cfg = dict(width=4)

    def __init__(self, width: int = 8):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(4, width, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(width, 3, 3, padding=1))

    def forward(self, masked_image, mask, **guidance):
        return {'output': torch.tanh(self.body(torch.cat([masked_image, mask], 1)))}
'''

SETUP_CFG = '''
[metadata]
name = toolbox-throwaway-method
version = 0.0.1

[options]
packages = throwaway_method
include_package_data = True

[options.package_data]
throwaway_method = configs/*.py

[options.entry_points]
toolbox.plugins =
    throwaway = throwaway_method
'''

WIDTH = 6
#: conv 4 -> WIDTH and WIDTH -> 3, 3x3, with biases
PARAMETERS = (4 * 9 + 1) * WIDTH + (WIDTH * 9 + 1) * 3


@pytest.fixture(scope='module')
def installed_method(tmp_path_factory) -> tuple[str, str]:
    """``(site folder, config path)`` of the throwaway method, pip-installed."""
    src = tmp_path_factory.mktemp('method')
    package = src / 'throwaway_method'
    (package / 'configs').mkdir(parents=True)
    (package / '__init__.py').write_text(GENERATOR)
    (package / 'configs' / 'throwaway_demo.py').write_text(textwrap.dedent(f'''
        _base_ = [{osp.join(REPO, 'configs/basic/demo.py')!r}]
        model = dict(generator=dict(_delete_=True, type='ThrowawayGenerator', width={WIDTH}))
    '''))
    (src / 'setup.cfg').write_text(SETUP_CFG)
    (src / 'pyproject.toml').write_text('[build-system]\nrequires = ["setuptools>=64"]\n'
                                        'build-backend = "setuptools.build_meta"\n')
    site = str(tmp_path_factory.mktemp('site'))
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet', '--no-deps',
                    '--no-build-isolation', '--no-index', '--target', site, str(src)],
                   check=True, capture_output=True)
    config = osp.join(site, 'throwaway_method', 'configs', 'throwaway_demo.py')
    assert osp.isfile(config)              # the config ships inside the installed package
    return site, config


@pytest.mark.slow
def test_a_new_method_trains_and_is_benchmarked_against_deepfill(installed_method, demo_root,
                                                                  tmp_path):
    site, config = installed_method
    env = dict(PYTHONPATH=site, OMP_NUM_THREADS='1')
    work = tmp_path / 'work'
    train = run_python([osp.join(REPO, 'tools/train.py'), config, '--work-dir', str(work),
                        '--cfg-options', f'train_dataloader.dataset.data_root={demo_root}',
                        f'val_dataloader.dataset.data_root={demo_root}',
                        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
                        'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1'],
                       cwd=str(tmp_path), env=env)
    assert train.returncode == 0, train.stderr[-3000:]
    assert 'Iter(train) [2/2]' in train.stdout + train.stderr
    assert (work / 'iter_2.pth').is_file()

    deepfill = osp.join(REPO, 'configs/deepfillv2/places_256.py')
    bench = run_python([osp.join(REPO, 'tools/benchmark.py'), 'versus', deepfill, config,
                        '--size', '64', '--repeats', '1', '--train-batch', '1',
                        '--threads', '1'], env=env)
    assert bench.returncode == 0, bench.stderr[-3000:]
    out = bench.stdout
    for section in ('inference', 'training step'):
        table = out.split(f'\n{section}', 1)[1].split('\n\n', 1)[0].splitlines()[2:]
        rows = {line.split()[0]: line.split()[1:] for line in table if line.strip()}
        assert list(rows) == ['deepfillv2_places_256', 'throwaway_demo'], out
        # columns: [size,] params, seconds, x first, GFLOP, x first, peak MB
        time_ratio, flop_ratio = (3, 5) if section == 'inference' else (2, 4)
        assert rows['deepfillv2_places_256'][time_ratio] == '1.00'
        assert float(rows['throwaway_demo'][time_ratio]) > 0      # figures, not a race
        assert 0 < float(rows['throwaway_demo'][flop_ratio]) < 0.05   # two convolutions
    inference = out.split('\ninference', 1)[1].split('\n\n', 1)[0]
    line = next(l for l in inference.splitlines() if l.strip().startswith('throwaway_demo'))
    assert int(line.split()[2].replace(',', '')) == PARAMETERS
