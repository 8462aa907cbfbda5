"""High-resolution strategies (toolbox.apis.hd) on a real photo with a tiny model."""
import numpy as np
import pytest

from toolbox.apis import HD_STRATEGIES, inpaint
from toolbox.apis.hd import run_strategy

pytestmark = pytest.mark.usefixtures('one_thread')


def _model(generator: dict):
    from toolbox.registry import MODELS
    return MODELS.build(dict(type='GANInpaintor', generator=generator,
                             losses=[dict(type='L1Loss')])).eval()


@pytest.fixture(scope='module')
def tiny():
    import torch
    torch.manual_seed(0)
    return _model(dict(type='EncoderDecoderGenerator', base_channels=4, num_downsamples=2,
                       num_bottleneck=1))


@pytest.fixture(scope='module')
def photo():
    from skimage import data
    return data.coffee()                                    # 400 x 600 RGB uint8


def _two_holes(shape):
    mask = np.zeros(shape[:2], np.uint8)
    mask[40:70, 50:90] = 255
    mask[300:340, 480:530] = 255
    return mask


@pytest.mark.parametrize('strategy', HD_STRATEGIES)
def test_known_pixels_are_untouched_bit_for_bit(tiny, photo, strategy):
    mask = _two_holes(photo.shape)
    # limits below the photo's size, so that every strategy really runs as itself
    out, report = run_strategy(tiny, photo, (mask > 0).astype(np.float32), {}, strategy,
                               max_side=128, crop_trigger=300, crop_margin=32)
    assert report.ran == strategy
    assert out.shape == photo.shape and out.dtype == np.uint8
    assert np.array_equal(out[mask == 0], photo[mask == 0])
    assert not np.array_equal(out[mask > 0], photo[mask > 0])
    assert np.array_equal(inpaint(tiny, photo, mask, hd_strategy=strategy, max_side=128,
                                  crop_trigger=300, crop_margin=32), out)


def test_crop_runs_the_model_on_each_hole_with_its_margin(tiny, photo):
    mask = _two_holes(photo.shape)
    mask[0:10, 590:600] = 255             # a corner: the margin missing outside is taken inside
    out, report = run_strategy(tiny, photo, (mask > 0).astype(np.float32), {}, 'crop',
                               crop_trigger=300, crop_margin=32)
    # (height, width) = box + 2 margins, for every hole, the corner one included
    assert report.calls == [(74, 74), (94, 104), (104, 114)]
    # a crop's result is the model on that crop
    box = (slice(300 - 32, 340 + 32), slice(480 - 32, 530 + 32))
    alone, _ = run_strategy(tiny, photo[box], (mask[box] > 0).astype(np.float32), {}, 'whole')
    assert np.array_equal(out[box], alone)


def test_holes_inside_one_crop_take_one_model_call(tiny, photo):
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[100:110, 100:110] = mask[100:110, 130:140] = 255
    _, report = run_strategy(tiny, photo, (mask > 0).astype(np.float32), {}, 'crop',
                             crop_trigger=300, crop_margin=32)
    assert len(report.calls) == 1


def test_under_the_trigger_the_whole_image_runs_and_the_report_says_why(tiny, photo):
    mask = _two_holes(photo.shape)
    out, report = run_strategy(tiny, photo, (mask > 0).astype(np.float32), {}, 'crop')
    assert report.ran == 'whole' and report.calls == [(400, 600)]
    assert '600 px, is within the crop trigger of 800 px' in report.describe()
    whole, _ = run_strategy(tiny, photo, (mask > 0).astype(np.float32), {}, 'whole')
    assert np.array_equal(out, whole)


def test_crop_equals_whole_for_a_local_method(photo):
    # Telea only looks a few pixels around a hole: cropping with a margin must not change
    # its result, so any offset in cutting or pasting would show.
    telea = _model(dict(type='TeleaInpaint', radius=3))
    mask = _two_holes(photo.shape)
    m = (mask > 0).astype(np.float32)
    crop, report = run_strategy(telea, photo, m, {}, 'crop', crop_trigger=300)
    whole, _ = run_strategy(telea, photo, m, {}, 'whole')
    assert report.ran == 'crop' and len(report.calls) == 2
    assert np.array_equal(crop, whole)


def test_progress_is_reported_per_piece(tiny, photo):
    seen = []
    run_strategy(tiny, photo, (_two_holes(photo.shape) > 0).astype(np.float32), {}, 'crop',
                 crop_trigger=300, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 2), (2, 2)]


def test_unknown_strategy_is_named(tiny, photo):
    with pytest.raises(ValueError, match="hd_strategy must be one of whole, resize, crop, "
                                         "window, got 'tile'"):
        inpaint(tiny, photo, _two_holes(photo.shape), hd_strategy='tile')
