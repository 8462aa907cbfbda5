"""tools/benchmark.py with several names: each benchmark gets the options it knows."""
from __future__ import annotations

import importlib.util
import os.path as osp
import sys

from .utils import REPO


def _benchmark_tool():
    sys.path.insert(0, osp.join(REPO, 'tools'))
    spec = importlib.util.spec_from_file_location('benchmark', osp.join(REPO, 'tools',
                                                                        'benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_options_are_split_between_benchmarks():
    tool = _benchmark_tool()
    argv = ['--peer-mmagic', '/m', '--peer-lama', '/l', '--repeats', '2', '--rounds', '1']
    deepfill = tool.load_benchmark('deepfill').parser()
    train = tool.load_benchmark('train').parser()
    own, unknown = tool.own_options(deepfill, argv)
    assert own == ['--peer-mmagic', '/m', '--repeats', '2']
    assert unknown == {'--peer-lama', '--rounds'}
    own, unknown = tool.own_options(train, argv)
    assert own == ['--peer-mmagic', '/m', '--rounds', '1']


def test_an_option_no_benchmark_knows_is_refused(capsys):
    tool = _benchmark_tool()
    assert tool.main(['deepfill', 'train', '--peer-mama', '/x']) == 2
    assert '--peer-mama' in capsys.readouterr().err
