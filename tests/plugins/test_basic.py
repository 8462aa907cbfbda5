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


def test_relativistic_average_lsgan_on_hand_computed_logits():
    ra = LOSSES.build(dict(type='RelativisticAverageLSGANLoss'))
    real = torch.tensor([[1.0], [3.0]])                  # mean 2
    fake = torch.tensor([[0.0], [-2.0]], requires_grad=True)   # mean -1
    # D: mean (r - (-1) - 1)^2 = mean [1, 9] = 5; mean (f - 2 + 1)^2 = mean [1, 9] = 5
    assert float(ra.discriminator_loss(real, fake.detach())) == 10.0
    # G, labels swapped: mean (f - 2 - 1)^2 = mean [9, 25] = 17; mean (r + 1 + 1)^2 = 17
    g = ra.generator_loss(fake, real)
    assert float(g) == 34.0
    # d/df_i: (f_i - 3) from the first term, -mean(r - mean f + 1) = -4 from the second
    g.backward()
    assert fake.grad.flatten().tolist() == [-7.0, -9.0]
    # through a judge: the real logits train nothing in the generator's term, so w's
    # gradient comes from the fake logits w * f only: sum_i (-7, -9)_i * f_i = 18
    w = torch.tensor(1.0, requires_grad=True)
    value = ra.generator_terms(lambda x: x * w, fake.detach(), real, {})
    value.backward()
    assert float(value) == 34.0 and float(w.grad) == 18.0
