"""The per-mask-type table and tools/evaluate.py."""
from __future__ import annotations

import csv
import json
import math
import os.path as osp

import cv2
import numpy as np
import pytest

from toolbox.evaluation.report import (PAPER_COLUMNS, PAPER_ROWS, TypeTable, UsageError,
                                       column_for_folder, evaluate_mask_sets, find_mask_sets)

from ..utils import REPO, run_python

HEADER = ['Mean', 'Thick', 'Medium', 'Thin', 'Every N Lines', 'Nearest Neighbor',
          'Completion', 'Expand']
ROWS = ['PSNR ↑', 'SSIM ↑', 'LPIPS ↓', 'FID ↓']
# The folder names tools/make_mask_set.py --type all writes.
FOLDERS = ['ThickStrokes', 'MediumStrokes', 'ThinStrokes', 'EveryNLines', 'NearestNeighbor',
           'Completion', 'Expand']


def _masks(kind: str, size: int, i: int) -> np.ndarray:
    m = np.zeros((size, size), np.uint8)
    if kind == 'EveryNLines':
        m[::2 + i % 2] = 255
    elif kind == 'NearestNeighbor':
        m[:] = 255
        m[::2, ::2] = 0
    elif kind == 'Completion':
        m[: size // 3 + i] = 255
    elif kind == 'Expand':
        m[:] = 255
        m[size // 4: 3 * size // 4, size // 4: 3 * size // 4] = 0
    else:
        width = {'ThickStrokes': 7, 'MediumStrokes': 4}.get(kind, 2)
        cv2.line(m, (2, 3 + 5 * i), (size - 3, size - 4), 255, width)
    return m


def make_data(root, folders, n_images: int = 3, size: int = 32, n_masks: int = 2):
    """Images of scikit-image photos (different sizes, cropped by the pipeline) and mask
    folders, written with cv2 (white = hole)."""
    from skimage import data
    images = root / 'images'
    images.mkdir()
    photos = [data.astronaut(), data.coffee(), data.chelsea()]
    for i in range(n_images):
        img = cv2.resize(photos[i % 3], (size + 8 * i, size + 4), interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(images / f'{i}.png'), img[..., ::-1])
    sets = root / 'masks'
    for name in folders:
        (sets / name).mkdir(parents=True)
        for i in range(n_masks):
            cv2.imwrite(str(sets / name / f'{i:06d}.png'), _masks(name, size, i))
    return str(images), str(sets)


def test_folder_names_map_to_paper_columns():
    assert [column_for_folder(f) for f in FOLDERS] == list(PAPER_COLUMNS)
    assert column_for_folder('every_n_lines') == 'Every N Lines'
    assert column_for_folder('thick') == 'Thick'
    assert column_for_folder('nearest-neighbour') == 'Nearest Neighbor'
    assert column_for_folder('MyBoxes') == 'MyBoxes'


def test_find_mask_sets(tmp_path):
    for name in ('zzz_custom', 'Expand', 'ThickStrokes', 'empty'):
        (tmp_path / name).mkdir()
    for name in ('zzz_custom', 'Expand', 'ThickStrokes'):
        cv2.imwrite(str(tmp_path / name / '000000.png'), np.zeros((8, 8), np.uint8))
    (tmp_path / 'ThickStrokes' / 'mask_set.json').write_text('{}')
    found = find_mask_sets(str(tmp_path))
    assert list(found) == ['Thick', 'Expand', 'zzz_custom']
    (tmp_path / 'thick').mkdir()
    cv2.imwrite(str(tmp_path / 'thick' / '000000.png'), np.zeros((8, 8), np.uint8))
    with pytest.raises(UsageError, match='both the .Thick. type'):
        find_mask_sets(str(tmp_path))
    with pytest.raises(FileNotFoundError):
        find_mask_sets(str(tmp_path / 'nope'))


def test_table_layout_and_mean():
    table = TypeTable(columns=[])
    table.set('Thick', {'PSNR': 20.0, 'SSIM': 0.8}, 10)
    table.set('Expand', {'PSNR': 10.0, 'SSIM': 0.4, 'L1Error': 3.0}, 10)
    assert table.get('PSNR', 'Mean') == 15.0 and table.get('LPIPS', 'Mean') is None
    md = table.to_markdown()
    assert '| | Mean | Thick | Expand |' in md
    assert '| PSNR ↑ | 15.000 | 20.000 | 10.000 |' in md
    assert '| LPIPS ↓ | n/a | n/a | n/a |' in md
    assert '| L1 error (%) ↓ | 3.000 | n/a | 3.000 |' in md
    rows = list(csv.reader(table.to_csv().splitlines()))
    assert rows[0] == ['metric', 'Mean', 'Thick', 'Expand']
    assert [r[0] for r in rows[1:]] == ROWS + ['L1 error (%) ↓']
    data = json.loads(table.to_json())
    assert data['values']['PSNR']['Mean'] == 15.0 and data['values']['FID']['Thick'] is None
    table.set('Thin', {'PSNR': math.inf}, 1)
    assert json.loads(table.to_json())['values']['PSNR']['Thin'] == 'inf'


@pytest.fixture(scope='module')
def telea():
    from toolbox.apis import init_inpaintor
    return init_inpaintor(osp.join(REPO, 'configs/classical/telea.py'))


def test_evaluate_mask_sets_in_process(tmp_path, telea):
    from toolbox.registry import METRICS
    images, sets = make_data(tmp_path, FOLDERS)
    metrics = [METRICS.build(dict(type=t)) for t in ('PSNR', 'SSIM', 'L1Error')]
    table = evaluate_mask_sets(telea, images, find_mask_sets(sets), metrics, size=32,
                               batch_size=2, progress=False,
                               save_images=str(tmp_path / 'out'))
    assert table.header == HEADER
    assert table.rows == list(PAPER_ROWS) + ['L1Error']
    assert all(table.counts[c] == 3 for c in PAPER_COLUMNS)
    for col in HEADER:
        assert 5 < table.get('PSNR', col) < 60 and 0 < table.get('SSIM', col) <= 1
        assert table.get('FID', col) is None
    assert table.get('PSNR', 'Mean') == pytest.approx(
        np.mean([table.get('PSNR', c) for c in PAPER_COLUMNS]))
    saved = cv2.imread(str(tmp_path / 'out' / 'ThickStrokes' / '0.png'))
    assert saved.shape == (32, 32, 3)
    # outpainting is harder than thin strokes, for any method
    assert table.get('PSNR', 'Thin') > table.get('PSNR', 'Expand')
    # the batch size changes nothing
    again = evaluate_mask_sets(telea, images, find_mask_sets(sets), metrics, size=32,
                               batch_size=3, progress=False)
    assert again.values == table.values


def test_mask_size_mismatch_is_a_clear_error(tmp_path, telea):
    from toolbox.registry import METRICS
    images, sets = make_data(tmp_path, ['ThinStrokes'], size=32)
    with pytest.raises(UsageError, match='--resize-masks'):
        evaluate_mask_sets(telea, images, find_mask_sets(sets), [METRICS.build(dict(type='PSNR'))],
                           size=24, progress=False)


@pytest.mark.slow
def test_evaluate_cli_saves_the_table(tmp_path):
    """One run of the real tool: the Telea baseline (CHECKPOINT none) on two mask sets,
    without pretrained metrics (none can be downloaded here)."""
    images, sets = make_data(tmp_path, ['ThickStrokes', 'every_n_lines'])
    out = tmp_path / 'out'
    result = run_python([osp.join(REPO, 'tools/evaluate.py'),
                         osp.join(REPO, 'configs/classical/telea.py'), 'none',
                         '--data', images, '--mask-sets', sets, '--size', '32',
                         '--batch-size', '2', '--out', str(out), '--no-pretrained',
                         '--extra-metrics', 'L1Error,BPE', '--save-images'],
                        cwd=str(tmp_path), env={'HF_HUB_OFFLINE': '1'})
    assert result.returncode == 0, result.stderr[-3000:]
    assert '| PSNR ↑ |' in result.stdout
    assert '%|' in result.stderr                       # the progress bar
    md = (out / 'table.md').read_text(encoding='utf-8')
    assert '| | Mean | Thick | Every N Lines |' in md
    for row in ROWS + ['L1 error (%) ↓', 'BPE ↓']:
        assert f'| {row} |' in md
    rows = list(csv.reader((out / 'table.csv').read_text(encoding='utf-8').splitlines()))
    assert rows[0] == ['metric', 'Mean', 'Thick', 'Every N Lines']
    assert [r[0] for r in rows[1:5]] == ROWS
    data = json.loads((out / 'table.json').read_text(encoding='utf-8'))
    assert data['columns'] == ['Mean', 'Thick', 'Every N Lines']
    assert data['rows'][:4] == ROWS
    assert data['values']['LPIPS']['Thick'] is None
    assert data['images'] == {'Thick': 3, 'Every N Lines': 3}
    assert data['meta']['checkpoint'] == 'none'
    assert (out / 'images' / 'every_n_lines' / '2.png').exists()


def test_mask_type_table_metric_matches_evaluate(tmp_path, telea):
    """The metric for tools/test.py groups samples by their mask folder and gives the
    same numbers as evaluate_mask_sets."""
    from mmengine.dataset import ConcatDataset, pseudo_collate

    from toolbox.datasets import ImageFolderDataset
    from toolbox.evaluation.report import evaluation_pipeline
    from toolbox.registry import METRICS
    images, sets = make_data(tmp_path, ['ThinStrokes', 'Expand'])
    found = find_mask_sets(sets)
    metrics = [METRICS.build(dict(type=t)) for t in ('PSNR', 'SSIM')]
    expected = evaluate_mask_sets(telea, images, found, metrics, size=32, progress=False)
    table = METRICS.build(dict(type='MaskTypeTable', out_dir=str(tmp_path / 'tab')))
    dataset = ConcatDataset([ImageFolderDataset(images, mask_dir=folder, test_mode=True,
                                                pipeline=evaluation_pipeline(32))
                             for folder in found.values()])
    samples = [dataset[i] for i in range(len(dataset))]
    for i in range(0, len(samples), 4):                 # batches mixing the two types
        batch = pseudo_collate(samples[i:i + 4])
        table.process(batch, telea.test_step(batch))
    result = table.evaluate(len(samples))
    for row in ('PSNR', 'SSIM'):
        for column in ('Mean', 'Thin', 'Expand'):
            assert result[f'{row}/{column}'] == pytest.approx(expected.get(row, column),
                                                             rel=1e-12)
    assert 'LPIPS/Thin' not in result
    md = (tmp_path / 'tab' / 'mask_types.md').read_text(encoding='utf-8')
    assert '| | Mean | Thin | Expand |' in md
