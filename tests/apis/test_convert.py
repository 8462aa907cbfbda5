"""Converting released checkpoints (MMagic DeepFill v2, LaMa) into toolbox checkpoints.

The source layouts come from key/shape lists recorded from the reference code
(tests/fixtures/weights/*.txt, headers name the commits); no reference code runs here.
The numeric comparison against the reference models is recorded in the plugin READMEs.
"""
from __future__ import annotations

import os
import os.path as osp
import subprocess
import sys
import types

import pytest
import torch

from toolbox.apis import convert_weights, init_inpaintor
from toolbox.apis.convert import convert_state_dict
from toolbox.converters import WeightConversionError, read_foreign_checkpoint

pytestmark = pytest.mark.usefixtures('one_thread')

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FIXTURES = osp.join(ROOT, 'tests', 'fixtures', 'weights')


def recorded_shapes(name: str) -> dict[str, tuple[int, ...]]:
    shapes = {}
    with open(osp.join(FIXTURES, name)) as f:
        for line in f:
            if line.startswith('#') or not line.strip():
                continue
            key, _, shape = line.rstrip('\n').partition(' ')
            shapes[key] = tuple(int(s) for s in shape.split(',') if s)
    return shapes


def random_state(shapes: dict, device=None, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    out = {}
    for key, shape in shapes.items():
        if key.endswith('num_batches_tracked'):
            out[key] = torch.zeros(shape, dtype=torch.long, device=device)
        elif device == 'meta':
            out[key] = torch.empty(shape, device='meta')
        elif key.endswith(('running_var', '_u', '_v')):
            out[key] = torch.rand(shape, generator=g) + 0.5    # positive: valid BN variances
        elif len(shape) > 1:                                   # fan-in scaled weights
            out[key] = torch.randn(shape, generator=g) / torch.Size(shape[1:]).numel() ** 0.5
        else:
            out[key] = torch.randn(shape, generator=g) * 0.1
    return out


def small_config(tmp_path, base: str, **model) -> str:
    path = tmp_path / 'small.py'
    path.write_text(f'_base_ = [{osp.join(ROOT, "configs", base)!r}]\nmodel = {model!r}\n')
    return str(path)


# -- MMagic DeepFill v2 ------------------------------------------------------------------------

def test_mmagic_deepfillv2_layout_converts_and_loads_strictly(tmp_path):
    state = random_state(recorded_shapes('mmagic_deepfillv2_keys.txt'))
    src, dst = tmp_path / 'deepfillv2_places.pth', tmp_path / 'converted.pth'
    torch.save({'meta': {'mmedit_version': '0.4.0'}, 'state_dict': state}, src)
    notes = convert_weights('mmagic-deepfillv2', str(src), str(dst))
    assert notes['config'] == osp.join('configs', 'deepfillv2', 'places_256_mmagic.py')

    model = init_inpaintor(osp.join(ROOT, 'configs', 'deepfillv2', 'places_256_mmagic.py'), str(dst))
    sd = model.state_dict()
    assert torch.equal(sd['generator.refine_dec.0.conv.weight'],
                       state['generator.stage2.decoder.dec1.conv.conv.weight'])
    assert torch.equal(sd['generator.coarse.9.conv.bias'],
                       state['generator.stage1.dilation_neck.dilation_convs.3.conv.conv.bias'])
    # BGR-trained weights: colour inputs and outputs reversed, other channels untouched
    src_in = state['generator.stage1.encoder.enc1.conv.conv.weight']
    assert torch.equal(sd['generator.coarse.0.conv.weight'][:, 0], src_in[:, 2])
    assert torch.equal(sd['generator.coarse.0.conv.weight'][:, 3:], src_in[:, 3:])
    src_out = state['generator.stage2.decoder.dec7.conv.conv.bias']
    assert torch.equal(sd['generator.refine_dec.6.conv.bias'], src_out[[2, 1, 0, 5, 4, 3]])
    assert torch.equal(sd['discriminator.layers.10.parametrizations.weight.original'],
                       state['disc.conv6.conv.weight_orig'])
    image, mask = torch.rand(1, 3, 72, 72) * 2 - 1, torch.zeros(1, 1, 72, 72)
    mask[..., 20:50, 10:40] = 1
    with torch.no_grad():
        assert torch.isfinite(model.inpaint(image, mask)).all()


def test_bgr_reordering_is_exact_for_a_colour_permuted_input():
    """Converted with the colour reversal, the network on RGB computes what the unreordered
    weights compute on BGR (MMagic's convention), with the outputs reversed back."""
    from toolbox.apis import load_config
    from toolbox.registry import MODELS
    from toolbox_plugins.deepfillv2.convert import MMagicDeepFillv2Converter
    state = random_state(recorded_shapes('mmagic_deepfillv2_keys.txt'), seed=1)
    cfg = load_config(osp.join(ROOT, 'configs', 'deepfillv2', 'places_256_mmagic.py'))

    def build(order):
        model = MODELS.build(cfg.model).eval()
        sd = model.state_dict()
        sd.update(MMagicDeepFillv2Converter(order).convert(state, model))
        model.load_state_dict(sd)
        return model

    rgb_model, bgr_model = build('bgr'), build('rgb')
    image = torch.rand(1, 3, 72, 72) * 2 - 1
    mask = torch.zeros(1, 1, 72, 72)
    mask[..., 8:40, 30:60] = 1
    with torch.no_grad():
        ours = rgb_model.generator(image * (1 - mask), mask)
        ref = bgr_model.generator(image.flip(1) * (1 - mask), mask)
        d_ours = rgb_model.discriminator(image, mask)
        d_ref = bgr_model.discriminator(image.flip(1), mask)
    for key in ('coarse', 'output'):
        assert ours[key].std() > 1e-3
        assert (ours[key] - ref[key].flip(1)).abs().max() < 1e-5
        assert (ours[key] - ref[key]).abs().max() > 1e-3       # the reordering matters
    assert (d_ours - d_ref).abs().max() < 1e-5


# -- LaMa ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('fmt,fixture,config', [
    ('big-lama', 'big_lama_keys.txt', 'lama/big_places_512.py'),
    ('lama-fourier', 'lama_fourier_keys.txt', 'lama/fourier_places_256_released.py'),
])
def test_full_size_lama_layouts_map_onto_every_key_and_shape(fmt, fixture, config):
    # shapes only (meta tensors): the full-size big-lama state is 200 MB
    from toolbox.apis import load_config
    from toolbox.registry import MODELS
    with torch.device('meta'):
        model = MODELS.build(load_config(osp.join(ROOT, 'configs', config)).model)
    state = random_state(recorded_shapes(fixture), device='meta')
    converted, notes = convert_state_dict(fmt, state, model)
    assert set(converted) == set(model.state_dict())
    assert 'discriminator' not in notes          # converted, not initialised


def _lightning_checkpoint(state: dict, path) -> None:
    """A checkpoint like LaMa's best.ckpt: trainer objects whose classes the reader lacks."""
    name = 'fake_lightning.callbacks'
    mod = types.ModuleType(name)

    class ModelCheckpoint:
        def __init__(self):
            self.best_model_score = torch.tensor(0.5)

    ModelCheckpoint.__module__, ModelCheckpoint.__qualname__ = name, 'ModelCheckpoint'
    mod.ModelCheckpoint = ModelCheckpoint
    sys.modules['fake_lightning'] = types.ModuleType('fake_lightning')
    sys.modules[name] = mod
    try:
        torch.save({'pytorch-lightning_version': '1.2.9', 'state_dict': state,
                    'callbacks': {ModelCheckpoint: {'best': 1.0}},
                    'hyper_parameters': ModelCheckpoint()}, path)
    finally:
        del sys.modules[name], sys.modules['fake_lightning']


def test_small_lama_layout_converts_and_loads_strictly(tmp_path):
    state = random_state(recorded_shapes('lama_fourier_ngf8_keys.txt'))
    state['loss_resnet_pl.impl.conv1.weight'] = torch.zeros(4, 3, 7, 7)   # a loss network
    src, dst = tmp_path / 'best.ckpt', tmp_path / 'lama.pth'
    _lightning_checkpoint(state, src)
    cfg = small_config(tmp_path, 'lama/fourier_places_256_released.py',
                       generator=dict(base_channels=8), discriminator=dict(base_channels=8))
    convert_weights('lama-fourier', str(src), str(dst), cfg)
    model = init_inpaintor(cfg, str(dst))
    sd = model.state_dict()
    assert torch.equal(sd['generator.encoder.4.ffc.l2g.weight'],
                       state['generator.model.4.ffc.convl2g.weight'])
    assert torch.equal(sd['generator.encoder.13.conv2.ffc.g2g.fu.conv.weight'],
                       state['generator.model.13.conv2.ffc.convg2g.fu.conv_layer.weight'])
    assert torch.equal(sd['generator.decoder.10.bias'], state['generator.model.25.bias'])
    assert torch.equal(sd['discriminator.stages.5.weight'], state['discriminator.model5.0.weight'])
    assert torch.equal(sd['discriminator.stages.3.1.running_var'],
                       state['discriminator.model3.1.running_var'])
    with torch.no_grad():
        out = model.inpaint(torch.rand(1, 3, 32, 32) * 2 - 1, torch.ones(1, 1, 32, 32))
    assert torch.isfinite(out).all()


def test_foreign_reader_never_runs_code_named_in_the_file(tmp_path):
    marker = tmp_path / 'ran'
    name = 'fake_payload'
    mod = types.ModuleType(name)

    def payload(path):
        open(path, 'w').close()

    payload.__module__, payload.__qualname__ = name, 'payload'
    mod.payload = payload

    class Trap:
        def __reduce__(self):
            return payload, (str(marker),)

    sys.modules[name] = mod
    try:
        torch.save({'state_dict': {'w': torch.ones(2)}, 'trap': Trap()}, tmp_path / 'f.pth')
    finally:
        del sys.modules[name]
    sys.modules[name] = mod          # even importable, it must not be called
    try:
        ck = read_foreign_checkpoint(str(tmp_path / 'f.pth'))
    finally:
        del sys.modules[name]
    assert not marker.exists()
    assert torch.equal(ck['state_dict']['w'], torch.ones(2))


def test_mmengine_checkpoint_with_its_message_hub_is_read(tmp_path):
    # MMagic 1.x files (mmengine's Runner) hold HistoryBuffers of numpy arrays, whose dtypes
    # pickle through builtins.getattr (torch's error message drops the 'builtins.')
    from mmengine.logging import HistoryBuffer
    loss = HistoryBuffer()
    loss.update(0.5)
    torch.save({'state_dict': {'w': torch.ones(2)},
                'message_hub': {'log_scalars': {'train/loss': loss}}}, tmp_path / 'ck.pth')
    ck = read_foreign_checkpoint(str(tmp_path / 'ck.pth'))
    assert torch.equal(ck['state_dict']['w'], torch.ones(2))


# -- wrong inputs ----------------------------------------------------------------------------------

def test_a_checkpoint_of_another_model_is_named(tmp_path):
    src = tmp_path / 'deepfill.pth'
    torch.save({'state_dict': random_state(recorded_shapes('mmagic_deepfillv2_keys.txt'))}, src)
    with pytest.raises(WeightConversionError) as info:
        convert_weights('big-lama', str(src), str(tmp_path / 'out.pth'))
    msg = str(info.value)
    assert "is not a 'big-lama' checkpoint" in msg
    assert "looks like a 'mmagic-deepfillv2' checkpoint" in msg and '\n' not in msg
    assert not (tmp_path / 'out.pth').exists()

    small = random_state(recorded_shapes('lama_fourier_ngf8_keys.txt'))
    with pytest.raises(WeightConversionError, match="looks like a 'lama-fourier' checkpoint"):
        convert_state_dict('big-lama', small, torch.nn.Module())
    with pytest.raises(WeightConversionError, match=r"another model: 2 tensors under enc\.\*"):
        convert_state_dict('lama-fourier', {'enc.weight': torch.ones(1), 'enc.bias': torch.ones(1)},
                           torch.nn.Module())


def test_width_mismatch_names_the_key(tmp_path):
    state = random_state(recorded_shapes('lama_fourier_ngf8_keys.txt'))
    src = tmp_path / 'best.ckpt'
    torch.save({'state_dict': state}, src)
    with pytest.raises(WeightConversionError,
                       match=r'generator\.encoder\.1\.ffc\.l2l\.weight is \[8, 4, 7, 7\] in the '
                             r'file but \[64, 4, 7, 7\]'):
        convert_weights('lama-fourier', str(src), str(tmp_path / 'out.pth'))


@pytest.mark.slow
def test_cli_wrong_model_is_one_line_exit_2(tmp_path):
    src = tmp_path / 'other.pth'
    torch.save({'model.0.weight': torch.ones(3)}, src)
    out = tmp_path / 'out.pth'
    proc = subprocess.run([sys.executable, osp.join(ROOT, 'tools', 'convert_weights.py'),
                           'mmagic-deepfillv2', str(src), str(out)],
                          capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, 'OMP_NUM_THREADS': '1'})
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "is not a 'mmagic-deepfillv2' checkpoint" in lines[0], proc.stderr
    assert 'another model: 1 tensors under model.*' in lines[0]
    assert not out.exists()


def test_unreadable_and_missing_files_are_one_line_errors(tmp_path):
    bad = tmp_path / 'bad.ckpt'
    bad.write_text('not a checkpoint')
    with pytest.raises(WeightConversionError,
                       match=r'bad\.ckpt (is not a readable torch file|cannot be read as a '
                             r'weights file)'):
        convert_weights('big-lama', str(bad), str(tmp_path / 'out.pth'))
    with pytest.raises(FileNotFoundError, match='no such file'):
        convert_weights('big-lama', str(tmp_path / 'missing.ckpt'), str(tmp_path / 'out.pth'))
    with pytest.raises(WeightConversionError, match="unknown source format 'biglama'; did you "
                                                    "mean 'big-lama'"):
        convert_weights('biglama', str(bad), str(tmp_path / 'out.pth'))
    torch.save({'w': torch.ones(1)}, tmp_path / 'same.pth')
    with pytest.raises(WeightConversionError, match='must not overwrite the input'):
        convert_weights('big-lama', str(tmp_path / 'same.pth'), str(tmp_path / 'same.pth'))
