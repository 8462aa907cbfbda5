"""The basic plugin's losses on known inputs."""
import math

import torch

from toolbox.registry import LOSSES


def _sp(x):
    return math.log1p(math.exp(x))


def test_l1_weights_hole_and_valid_pixels():
    loss = LOSSES.build(dict(type='L1Loss', hole_weight=3.0, valid_weight=0.5))
    pred, target = torch.ones(1, 3, 2, 2), torch.zeros(1, 3, 2, 2)
    mask = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]])
    assert math.isclose(float(loss(pred, target, mask)), (3.0 + 3 * 0.5) / 4)


def test_gan_objectives_on_known_logits():
    real, fake = torch.tensor([[2.0]]), torch.tensor([[-1.0]])
    hinge = LOSSES.build(dict(type='HingeGANLoss'))
    assert float(hinge.discriminator_loss(real, fake)) == 0.0          # both margins met
    assert float(hinge.generator_loss(fake)) == 1.0
    ns = LOSSES.build(dict(type='NonSaturatingGANLoss'))
    assert math.isclose(float(ns.discriminator_loss(real, fake)), _sp(-2) + _sp(-1), rel_tol=1e-6)
    ra = LOSSES.build(dict(type='RelativisticAverageGANLoss'))
    # d_r = 2 - (-1) = 3, d_f = -1 - 2 = -3
    assert math.isclose(float(ra.discriminator_loss(real, fake)), _sp(-3), rel_tol=1e-6)
    assert math.isclose(float(ra.generator_loss(fake, real)), _sp(3), rel_tol=1e-6)


def test_relativistic_generator_loss_gets_real_logits_from_the_inpaintor():
    from toolbox.models import GANInpaintor, MultiOptimWrapperConstructor

    from ..models.test_inpaintor import _data
    model = GANInpaintor(
        generator=dict(type='EncoderDecoderGenerator', base_channels=8, num_downsamples=2),
        discriminator=dict(type='PatchDiscriminator', base_channels=8, num_layers=2),
        losses=[dict(type='L1Loss'), dict(type='RelativisticAverageGANLoss')])
    optim = MultiOptimWrapperConstructor(dict(
        generator=dict(optimizer=dict(type='Adam')),
        discriminator=dict(optimizer=dict(type='Adam'))))(model)
    log = model.train_step(_data(), optim)
    assert math.isfinite(log['loss_g_adv']) and log['loss_g_adv'] > 0
