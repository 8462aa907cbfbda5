"""The options that reproduce MMagic's training step (docs/training-parity.md):
L1 normalised per region and the discriminator judging the fake batch first."""
from __future__ import annotations

import pytest
import torch

from toolbox.plugins import load_plugins
from toolbox.registry import LOSSES

load_plugins()


def test_region_normalised_l1_divides_by_each_regions_size():
    pred = torch.zeros(1, 3, 4, 4)
    target = torch.zeros(1, 3, 4, 4)
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., :2, :2] = 1                  # a hole of a quarter of the image
    target[..., :2, :2] = 1.0              # error 1 in the hole, 0 outside
    hole = LOSSES.build(dict(type='L1Loss', hole_weight=1.0, valid_weight=0.0,
                             normalize='region'))
    valid = LOSSES.build(dict(type='L1Loss', hole_weight=0.0, valid_weight=1.0,
                              normalize='region'))
    plain = LOSSES.build(dict(type='L1Loss', hole_weight=1.0, valid_weight=0.0))
    assert float(hole(pred, target, mask)) == pytest.approx(1.0)    # MMagic: sum / hole size
    assert float(valid(pred, target, mask)) == 0.0
    assert float(plain(pred, target, mask)) == pytest.approx(0.25)  # the authors' mean
    # an empty region gives 0, not NaN
    assert float(hole(pred, target, torch.zeros_like(mask))) == 0.0


def test_region_normalisation_is_checked():
    with pytest.raises(ValueError, match="normalize must be 'image' or 'region'"):
        LOSSES.build(dict(type='L1Loss', normalize='hole'))


@pytest.mark.parametrize('fake_first', [False, True])
def test_fake_first_sets_the_order_the_discriminator_judges_in(fake_first):
    loss = LOSSES.build(dict(type='HingeGANLoss', fake_first=fake_first))
    real, fake, seen = torch.ones(1, 3, 2, 2), -torch.ones(1, 3, 2, 2), []

    def judge(image):
        seen.append('real' if bool((image > 0).all()) else 'fake')
        return image.mean().reshape(1)

    terms, _ = loss.discriminator_terms(judge, real, fake, {})
    assert seen == (['fake', 'real'] if fake_first else ['real', 'fake'])
    assert float(terms['loss_d']) == 0.0    # relu(1 - 1) + relu(1 - 1), either order
