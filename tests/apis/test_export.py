"""ONNX export: onnxruntime reproduces PyTorch for the basic model, LaMa and DeepFill v2.

Random weights, tiny widths (each generator's ``tiny_cfg``), fp32; every graph is exported
with dynamic batch, height and width at one size and also run at another.
"""
from __future__ import annotations

import os.path as osp

import numpy as np
import pytest
import torch

pytest.importorskip('onnxruntime')
pytest.importorskip('onnxscript')

from toolbox.apis import init_inpaintor, inpaint  # noqa: E402
from toolbox.apis.export import ExportError, example_inputs, export_onnx  # noqa: E402
from toolbox.apis.onnx_model import OnnxInpaintor, OnnxModelError  # noqa: E402
from toolbox.registry import GENERATORS  # noqa: E402

from ..utils import REPO  # noqa: E402

pytestmark = pytest.mark.usefixtures('one_thread')

CONFIGS = {
    'EncoderDecoderGenerator': 'configs/basic/demo.py',
    'FFCResNetGenerator': 'configs/lama/demo.py',
    'DeepFillv2Generator': 'configs/deepfillv2/demo.py',
}


def tiny_model(name: str, seed: int = 0):
    """The demo config's inpaintor with the generator's ``tiny_cfg`` widths."""
    tiny = GENERATORS.get(name).tiny_cfg
    options = {f'model.generator.{k}': v for k, v in tiny.items()}
    torch.manual_seed(seed)
    model = init_inpaintor(osp.join(REPO, CONFIGS[name]), cfg_options=options,
                           random_weights=True)
    assert type(model.generator).__name__ == name
    return model


def op_types(path: str) -> set[str]:
    import onnx
    return {node.op_type for node in onnx.load(path).graph.node}


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    """name -> (model, path, report): each model exported once, dynamic, at 48x64 and
    checked there and at 40x72 (batch 2 both)."""
    cache = {}

    def get(name):
        if name not in cache:
            model = tiny_model(name)
            path = str(tmp_path_factory.mktemp('onnx') / f'{name}.onnx')
            report = export_onnx(model, path, size=(48, 64), dynamic=True,
                                 check_sizes=((40, 72),))
            cache[name] = model, path, report
        return cache[name]
    return get


@pytest.mark.slow
@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_onnxruntime_matches_pytorch_at_two_sizes(name, exported):
    model, path, report = exported(name)
    assert set(report.max_abs_diff) == {(48, 64), (40, 72)}
    for size, diff in report.max_abs_diff.items():
        assert diff <= 1e-4, (name, size, diff)
    # the check compares real outputs: the image outside the holes passes through
    image, mask = example_inputs(model, (40, 72), batch=2, seed=3)[:2]
    onnx_model = OnnxInpaintor(path)
    out = onnx_model.inpaint(image, mask)
    assert out.shape == (2, 3, 40, 72)
    assert torch.equal(out * (1 - mask), image * (1 - mask))
    with torch.no_grad():
        ref = model.inpaint(image, mask)
    assert (out - ref).abs().max() <= 1e-4
    assert (out - image).abs().amax() > 0.05          # the holes were filled, not copied
    if name == 'FFCResNetGenerator':
        ops = op_types(path)
        assert 'DFT' not in ops and 'MatMul' in ops   # the FFT became DFT matrix products


def test_fixed_size_graph_pads_smaller_inputs_and_names_larger(tmp_path):
    model = tiny_model('EncoderDecoderGenerator')
    path = str(tmp_path / 'fixed.onnx')
    report = export_onnx(model, path, size=(32, 48))
    assert report.max_abs_diff[(32, 48)] <= 1e-4
    onnx_model = OnnxInpaintor(path)
    assert onnx_model.max_inference_side == 32 and not onnx_model.dynamic
    image, mask = example_inputs(model, (24, 40), batch=1, seed=2)[:2]
    out = onnx_model.inpaint(image, mask)
    assert out.shape == (1, 3, 24, 40)
    assert torch.equal(out * (1 - mask), image * (1 - mask))
    with pytest.raises(ValueError, match='exported for 48x32'):
        onnx_model.inpaint(*example_inputs(model, (40, 48))[:2])
    # toolbox.apis.inpaint takes a larger image window by window around the holes
    rng = np.random.default_rng(1)
    big = rng.integers(0, 256, (45, 70, 3), dtype=np.uint8)
    holes = np.zeros((45, 70), np.uint8)
    holes[5:12, 6:15] = holes[30:40, 50:62] = 255
    got = inpaint(onnx_model, big, holes)
    assert np.array_equal(got[holes == 0], big[holes == 0])
    assert not np.array_equal(got[holes > 0], big[holes > 0])


@pytest.mark.slow
def test_inpaint_api_runs_an_onnx_model_like_the_pytorch_one(exported):
    model, path, _ = exported('FFCResNetGenerator')
    onnx_model = OnnxInpaintor(path)
    assert onnx_model.size_multiple == 8 and onnx_model.dynamic
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (37, 45, 3), dtype=np.uint8)     # padded to 40x48
    mask = np.zeros((37, 45), np.uint8)
    mask[8:25, 10:30] = 255
    got = inpaint(onnx_model, image, mask)
    want = inpaint(model, image, mask)
    assert got.shape == image.shape
    assert np.array_equal(got[mask == 0], image[mask == 0])
    assert np.abs(got.astype(int) - want.astype(int)).max() <= 1   # uint8 rounding


def test_export_errors_are_one_line(tmp_path):
    model = tiny_model('EncoderDecoderGenerator')
    with pytest.raises(ExportError, match='multiples of 4'):
        export_onnx(model, str(tmp_path / 'x.onnx'), size=(30, 32))
    assert not (tmp_path / 'x.onnx').exists()
    (tmp_path / 'plain.onnx').write_bytes(b'not a graph')
    with pytest.raises(OnnxModelError, match='cannot load ONNX model'):
        OnnxInpaintor(str(tmp_path / 'plain.onnx'))
    with pytest.raises(OnnxModelError, match='does not exist'):
        OnnxInpaintor(str(tmp_path / 'missing.onnx'))


@pytest.mark.slow
def test_export_and_inpaint_cli(tmp_path, capsys):
    """tools/export.py writes a graph that tools/inpaint.py --onnx runs; the graph's
    metadata carries the size multiple."""

    import cv2

    from toolbox.engine import to_safe

    from ..utils import load_tool as tool

    model = tiny_model('EncoderDecoderGenerator')
    torch.save(to_safe(dict(state_dict=model.state_dict())), tmp_path / 'w.pth')
    options = ['--cfg-options', 'model.generator.base_channels=8',
               'model.generator.num_downsamples=2', 'model.generator.num_bottleneck=1']
    cfg = osp.join(REPO, CONFIGS['EncoderDecoderGenerator'])
    assert tool('export').main([cfg, str(tmp_path / 'w.pth'), '--format', 'onnx',
                                '--size', '32', '32', '--dynamic', *options]) == 0
    printed = capsys.readouterr().out
    assert 'w.onnx (any batch and size; size multiple 4)' in printed
    assert 'max |onnxruntime - PyTorch| at 32x32' in printed
    assert OnnxInpaintor(str(tmp_path / 'w.onnx')).metadata['toolbox.size_multiple'] == '4'

    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (30, 43, 3), dtype=np.uint8)
    mask = np.zeros((30, 43), np.uint8)
    mask[4:20, 5:25] = 255
    cv2.imwrite(str(tmp_path / 'i.png'), image[..., ::-1])
    cv2.imwrite(str(tmp_path / 'm.png'), mask)
    out = tmp_path / 'o.png'
    assert tool('inpaint').main(['--onnx', str(tmp_path / 'w.onnx'), '--image',
                                 str(tmp_path / 'i.png'), '--mask', str(tmp_path / 'm.png'),
                                 '--out', str(out)]) == 0
    got = cv2.imread(str(out))[..., ::-1]
    want = inpaint(model, image, mask)
    assert np.array_equal(got[mask == 0], image[mask == 0])
    assert np.abs(got.astype(int) - want.astype(int)).max() <= 1
    # --onnx with --config is a one-line error
    assert tool('inpaint').main(['--onnx', str(tmp_path / 'w.onnx'), '--config', cfg,
                                 '--image', str(tmp_path / 'i.png'), '--mask',
                                 str(tmp_path / 'm.png'), '--out', str(out)]) == 2
    assert 'error: ' in capsys.readouterr().err
