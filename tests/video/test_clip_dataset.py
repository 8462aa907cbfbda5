"""ClipDataset: clips of T frames with a stride, one crop and flip per clip, masks aligned."""
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate

from toolbox.datasets import DatasetError
from toolbox.registry import DATASETS
from toolbox.video import write_frames, write_video


def _video(n, h=40, w=56, seed=0):
    """Red = one picture shared by every frame (so a per-frame crop or flip would show),
    green = the frame's index times 10 (so the stride shows)."""
    red = np.random.default_rng(seed).integers(0, 256, (h, w), dtype=np.uint8)
    frames = np.zeros((n, h, w, 3), np.uint8)
    frames[..., 0] = red
    frames[..., 1] = (np.arange(n) * 10)[:, None, None]
    return frames, (red > 128).astype(np.uint8)


@pytest.fixture
def davis(tmp_path):
    """DAVIS layout: JPEG-free PNG frames per video and a mask folder per video."""
    root = tmp_path / 'JPEGImages'
    for name, n in (('cat', 12), ('dog', 7), ('short', 2)):
        frames, hole = _video(n, seed=len(name))
        write_frames(frames, str(root / name))
        write_frames(np.repeat(hole[None], n, 0), str(tmp_path / 'Annotations' / name))
    return tmp_path


def _build(**kw):
    return DATASETS.build(dict(type='ClipDataset', **kw))


def test_clips_take_every_stride_th_frame_and_skip_short_videos(davis):
    ds = _build(data_root=str(davis / 'JPEGImages'), num_frames=3, stride=2,
                mask_root=str(davis / 'Annotations'), flip_prob=0)
    # span 5: cat (12 frames) has starts 0..7, dog (7) 0..2, short (2) none
    assert len(ds) == 8 + 3 and len(ds.videos) == 2
    for i in range(len(ds)):
        sample = ds[i]
        start = sample['data_samples'].start
        green = sample['inputs']['gt'][:, 1, 0, 0].tolist()
        assert green == [10 * (start + 2 * k) for k in range(3)]
    test = _build(data_root=str(davis / 'JPEGImages'), num_frames=3, stride=2,
                  mask_root=str(davis / 'Annotations'), test_mode=True)
    assert [s for _, s in test.clips] == [0, 5, 0]      # clips that do not overlap


def test_one_crop_and_one_flip_for_every_frame_and_its_mask(davis):
    ds = _build(data_root=str(davis / 'JPEGImages'), num_frames=4, crop_size=(24, 32),
                mask_root=str(davis / 'Annotations'), flip_prob=0.5, seed=3)
    flips, crops = set(), set()
    for i in range(len(ds)):
        sample = ds[i]
        gt, mask = sample['inputs']['gt'], sample['inputs']['mask']
        assert gt.shape == (4, 3, 24, 32) and mask.shape == (4, 1, 24, 32)
        red = gt[:, 0]
        assert all(torch.equal(red[0], r) for r in red[1:]), 'frames cropped differently'
        assert torch.equal(mask[:, 0], (red > 128).byte()), 'mask not cropped with the frames'
        flips.add(sample['data_samples'].flip)
        crops.add(red[0].sum().item())
    assert flips == {True, False} and len(crops) > 3


def test_generated_masks_are_seeded_in_test_mode_and_batches_stack_to_five_dims(davis):
    cfg = dict(data_root=str(davis / 'JPEGImages'), num_frames=4, test_mode=True,
               mask_generator=dict(type='MovingStrokes', preset='object_like_small'))
    a, b = _build(**cfg), _build(**cfg)
    assert torch.equal(a[1]['inputs']['mask'], b[1]['inputs']['mask'])
    assert a[1]['data_samples'].mask_type == 'MovingStrokes'
    from toolbox.models.data_preprocessor import InpaintingDataPreprocessor
    batch = InpaintingDataPreprocessor()(pseudo_collate([a[0], a[1]]))
    assert batch['gt'].shape == (2, 4, 3, 40, 56) and batch['mask'].shape == (2, 4, 1, 40, 56)
    assert batch['gt'].min() >= -1 and batch['data_samples'][1]['video'] == 'cat'


def test_video_files_and_errors_name_the_cause(tmp_path):
    frames, _ = _video(6)
    write_video(frames, str(tmp_path / 'v.mp4'))
    ds = _build(data_root=str(tmp_path), num_frames=3,
                mask_generator=dict(type='MovingStrokes'))
    assert len(ds) == 4 and ds[0]['inputs']['gt'].shape == (3, 3, 40, 56)
    with pytest.raises(DatasetError, match='crop_size 64x64 is larger'):
        _build(data_root=str(tmp_path), num_frames=3, crop_size=(64, 64),
               mask_generator=dict(type='MovingStrokes'))[0]
    with pytest.raises(DatasetError, match='has 7 frames'):
        _build(data_root=str(tmp_path), num_frames=7, mask_generator=dict(type='MovingStrokes'))
    with pytest.raises(ValueError, match='exactly one of mask_generator and mask_root'):
        _build(data_root=str(tmp_path))
    with pytest.raises(DatasetError, match='no mask folder'):
        _build(data_root=str(tmp_path), mask_root=str(tmp_path / 'none'))
