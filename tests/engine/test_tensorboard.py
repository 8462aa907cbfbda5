"""Experiment tracking: with configs/_base_/tensorboard.py in a config's _base_, a demo
training writes TensorBoard event files holding the loss scalars and the inpainting grids."""
from __future__ import annotations

import glob

import pytest

pytestmark = pytest.mark.usefixtures('one_thread')


def test_demo_training_writes_losses_and_grids_to_tensorboard(tmp_path, monkeypatch, demo_root):
    pytest.importorskip('tensorboard', reason='the [tensorboard] extra (installed by .ci/run)')
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from toolbox.commands.train import main
    config = tmp_path / 'tracked.py'
    # the user's own config, inheriting the shipped demo and the switch by name
    config.write_text(
        "_base_ = ['basic/demo.py', '_base_/tensorboard.py']\n"
        f"train_dataloader = dict(dataset=dict(data_root={demo_root!r}))\n"
        f"val_dataloader = dict(dataset=dict(data_root={demo_root!r}))\n"
        "test_dataloader = val_dataloader\n"
        "train_cfg = dict(max_iters=2, val_interval=2)\n"
        "default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2))\n"
        "custom_hooks = [dict(type='InpaintingVisualizationHook', interval=1)]\n")
    monkeypatch.chdir(tmp_path)
    assert main([str(config), '--work-dir', str(tmp_path / 'run')]) == 0
    events = glob.glob(str(tmp_path / 'run' / '*' / 'vis_data' / 'events.out.tfevents.*'))
    assert len(events) == 1
    acc = EventAccumulator(events[0], size_guidance={'images': 0, 'scalars': 0})
    acc.Reload()
    scalars = acc.Tags()['scalars']
    assert {'loss_g', 'loss_d', 'loss_L1Loss_output'} <= set(scalars), scalars
    assert [e.step for e in acc.Scalars('loss_g')] == [1, 2]
    images = acc.Tags()['images']
    assert 'inpainting/train' in images and 'inpainting/val' in images, images
    train = acc.Images('inpainting/train')
    assert [e.step for e in train] == [1, 2] and train[0].encoded_image_string[:4] == b'\x89PNG'
