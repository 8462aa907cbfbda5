"""The command-line tools, run as a user runs them."""
import os.path as osp

import pytest
import torch

from toolbox.cli import main as toolbox_main

from .utils import REPO, load_tool, run_python

DEMO = osp.join(REPO, 'configs/basic/demo.py')


def _train(work, demo_root, *extra, resume=False):
    return run_python([osp.join(REPO, 'tools/train.py'), DEMO, '--work-dir', str(work),
                       *(['--resume'] if resume else []), '--cfg-options', f'train_dataloader.dataset.data_root={demo_root}',
                       f'val_dataloader.dataset.data_root={demo_root}',
                       'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
                       'default_hooks.logger.interval=1', *extra], cwd=str(work.parent))


@pytest.mark.slow
def test_demo_trains_checkpoints_resumes_and_tests(tmp_path, demo_root):
    work = tmp_path / 'work'
    first = _train(work, demo_root, 'train_cfg.max_iters=4')
    assert first.returncode == 0, first.stderr[-4000:]
    assert (work / 'iter_4.pth').exists() and (work / 'vis' / 'val_iter_000004.png').exists()
    ckpt4 = torch.load(work / 'iter_4.pth', weights_only=True)   # safe loading works
    assert ckpt4['meta']['iter'] == 4

    second = _train(work, demo_root, 'train_cfg.max_iters=6', resume=True)
    assert second.returncode == 0, second.stderr[-4000:]
    log = second.stdout + second.stderr
    assert 'Auto resumed from the latest checkpoint' in log and 'iter: 4' in log
    assert 'Iter(train) [5/6]' in log and 'Iter(train) [1/6]' not in log
    ckpt6 = torch.load(work / 'iter_6.pth', weights_only=True)
    key = 'generator.head.weight'
    assert not torch.equal(ckpt4['state_dict'][key], ckpt6['state_dict'][key])
    assert ckpt6['optimizer']['generator']['state']          # Adam state carried on

    test = run_python([osp.join(REPO, 'tools/test.py'), DEMO, str(work / 'iter_6.pth'),
                       '--work-dir', str(work), '--cfg-options',
                       f'test_dataloader.dataset.data_root={demo_root}'], cwd=str(tmp_path))
    assert test.returncode == 0, test.stderr[-4000:]
    assert 'PSNR:' in test.stdout and (work / 'vis' / 'test.png').exists()


@pytest.mark.slow
def test_config_errors_are_one_line_naming_file_and_path(tmp_path):
    bad = tmp_path / 'typo.py'
    bad.write_text(f"_base_ = [{DEMO!r}]\nmodel = dict(generator=dict(type='EncoderDecoderGenerater'))\n")
    result = run_python([osp.join(REPO, 'tools/train.py'), str(bad), '--work-dir',
                         str(tmp_path / 'w')], cwd=str(tmp_path))
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f'error: {bad}: no generator named')
    assert 'model.generator' in last and "did you mean 'EncoderDecoderGenerator'" in last


def test_toolbox_info_and_list(capsys):
    assert toolbox_main(['info', 'L1Loss']) == 0
    out = capsys.readouterr().out
    assert out.startswith('L1Loss(loss_weight') and 'plugin: basic' in out
    assert toolbox_main(['list', 'losses']) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ['KIND', 'NAME', 'PLUGIN']
    assert all(line.startswith('losses') for line in out[1:]) and len(out) >= 4
    assert toolbox_main(['list', 'loss']) == 2
    assert "did you mean 'losses'" in capsys.readouterr().err


def test_missing_checkpoint_is_one_line(tmp_path, capsys):
    assert load_tool('test').main([DEMO, str(tmp_path / 'gone.pth')]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f'error: {DEMO}: checkpoint {tmp_path / "gone.pth"} does not exist'
