"""The video contract checks catch what they guard against (they run for every registered
video mask generator and video model in tests/test_contracts.py)."""
import numpy as np
import pytest
import torch

from toolbox.video import BaseVideoMaskGenerator
from toolbox.video.models import BaseVideoInpaintor
from toolbox.testing import check_mask_recipe
from toolbox.video.testing import check_video_model


class Unseeded(BaseVideoMaskGenerator):
    def generate(self, shape, rng):
        return (np.random.default_rng().random(shape) < 0.2).astype(np.uint8)


class TooBig(BaseVideoMaskGenerator):
    hole_ratio_range = (0.0, 0.1)

    def generate(self, shape, rng):
        return (rng.random(shape) < 0.5).astype(np.uint8)


class Grey(BaseVideoInpaintor):
    trainable = False

    def inpaint(self, video, masks, **options):
        self.check_inputs(video, masks)
        self.split_options(options)
        return torch.where(masks > 0, torch.zeros_like(video), video)


class Leaky(Grey):
    def inpaint(self, video, masks, **options):
        return super().inpaint(video, masks, **options) * 0.5       # changes known pixels


class Unchecked(Grey):
    def inpaint(self, video, masks, **options):
        return torch.where(masks > 0, torch.zeros_like(video), video)  # no shape check


def test_the_mask_check_catches_unseeded_and_out_of_range_generators():
    with pytest.raises(AssertionError, match='same seed gave different masks'):
        check_mask_recipe(Unseeded(), 'Unseeded')
    with pytest.raises(AssertionError, match='leave the documented range'):
        check_mask_recipe(TooBig(), 'TooBig')
    with pytest.raises(ValueError, match=r'shape must be \(T, H, W\)'):
        TooBig()((8, 8), np.random.default_rng(0))


def test_the_model_check_catches_changed_known_pixels_and_missing_shape_checks():
    check_video_model(Grey(), 'Grey')
    with pytest.raises(AssertionError, match='changed known pixels'):
        check_video_model(Leaky(), 'Leaky')
    with pytest.raises(AssertionError, match='accepted'):
        check_video_model(Unchecked(), 'Unchecked')
    with pytest.raises(NotImplementedError, match='nothing to train'):
        Grey().train_step({}, None)
