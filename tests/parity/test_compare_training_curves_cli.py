"""``toolbox compare-training --curves`` refuses arguments it cannot run with one line
naming the option and the value, and exit status 2, before building any model."""
from __future__ import annotations

import pytest

from toolbox.cli import main


@pytest.mark.parametrize('args, named', [
    (['--every', '0'], '--every 0'),
    (['--curve-steps', '20', '--every', '25'], '--every 25'),
    (['--curve-steps', '0'], '--curve-steps 0'),
    (['--seeds', '1', '1'], '--seeds must differ'),
    (['--recipes', 'mmagic'], '--recipes: two or more'),
    (['--recipes', 'mmagic', 'lama'], '(got mmagic lama)'),
    (['--size', '64'], '--size 64'),
    (['--batch', '0'], '--batch 0'),
    (['--held-out', '0'], '--held-out 0'),
    (['--figure', 'curves.txt'], '--figure curves.txt'),
], ids=['every 0', 'every beyond the steps', 'no steps', 'a seed twice', 'one recipe',
        'unknown recipe', 'too small', 'batch 0', 'no held-out', 'figure type'])
def test_bad_curve_arguments_are_refused_in_one_line(tmp_path, capsys, args, named):
    (tmp_path / 'mmagic').mkdir()
    figure = tmp_path / 'out' / 'c.svg'
    assert main(['compare-training', '--peer-mmagic', str(tmp_path), '--curves',
                 '--figure', str(figure), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith('error: ') and named in err and '\n' not in err
    assert not (tmp_path / 'out').exists()          # refused before writing anything


def test_curves_need_mmagic_and_float32(tmp_path, capsys):
    # the curves are DeepFill v2 against MMagic's trainer, in float32
    (tmp_path / 'saicinpainting').mkdir()
    assert main(['compare-training', '--peer-lama', str(tmp_path), '--curves']) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith('error: --curves') and '--peer-mmagic' in err and '\n' not in err
    (tmp_path / 'mmagic').mkdir()
    assert main(['compare-training', '--peer-mmagic', str(tmp_path), '--curves',
                 '--dtype', 'float64']) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith('error: --dtype float64') and '\n' not in err
