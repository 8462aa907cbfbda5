"""toolbox benchmark (tools/benchmark.py): several names share options; ``versus`` times
the models of configs against the first."""
from __future__ import annotations

import os.path as osp

import pytest

from toolbox.cli import main as toolbox_main

from .utils import REPO


def _benchmark_tool():
    from toolbox.commands import benchmark
    return benchmark


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


@pytest.mark.slow
def test_amp_benchmark_prints_both_loss_curves(capsys):
    """bf16 autocast training against fp32 on one fixed batch (issue 18)."""
    tool = _benchmark_tool()
    assert tool.main(['amp', '--amp-steps', '2', '--train-size', '64', '--train-batch', '1',
                      '--threads', '1']) == 0
    out = capsys.readouterr().out
    assert 'native bf16:' in out and 'largest relative gap' in out and 'bf16/fp32' in out
    rows = [line.split() for line in out.splitlines() if line.strip().split()[:1] in (['0'], ['1'])]
    assert len(rows) == 2 and all(len(r) == 9 for r in rows)     # step + 4 terms x 2 runs


def _versus_rows(out: str, section: str) -> dict[str, list[str]]:
    """``{config label: columns}`` of one table (``inference`` or ``training``)."""
    block = out.split(section, 1)[1].split('\n\n', 1)[0].splitlines()[2:]
    return {line.split()[0]: line.split()[1:] for line in block if line.strip()}


def test_versus_builds_the_models_its_configs_describe(capsys):
    """Ratios against the first config; the inference parameters are the generator's (the
    discriminator only trains); the header names the CPU and its flags."""
    from toolbox.apis import init_inpaintor
    from toolbox.system import describe_cpu
    demo = osp.join(REPO, 'configs/deepfillv2/demo.py')
    basic = osp.join(REPO, 'configs/basic/demo.py')
    assert toolbox_main(['benchmark', 'versus', basic, demo, '--size', '32', '--repeats', '1',
                         '--no-train', '--threads', '1']) == 0
    out = capsys.readouterr().out
    assert out.startswith(describe_cpu())
    rows = _versus_rows(out, 'inference')
    assert list(rows) == ['basic_demo', 'deepfillv2_demo']
    for label, path in (('basic_demo', basic), ('deepfillv2_demo', demo)):
        model = init_inpaintor(path, random_weights=True)
        generator = sum(p.numel() for p in model.generator.parameters())
        assert int(rows[label][1].replace(',', '')) == generator
        assert model.discriminator is None or sum(
            p.numel() for p in model.discriminator.parameters()) > 0
    size, params, seconds, ratio, gflop, flop_ratio, peak = rows['basic_demo']
    assert size == '32x32' and ratio == '1.00' and flop_ratio == '1.00'
    assert float(gflop) > 0 and float(rows['deepfillv2_demo'][4]) > 0
    assert 'training step' not in out


def test_versus_refuses_a_missing_config(tmp_path, capsys):
    code = toolbox_main(['benchmark', 'versus', str(tmp_path / 'nope.py'), '--size', '32'])
    assert code == 2
    assert 'nope.py' in capsys.readouterr().err.strip().splitlines()[-1]


def test_no_per_method_benchmark_scripts():
    """A method is benchmarked through its config (``benchmark versus``); the remaining
    benchmarks compare with peer projects or study one cost."""
    from toolbox.commands.benchmark import available
    assert not osp.exists(osp.join(REPO, 'tools', 'benchmarks'))
    methods = {'aotgan', 'context_encoder', 'deepfillv1', 'dfnet', 'dmfn', 'global_local',
               'pconv', 'edgeconnect'}
    assert not methods & set(available())
    assert 'versus' in available()


def test_versus_builds_pretrained_loss_networks_at_random(monkeypatch):
    """LBAM's, PRVS's and CSA's paper configs name VGG-16 weights for their losses; the
    benchmark's models take a random VGG instead, so it needs no weights file."""
    from toolbox.apis import load_config
    from toolbox.benchmarks.versus import random_pretrained
    for name, count in (('lbam/paris_256.py', 2), ('prvs/paris_256.py', 1),
                        ('csa/paris_256.py', 2), ('pluralistic/places2_256.py', 0)):
        cfg = load_config(osp.join(REPO, 'configs', name))
        assert random_pretrained(cfg) == count, name
        text = repr(cfg.model.to_dict())
        assert 'vgg_weights' not in text and "'pretrained': True" not in text
        assert text.count("'pretrained': False") == count


def test_methods_times_the_csa_layer_at_the_paper_size(capsys):
    assert toolbox_main(['benchmark', 'methods', '--no-versus', '--csa-repeats', '1',
                         '--threads', '1']) == 0
    out = capsys.readouterr().out
    assert 'CSA layer, 1x512x32x32, 16x16 hole (256 positions), batch 1, CPU, 1 thread(s)' in out
    seconds = float(out.split('toolbox   best ')[1].split()[0])
    assert seconds > 0                                        # a figure, never a bound
