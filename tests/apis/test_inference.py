"""init_inpaintor / inpaint: what user code calls."""
import os.path as osp

import numpy as np
import pytest
import torch

from toolbox.apis import init_inpaintor, inpaint
from toolbox.engine import CheckpointMismatchError, to_safe

from ..utils import REPO, load_tool

DEMO = osp.join(REPO, 'configs/basic/demo.py')


def test_inpaint_keeps_known_pixels_and_odd_sizes(tmp_path):
    model = init_inpaintor(DEMO, random_weights=True)
    torch.save(to_safe(dict(state_dict=model.state_dict())), tmp_path / 'w.pth')
    model = init_inpaintor(DEMO, str(tmp_path / 'w.pth'))
    assert not model.training
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (37, 50, 3), dtype=np.uint8)    # not a multiple of 8
    mask = np.zeros((37, 50), np.uint8)
    mask[5:20, 10:30] = 255
    out = inpaint(model, image, mask)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert np.array_equal(out[mask == 0], image[mask == 0])
    assert not np.array_equal(out[mask > 0], image[mask > 0])


def test_checkpoint_of_another_model_is_rejected_by_key(tmp_path):
    model = init_inpaintor(DEMO, cfg_options={'model.generator.base_channels': 8},
                           random_weights=True)
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'other.pth')
    with pytest.raises(CheckpointMismatchError,
                       match=r'generator\.stem\.conv\.weight is \[8, 4, 5, 5\] in the file but '
                             r'\[16, 4, 5, 5\] in the model'):
        init_inpaintor(DEMO, str(tmp_path / 'other.pth'))          # widths differ
    with pytest.raises(CheckpointMismatchError, match='unexpected keys: generator.down.2'):
        init_inpaintor(DEMO, str(tmp_path / 'other.pth'),           # one layer fewer
                       cfg_options={'model.generator.num_downsamples': 2,
                                    'model.generator.base_channels': 8})


def test_mask_of_the_wrong_size_is_named():
    model = init_inpaintor(DEMO, random_weights=True)
    with pytest.raises(ValueError, match='mask is 10x10 but the image is 16x16'):
        inpaint(model, np.zeros((16, 16, 3), np.uint8), np.zeros((10, 10), np.uint8))


def test_trainable_model_without_checkpoint_is_refused():
    from toolbox.apis import CheckpointRequiredError
    with pytest.raises(CheckpointRequiredError,
                       match=r'EncoderDecoderGenerator, PatchDiscriminator of .*basic/demo.py has learned '
                             'parameters: give its checkpoint'):
        init_inpaintor(DEMO)




def _photo_and_mask(folder):
    import cv2
    from skimage import data
    image = data.chelsea()
    mask = np.zeros(image.shape[:2], np.uint8)
    mask[100:140, 200:260] = 255
    cv2.imwrite(str(folder / 'cat.png'), image[..., ::-1])
    cv2.imwrite(str(folder / 'mask.png'), mask)
    return image, mask


@pytest.mark.slow
def test_cli_runs_a_classical_model_without_checkpoint(tmp_path):
    import cv2

    from ..utils import run_python
    image, mask = _photo_and_mask(tmp_path)
    out = tmp_path / 'out.png'
    result = run_python(['tools/inpaint.py', '--config', 'configs/classical/telea.py',
                         '--image', str(tmp_path / 'cat.png'), '--mask',
                         str(tmp_path / 'mask.png'), '--out', str(out),
                         '--hd-strategy', 'crop', '--crop-trigger', '200'], timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    written = cv2.imread(str(out))[..., ::-1]
    assert np.array_equal(written[mask == 0], image[mask == 0])
    assert not np.array_equal(written[mask > 0], image[mask > 0])


def test_cli_refuses_a_trainable_model_without_checkpoint(tmp_path, capsys):
    _photo_and_mask(tmp_path)
    out = tmp_path / 'out.png'
    code = load_tool('inpaint').main(['--config', DEMO, '--image', str(tmp_path / 'cat.png'),
                                 '--mask', str(tmp_path / 'mask.png'), '--out', str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert len(err.strip().splitlines()) == 1
    assert 'EncoderDecoderGenerator' in err and 'give its checkpoint' in err


def test_sampler_options_are_kept_apart_from_guidance_images():
    model = init_inpaintor(DEMO, random_weights=True)   # a GAN: no sampler options, no guidance
    image, mask = np.zeros((16, 16, 3), np.uint8), np.zeros((16, 16), np.uint8)
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['seed'\]"):
        inpaint(model, image, mask, sample_options=dict(seed=0))
    with pytest.raises(TypeError, match="sketch"):
        inpaint(model, image, mask, sketch=np.zeros((16, 16), np.uint8))
