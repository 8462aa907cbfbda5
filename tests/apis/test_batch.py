"""Batch inpainting: folders and manifests, failures reported, resumable, kill-safe."""
from __future__ import annotations

import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
import torch

from toolbox.apis.batch import (SUMMARY_NAME, BatchItem, ManifestError, read_manifest,
                                run_batch)

from ..utils import REPO, load_tool

pytestmark = pytest.mark.usefixtures('one_thread')
DEMO = osp.join(REPO, 'configs/basic/demo.py')




@pytest.fixture
def photos(tmp_path):
    """img/ and mask/ folders: three good pairs, one corrupt image, one mask of the wrong
    size; and a tiny checkpoint of the basic model."""
    from toolbox.apis import init_inpaintor
    from toolbox.engine import to_safe
    rng = np.random.default_rng(0)
    (tmp_path / 'img').mkdir()
    (tmp_path / 'mask').mkdir()
    hole = np.zeros((30, 41), np.uint8)
    hole[5:20, 8:30] = 255
    for stem in ('a', 'b', 'c', 'size'):
        cv2.imwrite(str(tmp_path / 'img' / f'{stem}.png'),
                    rng.integers(0, 256, (30, 41, 3), dtype=np.uint8))
        cv2.imwrite(str(tmp_path / 'mask' / f'{stem}.png'), hole)
    cv2.imwrite(str(tmp_path / 'mask' / 'size.png'), hole[:20, :20])
    (tmp_path / 'img' / 'corrupt.jpg').write_bytes(b'\xff\xd8\xff\xe0 truncated')
    cv2.imwrite(str(tmp_path / 'mask' / 'corrupt.png'), hole)
    model = init_inpaintor(DEMO, cfg_options={'model.generator.base_channels': 8},
                           random_weights=True)
    torch.save(to_safe(dict(state_dict=model.state_dict())), tmp_path / 'w.pth')
    return tmp_path


def test_folder_batch_reports_bad_files_and_resumes(photos, capsys):
    tool = load_tool('tools/inpaint.py')
    out = photos / 'out'
    args = ['--config', DEMO, '--checkpoint', str(photos / 'w.pth'),
            '--cfg-options', 'model.generator.base_channels=8', '--image',
            str(photos / 'img'), '--mask', str(photos / 'mask'), '--out', str(out),
            '--no-progress']
    assert tool.main(args) == 1                       # some failed
    written = sorted(p.name for p in out.iterdir())
    assert written == ['a.png', 'b.png', 'c.png', SUMMARY_NAME]
    image = cv2.imread(str(photos / 'img' / 'a.png'))
    hole = cv2.imread(str(photos / 'mask' / 'a.png'), cv2.IMREAD_GRAYSCALE) > 127
    result = cv2.imread(str(out / 'a.png'))
    assert np.array_equal(result[~hole], image[~hole])
    summary = json.loads((out / SUMMARY_NAME).read_text())
    assert (summary['done'], summary['skipped'], summary['failed']) == (3, 0, 2)
    reasons = {osp.basename(f['image']): f['reason'] for f in summary['failures']}
    assert 'cannot be decoded' in reasons['corrupt.jpg']
    assert 'is 20x20 but the image is 41x30' in reasons['size.png']
    printed = capsys.readouterr().out
    assert '3 done, 0 skipped' in printed and 'corrupt.jpg' in printed

    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob('?.png')}
    time.sleep(0.05)
    assert tool.main(args) == 1                       # the bad ones fail again
    assert {p.name: p.stat().st_mtime_ns for p in out.glob('?.png')} == mtimes
    summary = json.loads((out / SUMMARY_NAME).read_text())
    assert (summary['done'], summary['skipped'], summary['failed']) == (0, 3, 2)

    for name in ('corrupt.jpg', 'size.png'):          # fix the bad pairs: exit status 0
        (photos / 'img' / name).unlink()
    assert tool.main(args) == 0


def test_manifests_csv_tsv_jsonl(tmp_path):
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'm.csv').write_text('image,mask,output\n# a comment\n'
                                    'sub/x.jpg,sub/x_mask.png,\n'
                                    'y.png,y_mask.png,named/y.jpg\n')
    items = read_manifest(str(tmp_path / 'm.csv'), str(tmp_path / 'out'))
    assert [(i.image, i.mask, i.output) for i in items] == [
        (str(tmp_path / 'sub/x.jpg'), str(tmp_path / 'sub/x_mask.png'),
         str(tmp_path / 'out/x.png')),
        (str(tmp_path / 'y.png'), str(tmp_path / 'y_mask.png'),
         str(tmp_path / 'out/named/y.jpg'))]
    (tmp_path / 'm.tsv').write_text('mask\timage\nmy_mask.png\tmy.png\n')
    assert read_manifest(str(tmp_path / 'm.tsv'), 'o')[0].image == str(tmp_path / 'my.png')
    (tmp_path / 'm.jsonl').write_text('{"image": "p.png", "mask": "/abs/q.png", '
                                      '"sketch": "s.png"}\n\n')
    item = read_manifest(str(tmp_path / 'm.jsonl'), 'o')[0]
    assert (item.mask, item.sketch) == ('/abs/q.png', str(tmp_path / 's.png'))

    bad = {
        'dup.csv': ('image,mask\na/x.png,m.png\nb/x.png,m.png\n', r'dup.csv:3: output .* line 2'),
        'cols.csv': ('image,output\nx.png,y.png\n', r'cols.csv:1: .* "image" and "mask"'),
        'short.tsv': ('image\tmask\nx.png\n', r'short.tsv:2: 1 columns'),
        'bad.jsonl': ('{"image": "x.png", "mask": "m.png"}\n{"image": 3', r'bad.jsonl:2: not JSON'),
        'key.jsonl': ('{"image": "x.png", "mask": "m.png", "maks": 1}\n', r"key.jsonl:1: .*'maks'"),
        'm.txt': ('x', 'unknown format'),
    }
    for name, (text, pattern) in bad.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(ManifestError, match=pattern):
            read_manifest(str(tmp_path / name), 'o')


def test_manifest_cli_and_one_line_errors(photos, capsys):
    tool = load_tool('tools/inpaint.py')
    (photos / 'pairs.jsonl').write_text(
        '{"image": "img/a.png", "mask": "mask/a.png", "output": "first.png"}\n'
        '{"image": "img/b.png", "mask": "mask/size.png"}\n')
    out = photos / 'mout'
    base = ['--config', DEMO, '--checkpoint', str(photos / 'w.pth'), '--cfg-options',
            'model.generator.base_channels=8', '--out', str(out), '--no-progress']
    assert tool.main(base + ['--manifest', str(photos / 'pairs.jsonl')]) == 1
    assert (out / 'first.png').is_file() and not (out / 'b.png').exists()
    (photos / 'broken.csv').write_text('image,mask\nimg/a.png\n')
    assert tool.main(base + ['--manifest', str(photos / 'broken.csv')]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith('error: ') and 'broken.csv:2: 1 columns' in err[-1]


KILLED_RUN = r'''
import os, sys, time
import numpy as np
from toolbox.apis.batch import BatchItem, run_batch
out, ready = sys.argv[1], sys.argv[2]
real_replace, calls = os.replace, []
def slow_replace(src, dst):
    calls.append(dst)
    if len(calls) == 2:                  # the second output: written, not yet renamed
        open(ready, 'w').close()
        time.sleep(600)
    real_replace(src, dst)
os.replace = slow_replace
items = [BatchItem('img', 'mask', os.path.join(out, f'{i}.png')) for i in range(3)]
run_batch(items, lambda item: np.full((64, 64, 3), 7, np.uint8), progress=False)
'''


@pytest.mark.slow
def test_a_kill_while_writing_leaves_no_partial_output(tmp_path):
    out, ready = tmp_path / 'out', tmp_path / 'ready'
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO)
    proc = subprocess.Popen([sys.executable, '-c', KILLED_RUN, str(out), str(ready)],
                            cwd=REPO, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (out / '0.png').is_file()
    assert not (out / '1.png').exists()                # its bytes were all in a temp file
    assert any(p.name.startswith('.1.png.') for p in out.iterdir())   # the atomic writer's temp file
    first = (out / '0.png').stat().st_mtime_ns

    items = [BatchItem('img', 'mask', str(out / f'{i}.png')) for i in range(3)]
    summary = run_batch(items, lambda item: np.full((64, 64, 3), 7, np.uint8),
                        summary_path=str(out / SUMMARY_NAME), progress=False)
    assert (summary.done, summary.skipped, summary.failed) == (2, 1, 0)
    assert (out / '0.png').stat().st_mtime_ns == first
    for i in range(3):
        assert np.array_equal(cv2.imread(str(out / f'{i}.png')), np.full((64, 64, 3), 7))


def test_progress_bar_shows_images_per_second(tmp_path, capsys):
    items = [BatchItem('i', 'm', str(tmp_path / f'{i}.png')) for i in range(3)]
    items.append(BatchItem('i', None, str(tmp_path / 'x.png'), problem='no mask named x.*'))
    summary = run_batch(items, lambda item: np.zeros((8, 8, 3), np.uint8))
    err = capsys.readouterr().err
    assert 'inpainting' in err and '4/4' in err and 'img/s' in err
    assert (summary.done, summary.failed) == (3, 1)
    assert summary.failures[0]['reason'] == 'no mask named x.*'
    assert summary.lines()[0].startswith('3 done, 0 skipped (output exists), 1 failed')
