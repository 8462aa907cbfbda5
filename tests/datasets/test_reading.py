"""Reading images and masks: EXIF orientation, any-channel masks, degenerate-mask warnings."""
import warnings

import numpy as np
import pytest
from PIL import Image, ImageOps

from toolbox.datasets import DemoDataset, read_image

# The names below are imported in the tests that use them, so that each test of this module
# fails on its own account where the behaviour is missing.


def _save_with_orientation(path, rgb, orientation):
    im = Image.fromarray(rgb)
    exif = im.getexif()
    exif[0x0112] = orientation
    kw = dict(quality=100, subsampling=0) if str(path).endswith('.jpg') else {}
    if str(path).endswith('.webp'):
        kw = dict(lossless=True)
    im.save(path, exif=exif.tobytes(), **kw)


@pytest.mark.parametrize('ext', ['png', 'jpg', 'webp'])
def test_exif_orientation_is_applied_like_every_viewer_does(tmp_path, ext):
    """Issue 13.3: images were read as stored, so phone photos came out sideways."""
    rgb = np.zeros((4, 6, 3), np.uint8)
    rgb[0, 0] = (255, 0, 0)                 # one red corner, so each turn is distinguishable
    rgb[:, 3:] = (0, 0, 255)
    for orientation in range(1, 9):
        path = tmp_path / f'o{orientation}.{ext}'
        _save_with_orientation(path, rgb, orientation)
        expected = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert('RGB'))
        got = read_image(str(path))
        assert got.shape == expected.shape, orientation
        assert np.abs(got.astype(int) - expected).max() <= 8, orientation   # jpg rounding
    assert read_image(str(tmp_path / f'o6.{ext}')).shape == (6, 4, 3)


def test_masks_follow_their_exif_orientation_too(tmp_path):
    mask = np.zeros((4, 6), np.uint8)
    mask[0, :2] = 255
    im = Image.fromarray(mask)
    exif = im.getexif()
    exif[0x0112] = 8
    im.save(tmp_path / 'm.png', exif=exif.tobytes())
    from toolbox.datasets import read_mask
    got = read_mask(str(tmp_path / 'm.png'))
    assert got.shape == (6, 4) and got[-2:, 0].all() and got.sum() == 2


def test_a_mask_painted_in_any_colour_is_a_hole(tmp_path):
    """Issue 13.5: a blue-painted hole filled nothing (only channel 0 was read)."""
    rgb = np.zeros((8, 8, 3), np.uint8)
    rgb[:4, :4] = (0, 0, 255)                      # blue
    rgb[4:, 4:] = (200, 0, 0)                      # red
    Image.fromarray(rgb).save(tmp_path / 'm.png')
    from toolbox.datasets import binarise_mask, read_mask
    got = read_mask(str(tmp_path / 'm.png'))
    assert got[:4, :4].all() and got[4:, 4:].all() and got.sum() == 32
    assert binarise_mask(rgb).sum() == 32          # arrays too


def test_masks_without_holes_or_all_hole_warn_naming_them(tmp_path):
    from toolbox.datasets import binarise_mask, read_mask
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / 'empty.png')
    Image.fromarray(np.full((8, 8), 255, np.uint8)).save(tmp_path / 'full.png')
    with pytest.warns(UserWarning, match=r'empty\.png has no hole'):
        read_mask(str(tmp_path / 'empty.png'))
    with pytest.warns(UserWarning, match=r'full\.png is all hole'):
        read_mask(str(tmp_path / 'full.png'))
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        binarise_mask(np.eye(8, dtype=np.uint8) * 255)      # a normal mask: silent


def test_fit_mask_names_both_sizes_or_resizes():
    from toolbox.datasets import MaskSizeError, fit_mask
    mask = np.ones((3, 5), np.uint8)
    with pytest.raises(MaskSizeError, match='m.png is 5x3 but image a.jpg is 4x2'):
        fit_mask(mask, (2, 4), 'm.png', 'image a.jpg')
    assert fit_mask(mask, (2, 4), 'm.png', resize=True).shape == (2, 4)


def test_demo_dataset_refuses_a_folder_of_the_users(tmp_path):
    """Issue 13.4: data_root=DIR copied the demo photos into DIR and trained on them."""
    (tmp_path / 'mine.jpg').write_bytes(b'not touched')
    with pytest.raises(ValueError, match=r"not the demo folder.*type='ImageFolderDataset'"):
        DemoDataset(data_root=str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['mine.jpg']    # nothing written


def test_demo_dataset_accepts_a_demo_folder_made_elsewhere(demo_root):
    assert len(DemoDataset(data_root=demo_root, split='val')) == 2
