"""Optional features and their extras: without an extra's packages, the feature fails in one
line naming the extra; everything else works without them. A missing package is simulated
with ``sys.modules[name] = None`` (then ``import name`` raises ImportError)."""
from __future__ import annotations

import configparser
import os.path as osp
import sys

import pytest

from toolbox.cli import main as toolbox_main

from .utils import REPO

DEMO = osp.join(REPO, 'configs/basic/demo.py')
ONNX_HINT = 'pip install "inpainting-toolbox[onnx]"'


def _extras() -> tuple[list[str], dict[str, list[str]]]:
    cfg = configparser.ConfigParser()
    cfg.read(osp.join(REPO, 'setup.cfg'))

    def names(text: str) -> list[str]:
        lines = (line.split('#')[0].strip() for line in text.splitlines())
        return [line for line in lines if line]
    extras = {k: names(v) for k, v in cfg['options.extras_require'].items()}
    return names(cfg['options']['install_requires']), extras


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.mark.parametrize('missing', ['onnx', 'onnxscript', 'onnxruntime'])
def test_export_without_the_onnx_extra_names_it(missing, monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, missing, None)
    assert toolbox_main(['export', DEMO, str(tmp_path / 'model.pth')]) == 2
    line = _one_error_line(capsys)
    assert line.startswith(f'error: {DEMO}: toolbox export needs the package {missing}')
    assert line.endswith(ONNX_HINT)


def test_export_api_and_inpaint_onnx_without_the_extra(monkeypatch, tmp_path, capsys):
    from toolbox.apis import init_inpaintor
    from toolbox.apis.export import export_onnx
    from toolbox.extras import MissingExtraError
    model = init_inpaintor(DEMO, random_weights=True)
    monkeypatch.setitem(sys.modules, 'onnx', None)
    with pytest.raises(MissingExtraError, match=r'inpainting-toolbox\[onnx\]'):
        export_onnx(model, str(tmp_path / 'm.onnx'), size=(32, 32))
    assert not list(tmp_path.iterdir())
    monkeypatch.setitem(sys.modules, 'onnxruntime', None)
    import cv2
    import numpy as np
    image = str(tmp_path / 'photo.png')
    cv2.imwrite(image, np.full((32, 32, 3), 128, np.uint8))
    assert toolbox_main(['inpaint', '--onnx', str(tmp_path / 'm.onnx'), '--image', image,
                         '--mask', image, '--out', str(tmp_path / 'o.png')]) == 2
    line = _one_error_line(capsys)
    assert 'onnxruntime' in line and line.endswith(ONNX_HINT)


def test_browse_masks_without_matplotlib_names_the_plot_extra(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, 'matplotlib', None)
    assert toolbox_main(['browse-masks', '--out', str(tmp_path / 'b.png')]) == 2
    assert _one_error_line(capsys).endswith('pip install "inpainting-toolbox[plot]"')
    assert not (tmp_path / 'b.png').exists()


def test_photo_splits_do_not_depend_on_matplotlib(monkeypatch):
    from toolbox.datasets.photos import assign_splits, find_photos
    with_it = find_photos()
    monkeypatch.setitem(sys.modules, 'matplotlib', None)
    without = find_photos()
    assert without == with_it and without
    assert assign_splits(without) == assign_splits(with_it)


def test_optional_packages_are_extras_and_ci_installs_them_all():
    core, extras = _extras()
    optional = {'onnx': {'onnx', 'onnxscript', 'onnxruntime'}, 'fast-metrics': {'numba'},
                'plot': {'matplotlib'}}
    for extra, packages in optional.items():
        assert set(extras[extra]) == packages
        assert not packages & set(core), f'{packages & set(core)} are still core dependencies'
    everything = set().union(*(v for k, v in extras.items() if k not in ('all', 'test')))
    assert set(extras['all']) == everything
    with open(osp.join(REPO, '.ci', 'run')) as f:
        assert '-e ".[all,test]"' in f.read()
