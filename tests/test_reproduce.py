"""toolbox reproduce: the budget rule, the photo splits, and the quick run end to end."""
import json
import os.path as osp

import pytest

from toolbox.budget import stage_iterations
from toolbox.datasets.photos import assign_splits
from toolbox.registry import STAGE_SCHEDULERS

from .utils import run_python


@pytest.mark.parametrize('scales', [(1.0,), (0.25, 0.5, 1.0),
                                    (0.25, 2 ** 0.5 / 4, 0.5, 2 ** 0.5 / 2, 1.0)])
def test_every_row_gets_the_same_generator_flops(scales):
    sched = STAGE_SCHEDULERS.build(dict(type='StageScheduler', scales=scales,
                                              stage_iters=(1,) * len(scales), size_multiple=8))
    iters = stage_iterations(sched, (128, 128), 1200, final_share=0.5)
    costs = [h * w / 128 ** 2 for h, w in (sched.stage_size(k, (128, 128))
                                           for k in range(len(scales)))]
    work = [n * c for n, c in zip(iters, costs)]
    assert sum(work) == pytest.approx(1200, rel=0.01)
    assert work[-1] == pytest.approx(1200 if len(scales) == 1 else 600, rel=0.01)
    assert all(w == pytest.approx(work[0], rel=0.02) for w in work[:-1])


def test_photo_splits_are_disjoint_and_keep_scenes_together():
    names = ['motorcycle_left.png', 'motorcycle_right.png', 'astronaut.png', 'coffee.png',
             'chelsea.png', 'rocket.jpg', 'a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg']
    splits = assign_splits(names)
    assert splits == assign_splits(list(reversed(names)))          # order does not matter
    assert splits['motorcycle_left.png'] == splits['motorcycle_right.png']
    assert {'train', 'val', 'test'} == set(splits.values())


@pytest.mark.slow
def test_quick_reproduction_end_to_end(tmp_path):
    out = tmp_path / 'run'
    result = run_python(['tools/reproduce.py', 'sa_patchgan', '--budget', 'quick',
                         '--out', str(out)], env={'OMP_NUM_THREADS': '1'}, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    values = json.loads((out / 'table.json').read_text())
    methods = ['B', 'B_3s', 'B_5s', 'B_5s+SA', 'Telea', 'Navier-Stokes']
    for metric in ('PSNR', 'SSIM'):
        assert list(values[metric]) == methods
        for method in methods:
            assert len(values[metric][method]) == 8                    # Mean + 7 mask types
            assert all(v is not None and v > 0 for v in values[metric][method].values())
    summary = json.loads((out / 'summary.json').read_text())
    assert set(summary['rows']) == set(methods[:4])
    assert summary['rows']['B_5s']['stage_iters'][0] > summary['rows']['B']['stage_iters'][0]
    assert 'random weights' in summary['semantic_network']
    assert {'best_beats_opencv_everywhere', 'paper_order_holds_in_mean_psnr'} <= set(
        summary['verdicts'])
    for row in summary['rows'].values():
        assert osp.isfile(row['checkpoint']) and osp.isfile(row['config'])
    assert (out / 'grid.png').stat().st_size > 0 and (out / 'table.md').is_file()
    bad = run_python(['tools/reproduce.py', 'sa_patchgan', '--budget', 'huge'])
    assert bad.returncode == 2 and "unknown --budget 'huge'" in bad.stderr
