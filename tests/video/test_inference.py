"""toolbox.video.inference and `tools/inpaint.py --video`: windows, bounded memory, exact
known pixels in the PNG frames."""
import cv2
import numpy as np
import pytest
import torch

from toolbox.video import VideoReadError, read_clip, write_frames
from toolbox.video.inference import inpaint_video, inpaint_windows
from tests.utils import load_tool


class Recorder:
    """A video model that fills holes with grey and records the windows it was given."""
    size_multiple = 1

    def __init__(self):
        self.windows = []

    def inpaint(self, video, masks):
        self.windows.append(int(video[0, 0, 1, 0, 0].mul(127.5).add(127.5).round()))
        self.windows[-1] = (self.windows[-1], video.shape[1])
        return torch.where(masks > 0, torch.zeros_like(video), video)


def _scene(n=23, h=24, w=32, seed=0):
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 256, (n, h, w, 3), dtype=np.uint8)
    frames[:, :, :, 1] = np.arange(n)[:, None, None]            # green = frame index
    masks = np.zeros((n, h, w), np.uint8)
    masks[:, 8:16, 4:20] = 1
    masks[:, 0, 0] = 0
    return frames, masks


@pytest.mark.parametrize('n, window, overlap', [(23, 7, 3), (7, 7, 3), (3, 7, 2), (10, 5, 0)])
def test_windows_cover_every_frame_once_in_order_holding_at_most_window_frames(n, window,
                                                                               overlap):
    frames, masks = _scene(n)
    model = Recorder()
    out = list(inpaint_windows(model, iter(frames), iter(masks), window, overlap))
    assert len(out) == n
    assert [int(f[0, 0, 1]) for f in out] == list(range(n))
    assert all(size <= window for _, size in model.windows)
    starts = [s for s, _ in model.windows]
    assert all(b - a == window - overlap for a, b in zip(starts, starts[1:]))
    hole = masks.astype(bool)
    assert all(np.array_equal(o[~h], f[~h]) and (o[h] == 128).all()
               for o, f, h in zip(out, frames, hole))


def test_masks_must_cover_the_video_at_its_size():
    frames, masks = _scene(6)
    with pytest.raises(VideoReadError, match='masks end at frame 4'):
        list(inpaint_windows(Recorder(), iter(frames), iter(masks[:4]), 3, 1))
    with pytest.raises(VideoReadError, match='mask of frame 0 is 16x24, the frame 32x24'):
        list(inpaint_windows(Recorder(), iter(frames), iter(masks[:, :, :16]), 3, 1))


def test_propagation_on_a_frame_folder_keeps_known_pixels_bit_for_bit(tmp_path):
    from toolbox.registry import MODELS
    frames, masks = _scene(9, 40, 48)
    write_frames(frames, str(tmp_path / 'in'))
    write_frames(masks, str(tmp_path / 'masks'))
    result = inpaint_video(MODELS.build(dict(type='FlowPropagation', flow_preset='fast')),
                           str(tmp_path / 'in'), str(tmp_path / 'masks'), str(tmp_path / 'out'),
                           window=4, overlap=2, video_out=str(tmp_path / 'out.mp4'),
                           progress=False)
    assert result['frames'] == 9
    out = read_clip(str(tmp_path / 'out'))
    known = ~masks.astype(bool)
    assert np.array_equal(out[known], frames[known])
    assert read_clip(str(tmp_path / 'out.mp4')).shape == frames.shape     # lossy, same size


def test_cli_inpaints_a_video_file_with_one_mask_image_and_reports_errors(tmp_path, capsys):
    frames, masks = _scene(5, 40, 48)
    writer = cv2.VideoWriter(str(tmp_path / 'clip.mp4'), cv2.VideoWriter_fourcc(*'mp4v'), 10,
                             (48, 40))
    for f in frames:
        writer.write(np.ascontiguousarray(f[..., ::-1]))
    writer.release()
    cv2.imwrite(str(tmp_path / 'mask.png'), masks[0] * 255)
    tool = load_tool('tools/inpaint.py')
    args = ['--config', 'configs/video_classical/frame_by_frame_telea.py', '--video',
            str(tmp_path / 'clip.mp4'), '--mask', str(tmp_path / 'mask.png'), '--out',
            str(tmp_path / 'out'), '--window', '3', '--overlap', '1', '--no-progress']
    assert tool.main(args) == 0
    assert '5 frames' in capsys.readouterr().out
    decoded = read_clip(str(tmp_path / 'clip.mp4'))
    out = read_clip(str(tmp_path / 'out'))
    known = ~masks.astype(bool)
    assert np.array_equal(out[known], decoded[known])
    assert tool.main(args[:5] + [str(tmp_path / 'none'), *args[6:]]) == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and 'none' in err
