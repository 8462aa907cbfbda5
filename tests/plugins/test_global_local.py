"""Global&Local: Table 1's completion network, the concatenated global and local
discriminators, the three training phases, Poisson blending, the demo through the tools."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from tests.utils import inpaint_box, train_demo
from toolbox.crops import hole_centred_crop
from toolbox.models.blending import poisson_blend
from toolbox.registry import DISCRIMINATORS, GENERATORS, MODELS
from toolbox.testing import _packed, tiny_batch, tiny_optimizers

pytestmark = pytest.mark.usefixtures('one_thread')
DEMO = 'configs/demo/global_local_demo.py'


def n_params(module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_completion_network_follows_table_1():
    gen = GENERATORS.build(dict(type='GlobalLocalGenerator'))
    convs = [m for m in gen.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert len(convs) == 17
    assert [c.dilation[0] for c in convs if c.dilation[0] > 1] == [2, 4, 8, 16]
    assert [c.out_channels for c in convs] == [64, 128, 128, 256, 256, 256, 256, 256, 256,
                                               256, 256, 256, 128, 128, 64, 32, 3]
    assert [c.stride[0] for c in convs] == [1, 2, 1, 2] + [1] * 8 + [2, 1, 2, 1, 1]
    assert convs[0].in_channels == 4 and convs[0].kernel_size == (5, 5)   # RGB + mask
    # weights + biases of Table 1's layers, plus batch norm (2 per channel) on all but
    # the output layer: 6,066,179 + 5,952
    conv = lambda ci, co, k: ci * co * k * k + co                           # noqa: E731
    expected = (conv(4, 64, 5) + conv(64, 128, 3) + conv(128, 128, 3) + conv(128, 256, 3)
                + 8 * conv(256, 256, 3) + conv(256, 128, 4) + conv(128, 128, 3)
                + conv(128, 64, 4) + conv(64, 32, 3) + conv(32, 3, 3))
    assert expected == 6_066_179
    bn = 2 * (64 + 128 + 128 + 256 * 9 + 128 + 128 + 64 + 32)
    assert n_params(gen) == expected + bn == 6_072_131
    x = torch.zeros(1, 3, 64, 64)
    assert gen(x, torch.zeros(1, 1, 64, 64))['output'].shape == (1, 3, 64, 64)


def test_discriminators_concatenated_into_one_fc():
    disc = DISCRIMINATORS.build(dict(type='GlobalLocalDiscriminator'))
    g = [m for m in disc.global_branch if isinstance(m, nn.Conv2d)]
    lo = [m for m in disc.local_branch if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in g] == [64, 128, 256, 512, 512, 512]
    assert [c.out_channels for c in lo] == [64, 128, 256, 512, 512]
    assert all(c.kernel_size == (5, 5) and c.stride == (2, 2) for c in g + lo)
    assert (disc.global_fc.in_features, disc.global_fc.out_features) == (512 * 16, 1024)
    assert (disc.local_fc.in_features, disc.local_fc.out_features) == (512 * 16, 1024)
    assert (disc.fc.in_features, disc.fc.out_features) == (2048, 1)
    assert n_params(disc) == 45_063_681


def test_local_patch_is_centred_on_the_hole_and_clamped():
    image = torch.arange(2 * 64 * 64, dtype=torch.float32).reshape(2, 1, 64, 64)
    image = image.expand(2, 3, 64, 64).contiguous()
    mask = torch.zeros(2, 1, 64, 64)
    mask[0, :, 20:30, 30:44] = 1       # box centre (25, 37): patch rows 9..41, cols 21..53
    mask[1, :, 0:6, 58:64] = 1         # at the corner: shifted inside, rows 0.., cols 32..
    crop = hole_centred_crop(image, mask, 32)
    assert torch.equal(crop[0], image[0, :, 9:41, 21:53])
    assert torch.equal(crop[1], image[1, :, 0:32, 32:64])
    disc = DISCRIMINATORS.build(dict(type='GlobalLocalDiscriminator', image_size=64,
                                     local_size=32, base_channels=4, fc_channels=8)).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        logits = disc(x, mask)
        by_hand = disc.fc(torch.cat([disc.global_fc(disc.global_branch(x)),
                                     disc.local_fc(disc.local_branch(crop_of(x, mask)))], 1))
        assert logits.shape == (2, 1)
        torch.testing.assert_close(logits, by_hand)
        # pixels outside the patch reach the logit only through the global branch
        y = x.clone()
        y[0, :, 50:, :8] += 1
        assert torch.equal(disc.local_branch(crop_of(x, mask)),
                           disc.local_branch(crop_of(y, mask)))
        assert not torch.equal(disc(x, mask)[0], disc(y, mask)[0])


def crop_of(x, mask):
    return hole_centred_crop(x, mask, 32)


def _model(**kw):
    return MODELS.build(dict(
        type='GANInpaintor',
        generator=dict(type='GlobalLocalGenerator', base_channels=8),
        discriminator=dict(type='GlobalLocalDiscriminator', image_size=32, local_size=16,
                           base_channels=4, fc_channels=8),
        losses=[dict(type='MSELoss', hole_weight=1.0, valid_weight=0.0),
                dict(type='NonSaturatingGANLoss', loss_weight=0.0004)], **kw)).train()


def test_three_phases_change_exactly_their_networks():
    model = _model(phase_iters=dict(generator=2, discriminator=2))
    assert [model.phase_at(i) for i in range(6)] == ['generator'] * 2 + \
        ['discriminator'] * 2 + ['joint'] * 2
    optim = tiny_optimizers(model)
    data = _packed(tiny_batch(size=32), ())

    def params(net):
        return [p.detach().clone() for p in net.parameters()]

    def changed(before, net):
        return any(not torch.equal(a, b) for a, b in zip(before, net.parameters()))

    def stats(net):       # the batch norms' running statistics
        return [b.detach().clone() for b in net.buffers()]

    expected = [('generator', True, False, {'loss_MSELoss_output'}),
                ('generator', True, False, {'loss_MSELoss_output'}),
                ('discriminator', False, True, {'loss_d'}),
                ('discriminator', False, True, {'loss_d'}),
                ('joint', True, True, {'loss_d', 'loss_MSELoss_output', 'loss_g_adv'})]
    for phase, g_changes, d_changes, logged in expected:
        assert model.phase_at(int(model.train_steps)) == phase
        g, d = params(model.generator), params(model.discriminator)
        g_stats = stats(model.generator)
        log = model.train_step(data, optim)
        # the generator is fixed in phase 2: its batch-norm statistics too (they moved)
        assert (phase == 'discriminator') == all(
            torch.equal(a, b) for a, b in zip(g_stats, model.generator.buffers())), phase
        assert model.generator.training
        assert changed(g, model.generator) == g_changes, phase
        assert changed(d, model.discriminator) == d_changes, phase
        assert logged <= set(log), (phase, sorted(log))
        if phase == 'generator':            # MSE only: no adversarial term at all
            assert 'loss_g_adv' not in log and 'loss_d' not in log
            assert log['loss_g'] == log['loss_MSELoss_output']
        if phase == 'discriminator':
            assert 'loss_g' not in log
    # phase 3: the adversarial term is alpha = 0.0004 times the GAN loss
    assert 0 < log['loss_g_adv'] < 0.0004 * 5


def test_phase_schedule_is_checked():
    with pytest.raises(ValueError, match='phase_iters'):
        _model(phase_iters=dict(completion=3))
    with pytest.raises(ValueError, match='no discriminator'):
        MODELS.build(dict(type='GANInpaintor', generator=dict(type='GlobalLocalGenerator',
                                                               base_channels=4),
                          losses=[dict(type='MSELoss')],
                          phase_iters=dict(discriminator=3)))


def _ramp_with_shifted_hole():
    y, x = torch.meshgrid(torch.linspace(-0.8, 0.8, 32), torch.linspace(-0.5, 0.5, 32),
                          indexing='ij')
    image = torch.stack([x, y, 0.5 * x * y]).unsqueeze(0)          # smooth [1, 3, 32, 32]
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., 10:22, 8:20] = 1
    output = image + 0.3                                             # right gradients, wrong colour
    return image, mask, output


def _seam(result, image, mask):
    """Mean |gradient difference| to the true image over the edges crossing the hole's
    boundary."""
    dx = lambda t: t[..., :, 1:] - t[..., :, :-1]                  # noqa: E731
    dy = lambda t: t[..., 1:, :] - t[..., :-1, :]                  # noqa: E731
    cross_x = (mask[..., :, 1:] != mask[..., :, :-1]).expand(1, 3, 32, 31)
    cross_y = (mask[..., 1:, :] != mask[..., :-1, :]).expand(1, 3, 31, 32)
    return float(torch.cat([(dx(result) - dx(image))[cross_x],
                            (dy(result) - dy(image))[cross_y]]).abs().mean())


def test_poisson_blend_keeps_known_pixels_and_removes_the_seam():
    image, mask, output = _ramp_with_shifted_hole()
    pasted = output * mask + image * (1 - mask)
    blended = poisson_blend(output, image, mask)
    known = (mask == 0).expand_as(image)
    assert torch.equal(blended[known], image[known])
    assert _seam(pasted, image, mask) > 0.25
    assert _seam(blended, image, mask) < 1e-4
    # the guidance gradients are the image's: the blend recovers the image itself
    torch.testing.assert_close(blended, image, atol=1e-4, rtol=0)


def test_inpaint_blend_option():
    model = _model().eval()
    image, mask, _ = _ramp_with_shifted_hole()
    with torch.no_grad():
        pasted = model.inpaint(image, mask)
        blended = model.inpaint(image, mask, blend='poisson')
        raw = model.run_generator(dict(gt=image, mask=mask))['output']
    known = (mask == 0).expand_as(image)
    assert torch.equal(blended[known], image[known])
    torch.testing.assert_close(blended, poisson_blend(raw, image, mask))
    assert _seam(blended, image, mask) < _seam(pasted, image, mask)
    with pytest.raises(ValueError, match='blend'):
        model.inpaint(image, mask, blend='alpha')


@pytest.mark.slow
def test_demo_trains_through_the_phases_and_inpaints_blended(tmp_path, demo_root):
    log = train_demo(DEMO, tmp_path / 'work', 3, 'model.phase_iters.generator=1',
                     'model.phase_iters.discriminator=1', data_root=demo_root)
    assert 'loss_MSELoss_output' in log and 'loss_g_adv' in log and 'PSNR' in log
    image = np.random.default_rng(0).integers(0, 256, (40, 52, 3), dtype=np.uint8)
    inpaint_box(DEMO, tmp_path / 'work' / 'iter_3.pth', image, np.s_[12:28, 14:34],
                str(tmp_path), '--blend', 'poisson')


def test_toolbox_lists_the_components(capsys):
    from toolbox.cli import main
    for kind, name in [('generators', 'GlobalLocalGenerator'),
                       ('discriminators', 'GlobalLocalDiscriminator'), ('losses', 'MSELoss')]:
        assert main(['list', kind]) == 0
        assert name in capsys.readouterr().out
