"""Learning-curve parity (``toolbox.parity.curves``): the held-out metrics are the
documented formulas, the rule calls two identical trainers equal and one with a far
smaller learning rate not equal, a trainer whose guard stops on NaN ends as NaN (not as a
crash), and the toolbox trainer infers as its own validation does."""
from __future__ import annotations

import json
import math
import os.path as osp

import numpy as np
import pytest
import torch
from torch import nn

from toolbox.parity import curves as lc

pytestmark = pytest.mark.usefixtures('one_thread')


# -- the metrics ----------------------------------------------------------------------------

def test_hole_l1_and_psnr_by_hand():
    gt = torch.full((1, 3, 4, 4), 0.5)
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., :2, :2] = 1                     # 4 hole pixels of 16
    pred = gt.clone()
    pred[..., :2, :2] += 0.2
    m = lc.held_out_metrics(pred, gt, mask)
    assert m['hole_l1'] == pytest.approx([0.2])       # only the hole pixels count
    # MSE over the image: 0.2^2 * 4 / 16 = 0.01 -> 20 dB
    assert m['psnr'] == pytest.approx([20.0])


def test_metrics_clamp_the_composite_and_read_uint8_ground_truth():
    gt = torch.full((2, 3, 2, 2), 255, dtype=torch.uint8)
    gt[1] = 0
    mask = torch.ones(2, 1, 2, 2)
    pred = torch.stack([torch.full((3, 2, 2), 1.5),          # clamped to 1: exact
                        torch.full((3, 2, 2), 0.1)])
    m = lc.held_out_metrics(pred, gt, mask)
    assert m['hole_l1'] == pytest.approx([0.0, 0.1])
    assert m['psnr'][0] == math.inf and m['psnr'][1] == pytest.approx(20.0)


# -- toy trainers ---------------------------------------------------------------------------

class ToyInpainter:
    """A 3x3 convolution that fills holes from [masked image, mask], trained with Adam on
    the hole L1; initial weights from the seed."""

    def __init__(self, seed: int, lr: float, fail_at: int | None = None) -> None:
        torch.manual_seed(seed)
        self.net = nn.Conv2d(4, 3, 3, padding=1)
        self.optim = torch.optim.Adam(self.net.parameters(), lr=lr)
        self.steps, self.fail_at = 0, fail_at

    def _composite(self, gt, mask):
        gt, mask = gt.float() / 255, mask.float()
        out = self.net(torch.cat([gt * (1 - mask), mask], 1))
        return out * mask + gt * (1 - mask), gt, mask

    def step(self, batch):
        self.steps += 1
        if self.fail_at == self.steps:
            raise FloatingPointError('loss is nan')
        pred, gt, mask = self._composite(batch['gt'], batch['mask'])
        loss = ((pred - gt).abs() * mask).sum() / mask.sum() / 3
        self.optim.zero_grad()
        loss.backward()
        self.optim.step()
        return {'l1': loss.detach()}

    def parameters(self):
        return dict(self.net.named_parameters())

    def infer(self, gt, mask):
        return self._composite(gt, mask)[0].detach()


def toy_images(rng, n, size=8):
    """Smooth images (a colour plus a ramp) with a square hole in the middle."""
    colour = rng.uniform(40, 215, size=(n, 3, 1, 1))
    ramp = rng.uniform(-4, 4, size=(n, 3, 1, 1)) * np.arange(size)[None, None, None, :]
    gt = torch.from_numpy(np.clip(colour + ramp, 0, 255).round().astype(np.uint8))
    gt = gt.expand(n, 3, size, size).contiguous()
    mask = torch.zeros(n, 1, size, size, dtype=torch.uint8)
    mask[..., 3:5, 3:5] = 1
    return dict(gt=gt, mask=mask)


def toy_stream(seed, steps):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        yield toy_images(rng, 4)


HELD_OUT = toy_images(np.random.default_rng(99), 6)


def run(make, jobs=1, steps=40):
    return lc.learning_curves(make, toy_stream, HELD_OUT, steps=steps, every=10,
                              seeds=[0, 1, 2], jobs=jobs, progress=None)


def test_identical_trainers_are_equal():
    curves = run(lambda s: {'a': ToyInpainter(s, 1e-2), 'b': ToyInpainter(s, 1e-2)})
    assert curves.steps == [0, 10, 20, 30, 40]
    assert curves.series('a', 'hole_l1').shape == (3, 5)
    np.testing.assert_array_equal(curves.series('a', 'psnr'), curves.series('b', 'psnr'))
    assert lc.judge(curves, 'b', 'a').equal
    # the toys learn: the rule is tested on curves that move
    assert curves.series('a', 'hole_l1')[:, -1].max() < 0.5 * \
        curves.series('a', 'hole_l1')[:, 0].min()
    assert len(curves.losses['a'][0]) == 40


def test_a_much_smaller_learning_rate_is_not_equal():
    curves = run(lambda s: {'fast': ToyInpainter(s, 1e-2), 'slow': ToyInpainter(s, 1e-4)})
    verdict = lc.judge(curves, 'slow', 'fast')
    assert not verdict.equal
    assert {step for _, step, _ in verdict.outside} == {10, 20, 30, 40}   # step 0 agrees
    assert 'NOT EQUAL' in verdict.line()


def _with(curves, name, values):
    curves.values[name] = {s: {'hole_l1': [v], 'psnr': [20.0]}
                           for s, v in zip(curves.seeds, values)}


def test_the_rule_is_each_mean_within_the_others_seed_range():
    curves = lc.Curves([0], [0, 1, 2])
    _with(curves, 'ref', (0.30, 0.32, 0.40))            # mean 0.34, range [0.30, 0.40]
    _with(curves, 'x', (0.31, 0.33, 0.35))              # mean 0.33; 0.34 in [0.31, 0.35]
    assert lc.judge(curves, 'x', 'ref').equal
    _with(curves, 'x', (0.41, 0.41, 0.41))              # its mean beyond the ref's max
    assert not lc.judge(curves, 'x', 'ref').equal
    _with(curves, 'x', (0.305, 0.306, 0.307))           # inside, but the ref's mean is not
    verdict = lc.judge(curves, 'x', 'ref')
    assert not verdict.equal and verdict.outside[0][2].startswith('reference mean 0.34')


def test_the_weaker_rule_asks_only_that_the_seed_ranges_overlap():
    curves = lc.Curves([0], [0, 1, 2])
    _with(curves, 'ref', (0.30, 0.32, 0.40))
    _with(curves, 'x', (0.305, 0.306, 0.307))          # not equal by the means
    assert lc.judge(curves, 'x', 'ref', rule='overlap').equal
    _with(curves, 'x', (0.41, 0.42, 0.43))
    verdict = lc.judge(curves, 'x', 'ref', rule='overlap')
    assert not verdict.equal and 'apart' in verdict.line()
    with pytest.raises(ValueError, match='rule must be one of'):
        lc.judge(curves, 'x', 'ref', rule='close')


def test_one_seed_allows_float_rounding_only():
    curves = lc.Curves([0], [0])
    _with(curves, 'ref', (0.3,))
    _with(curves, 'x', (0.3 + 1e-7,))
    assert lc.judge(curves, 'x', 'ref').equal
    _with(curves, 'x', (0.3 + 1e-4,))
    assert not lc.judge(curves, 'x', 'ref').equal


def test_a_trainer_stopped_by_its_nan_guard_ends_as_nan_and_is_not_equal():
    curves = run(lambda s: {'ok': ToyInpainter(s, 1e-2),
                            'nan': ToyInpainter(s, 1e-2, fail_at=15)}, steps=20)
    assert curves.diverged['nan'] == {s: 'step 15: loss is nan' for s in (0, 1, 2)}
    hole = curves.series('nan', 'hole_l1')
    assert not np.isnan(hole[:, :2]).any() and np.isnan(hole[:, 2]).all()
    verdict = lc.judge(curves, 'nan', 'ok')
    assert not verdict.equal and ('hole_l1', 20, 'NaN') in verdict.outside
    assert len(curves.losses['ok'][0]) == 20


FORKED_RUN = '''
import json, sys
import torch
torch.set_num_threads(1)
from tests.parity.test_curves import ToyInpainter, run
forked = run(lambda s: {'a': ToyInpainter(s, 1e-2)}, jobs=2, steps=10)
json.dump(forked.to_json(), open(sys.argv[1], 'w'))
'''


def test_seeds_in_forked_jobs_give_the_serial_curves(tmp_path):
    # forked in a fresh interpreter, as `compare-training --curves --jobs N` runs: torch
    # refuses to fork a process whose autograd engine has started its threads, which
    # earlier tests of this pytest process may have done
    import subprocess
    import sys
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    out = tmp_path / 'forked.json'
    subprocess.run([sys.executable, '-c', FORKED_RUN, str(out)], cwd=root, check=True,
                   timeout=300)
    forked = lc.Curves.from_json(json.loads(out.read_text()))
    make = lambda s: {'a': ToyInpainter(s, 1e-2)}          # noqa: E731
    serial = run(make, steps=10)
    np.testing.assert_array_equal(serial.series('a', 'hole_l1'),
                                  forked.series('a', 'hole_l1'))
    again = lc.Curves.from_json(forked.to_json())
    np.testing.assert_array_equal(again.series('a', 'psnr'), forked.series('a', 'psnr'))
    lc.plot(forked, str(tmp_path / 'c.svg'))
    svg = (tmp_path / 'c.svg').read_text()
    assert 'held-out hole L1' in svg and 'held-out PSNR (dB)' in svg
    lc.write_csv(forked, str(tmp_path / 'c.csv'))
    assert (tmp_path / 'c.csv').read_text().splitlines()[0].startswith('trainer,step,hole_l1')


# -- the toolbox trainer's inference and the photo splits ----------------------------------

def test_the_toolbox_trainer_infers_through_its_validation_and_stays_in_training():
    from toolbox.models import GANInpaintor, MultiOptimWrapperConstructor
    from toolbox.parity.drivers import ToolboxTrainer
    from toolbox.plugins import load_plugins
    load_plugins()
    torch.manual_seed(0)
    model = GANInpaintor(generator=dict(type='DeepFillv2Generator', cnum=8),
                         discriminator=dict(type='SNPatchGANDiscriminator', base_channels=8,
                                            num_layers=2),
                         losses=[dict(type='L1Loss', outputs=('coarse', 'output')),
                                 dict(type='HingeGANLoss', loss_weight=0.1)])
    adam = dict(type='Adam', lr=1e-4)
    optim = MultiOptimWrapperConstructor(dict(generator=dict(optimizer=adam),
                                              discriminator=dict(optimizer=adam)))(model)
    trainer = ToolboxTrainer(model, optim, dict)
    held = toy_images(np.random.default_rng(0), 2, size=64)
    pred = trainer.infer(held['gt'], held['mask'])
    assert model.training and all(m.training for m in model.modules())
    assert pred.shape == (2, 3, 64, 64) and 0 <= float(pred.min()) and float(pred.max()) <= 1
    known = held['mask'].expand_as(pred) == 0
    torch.testing.assert_close(pred[known], held['gt'].float()[known] / 255, rtol=0,
                               atol=1e-6)
    with torch.no_grad():
        direct = model.inpaint(held['gt'].float() / 127.5 - 1, held['mask'].float())
    torch.testing.assert_close(pred, (direct.clamp(-1, 1) + 1) / 2)


def test_held_out_photos_are_the_reproduce_tools_val_and_test_splits(tmp_path):
    from toolbox.datasets.photos import materialise_photos
    from toolbox.parity.drivers import crops_with_masks, split_photos
    photos = split_photos(str(tmp_path), 64)
    manifest = materialise_photos(str(tmp_path), short_side=128)
    counts = manifest['counts']
    assert len(photos['train']) == counts['train'] >= 1
    assert len(photos['held_out']) == counts['val'] + counts['test'] >= 1
    a = crops_with_masks(photos['held_out'], 3, 64, np.random.default_rng(5))
    b = crops_with_masks(photos['held_out'], 3, 64, np.random.default_rng(5))
    assert a['gt'].shape == (3, 3, 64, 64) and a['mask'].shape == (3, 1, 64, 64)
    assert torch.equal(a['gt'], b['gt']) and torch.equal(a['mask'], b['mask'])
    assert 0 < float(a['mask'].float().mean()) < 1
