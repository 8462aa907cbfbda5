"""The dataset keys that build the standard pipeline (``mask=``, ``crop_size=``, ...): what
lets a config change the mask in one line and inherit everything else from its base."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from toolbox.apis import load_config
from toolbox.datasets import DatasetError, ImageFolderDataset
from toolbox.registry import DATASETS

from ..utils import REPO


@pytest.fixture()
def folder(tmp_path, demo_root):
    photo = cv2.imread(os.path.join(demo_root, 'train', 'astronaut.png'))[::8, ::8]   # 64x64
    for name in ('one.png', 'two.png'):
        cv2.imwrite(str(tmp_path / name), photo)
    return tmp_path


def test_mask_and_crop_size_keys_build_the_pipeline(folder):
    centre = dict(type='CenterSquare', size=0.5)
    train = ImageFolderDataset(data_root=str(folder), crop_size=32, mask=centre)
    sample = train[0]
    assert sample['inputs']['gt'].shape == (3, 32, 32)
    mask = sample['inputs']['mask'][0].numpy()
    assert mask[8:24, 8:24].all() and mask.sum() == 16 * 16
    # evaluation: the whole image resized to crop_size (no random crop), the mask seeded
    val = ImageFolderDataset(data_root=str(folder), crop_size=32, mask=centre, test_mode=True)
    assert [t.__class__.__name__ for t in val.pipeline.transforms] == [
        'LoadImage', 'Resize', 'GenerateMask', 'PackInpaintingInputs']
    assert val.pipeline.transforms[2].deterministic
    assert not train.pipeline.transforms[3].deterministic


def test_pipeline_and_mask_keys_together_are_refused(folder):
    with pytest.raises(DatasetError, match='either pipeline= or mask=/crop_size=.*mask='):
        ImageFolderDataset(data_root=str(folder), pipeline=[dict(type='LoadImage')],
                           mask=dict(type='RandomRectangle'))


def test_mask_dir_without_a_mask_reads_the_mask_files(folder, tmp_path_factory):
    masks = tmp_path_factory.mktemp('masks')
    m = np.zeros((32, 32), np.uint8)
    m[4:12, 4:20] = 255
    cv2.imwrite(str(masks / '0.png'), m)
    ds = ImageFolderDataset(data_root=str(folder), mask_dir=str(masks), crop_size=32,
                            test_mode=True)
    assert ds[0]['inputs']['mask'][0].numpy().sum() == 8 * 16


def test_a_config_changes_the_mask_in_one_line_and_inherits_the_rest(tmp_path, folder):
    """A leaf config over DeepFill v2's paper config sets only the mask: the crop size, the
    batch, the data root and the other dataloader settings come from its bases."""
    leaf = tmp_path / 'leaf.py'
    leaf.write_text(
        f"_base_ = [{osp.join(REPO, 'configs/deepfillv2/places_256.py')!r}]\n"
        "train_dataloader = dict(dataset=dict(mask=dict(_delete_=True, type='CenterSquare', "
        "size=0.25)))\n")
    cfg = load_config(str(leaf))
    base = load_config(osp.join(REPO, 'configs/deepfillv2/places_256.py'))
    dataset = cfg.train_dataloader.dataset
    assert dataset.mask == dict(type='CenterSquare', size=0.25)
    assert {k: v for k, v in dataset.items() if k != 'mask'} == \
        {k: v for k, v in base.train_dataloader.dataset.items() if k != 'mask'}
    assert cfg.train_dataloader.batch_size == base.train_dataloader.batch_size == 16
    assert cfg.val_dataloader == base.val_dataloader
    sample = DATASETS.build(dict(dataset.to_dict(), data_root=str(folder), crop_size=64))[0]
    mask = sample['inputs']['mask'][0].numpy()
    assert mask[24:40, 24:40].all() and mask.sum() == 16 * 16
