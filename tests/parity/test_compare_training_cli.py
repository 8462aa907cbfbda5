"""``toolbox compare-training`` refuses what it cannot do with one line and exit status 2,
before importing anything heavy."""
from __future__ import annotations

from toolbox.cli import main


def test_a_folder_that_is_not_an_mmagic_checkout_is_refused(tmp_path, capsys):
    assert main(['compare-training', '--peer-mmagic', str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith('error: --peer-mmagic') and 'no mmagic/ folder' in err
    assert '\n' not in err


def test_no_peer_and_a_folder_that_is_not_a_lama_checkout_are_refused(tmp_path, capsys):
    assert main(['compare-training']) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith('error: give at least one peer') and '\n' not in err
    assert main(['compare-training', '--peer-lama', str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith('error: --peer-lama') and 'saicinpainting/training/trainers/' in err
    assert '\n' not in err


def test_too_small_sizes_are_refused_with_the_reason(tmp_path, capsys):
    (tmp_path / 'mmagic').mkdir()
    assert main(['compare-training', '--peer-mmagic', str(tmp_path), '--size', '64']) == 2
    assert '>= 128' in capsys.readouterr().err          # DeepFill v2's smallest size
    assert main(['compare-training', '--peer-mmagic', str(tmp_path), '--models', 'aotgan',
                 '--size', '32']) == 2
    assert '>= 64' in capsys.readouterr().err
    trainer = tmp_path / 'saicinpainting/training/trainers/default.py'
    trainer.parent.mkdir(parents=True)
    trainer.write_text('')
    assert main(['compare-training', '--peer-lama', str(tmp_path), '--size', '32']) == 2
    assert '>= 64' in capsys.readouterr().err            # LaMa-Fourier's smallest size


def test_an_unknown_dtype_is_refused_with_the_choices(tmp_path, capsys):
    (tmp_path / 'mmagic').mkdir()
    assert main(['compare-training', '--peer-mmagic', str(tmp_path), '--dtype', 'float16']) == 2
    err = capsys.readouterr().err.strip()
    assert err == 'error: --dtype float16: not one of float32, float64'
