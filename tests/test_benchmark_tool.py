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


def test_amp_benchmark_prints_both_loss_curves(capsys):
    """bf16 autocast training against fp32 on one fixed batch (issue 18)."""
    tool = _benchmark_tool()
    assert tool.main(['amp', '--amp-steps', '2', '--train-size', '64', '--train-batch', '1',
                      '--threads', '1']) == 0
    out = capsys.readouterr().out
    assert 'native bf16:' in out and 'largest relative gap' in out and 'bf16/fp32' in out
    rows = [line.split() for line in out.splitlines() if line.strip().split()[:1] in (['0'], ['1'])]
    assert len(rows) == 2 and all(len(r) == 9 for r in rows)     # step + 4 terms x 2 runs
