"""init_inpaintor / inpaint: what user code calls."""
import os.path as osp

import numpy as np
import pytest
import torch

from toolbox.apis import init_inpaintor, inpaint
from toolbox.engine import CheckpointMismatchError, to_safe

from ..utils import REPO

DEMO = osp.join(REPO, 'configs/demo/basic_demo.py')


def test_inpaint_keeps_known_pixels_and_odd_sizes(tmp_path):
    model = init_inpaintor(DEMO)
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
    model = init_inpaintor(DEMO, cfg_options={'model.generator.base_channels': 8})
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
    model = init_inpaintor(DEMO)
    with pytest.raises(ValueError, match='mask is 10x10 but the image is 16x16'):
        inpaint(model, np.zeros((16, 16, 3), np.uint8), np.zeros((10, 10), np.uint8))
