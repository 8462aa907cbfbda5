"""Image-folder datasets and image decoding, including the awkward files users have."""
import os

import cv2
import numpy as np
import pytest

from toolbox.datasets import ImageFolderDataset, ImageLoadError, read_image

PIPE = [dict(type='LoadImage'), dict(type='RandomCrop', size=32),
        dict(type='GenerateMask', generator=dict(type='RandomRectangle'), deterministic=True),
        dict(type='PackInpaintingInputs')]


@pytest.fixture()
def folder(tmp_path, demo_root):
    photo = cv2.imread(os.path.join(demo_root, 'train', 'astronaut.png'))[::8, ::8]   # 64x64
    (tmp_path / 'a' / 'b').mkdir(parents=True)
    cv2.imwrite(str(tmp_path / 'one.png'), photo)
    cv2.imwrite(str(tmp_path / 'a' / 'two.JPG'), photo)
    cv2.imwrite(str(tmp_path / 'a' / 'b' / 'three.bmp'), photo)
    (tmp_path / 'notes.txt').write_text('not an image')
    return tmp_path


def test_recursive_scan_with_common_extensions(folder):
    ds = ImageFolderDataset(data_root=str(folder), pipeline=PIPE)
    names = sorted(os.path.basename(ds.get_data_info(i)['img_path']) for i in range(len(ds)))
    assert names == ['one.png', 'three.bmp', 'two.JPG']
    sample = ds[0]
    assert sample['inputs']['gt'].shape == (3, 32, 32)
    assert sample['inputs']['mask'].shape == (1, 32, 32)
    assert set(np.unique(sample['inputs']['mask'].numpy())) <= {0, 1}


def test_validation_masks_are_the_same_every_time(folder):
    ds = ImageFolderDataset(data_root=str(folder), pipeline=PIPE, test_mode=True)
    first = [ds[i]['inputs']['mask'] for i in range(len(ds))]
    again = [ds[i]['inputs']['mask'] for i in range(len(ds))]
    assert all((a == b).all() for a, b in zip(first, again))
    assert not all((first[0] == m).all() for m in first[1:])   # seeded by index


def test_list_file_and_missing_entries(folder):
    lst = folder / 'list.txt'
    lst.write_text('# training images\none.png\n\na/two.JPG\n')
    ds = ImageFolderDataset(data_root=str(folder), list_file=str(lst), pipeline=PIPE)
    assert len(ds) == 2
    lst.write_text('one.png\nmissing.png\n')
    with pytest.raises(FileNotFoundError, match='line 2: .*missing.png'):
        ImageFolderDataset(data_root=str(folder), list_file=str(lst), pipeline=PIPE)


def test_empty_folder_is_an_error_naming_it(tmp_path):
    with pytest.raises(ValueError, match=f'no images found in {tmp_path}'):
        ImageFolderDataset(data_root=str(tmp_path), pipeline=PIPE)


def test_read_image_conversions(tmp_path):
    gray = (np.arange(64 * 64) % 251).astype(np.uint8).reshape(64, 64)
    cv2.imwrite(str(tmp_path / 'gray.png'), gray)
    assert read_image(str(tmp_path / 'gray.png')).shape == (64, 64, 3)
    rgba = np.dstack([gray, gray // 2, gray // 3, np.full_like(gray, 7)])
    cv2.imwrite(str(tmp_path / 'rgba.png'), rgba)                     # BGRA on disk
    img = read_image(str(tmp_path / 'rgba.png'))
    assert img.shape == (64, 64, 3) and (img[..., 2] == gray).all()   # RGB order, alpha gone
    deep = gray.astype(np.uint16) * 257
    cv2.imwrite(str(tmp_path / 'deep.png'), deep)
    assert (read_image(str(tmp_path / 'deep.png'))[..., 0] == gray).all()


def test_unreadable_files_are_named(tmp_path):
    (tmp_path / 'empty.png').write_bytes(b'')
    with pytest.raises(ImageLoadError, match='empty.png is empty'):
        read_image(str(tmp_path / 'empty.png'))
    ok, buf = cv2.imencode('.jpg', np.zeros((64, 64, 3), np.uint8))
    (tmp_path / 'cut.jpg').write_bytes(buf.tobytes()[:40])
    with pytest.raises(ImageLoadError, match='cut.jpg cannot be decoded'):
        read_image(str(tmp_path / 'cut.jpg'))


def test_skip_unreadable_warns_per_file(folder):
    (folder / 'broken.png').write_bytes(b'garbage')
    with pytest.warns(UserWarning, match='broken.png'):
        ds = ImageFolderDataset(data_root=str(folder), pipeline=PIPE, skip_unreadable=True)
    assert len(ds) == 3


def test_mask_dir_pairs_masks_and_checks_sizes(folder, tmp_path_factory):
    masks = tmp_path_factory.mktemp('masks')
    m = np.zeros((64, 64), np.uint8)
    m[10:20, 10:30] = 200                  # anti-aliased value, binarised at 127
    cv2.imwrite(str(masks / '000000.png'), m)
    pipe = [dict(type='LoadImage'), dict(type='LoadMask'), dict(type='PackInpaintingInputs')]
    ds = ImageFolderDataset(data_root=str(folder), mask_dir=str(masks), pipeline=pipe)
    sample = ds[1]
    mask = sample['inputs']['mask'][0].numpy()
    assert mask.sum() == 200 and mask[10:20, 10:30].all()
    assert sample['data_samples'].metainfo['mask_type'] == masks.name   # the set's folder
    cv2.imwrite(str(masks / '000000.png'), np.zeros((30, 30), np.uint8))
    with pytest.raises(ValueError, match='000000.png is 30x30 but image .* is 64x64'):
        ds[0]


def test_cmyk_jpeg_is_converted_to_rgb(tmp_path):
    from PIL import Image
    rgb = (np.arange(24 * 32 * 3) % 200 + 20).astype(np.uint8).reshape(24, 32, 3)
    Image.fromarray(rgb).convert('CMYK').save(tmp_path / 'cmyk.jpg', quality=95)
    reference = np.asarray(Image.open(tmp_path / 'cmyk.jpg').convert('RGB'), np.float64)
    img = read_image(str(tmp_path / 'cmyk.jpg'))
    assert img.shape == (24, 32, 3) and img.dtype == np.uint8
    assert np.abs(img - reference).mean() < 3          # same colours as PIL's conversion
