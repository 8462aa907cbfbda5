"""Context Encoders: the channel-wise FC bottleneck, the overlap-weighted L2, the joint
loss weights, the masks, and the demo through the command-line tools."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.utils import REPO, inpaint_box, train_demo
from toolbox.registry import DISCRIMINATORS, GENERATORS, LOSSES, MASK_GENERATORS, MODELS
from toolbox_plugins.context_encoder.generator import ChannelWiseFC
from toolbox_plugins.context_encoder.losses import overlap_weights

pytestmark = pytest.mark.usefixtures('one_thread')
DEMO = 'configs/demo/context_encoder_demo.py'
PARIS = f'{REPO}/configs/context_encoder_paris_128.py'


def n_params(module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_channel_wise_fc_parameter_count_and_formula():
    fc = ChannelWiseFC(6, 3)
    assert n_params(fc) == 6 * 9 ** 2 + 6 * 9          # C (HW)^2 weights + C HW biases
    x = torch.randn(2, 6, 3, 3)
    out = fc(x)
    for c in range(6):
        expected = x[:, c].reshape(2, 9) @ fc.weight[c].T + fc.bias[c]
        torch.testing.assert_close(out[:, c].reshape(2, 9), expected)


def test_channel_wise_fc_is_channel_separable():
    torch.manual_seed(0)
    fc = ChannelWiseFC(5, 4)
    x = torch.randn(1, 5, 4, 4)
    y = x.clone()
    y[:, 2] += torch.randn(4, 4)
    changed = (fc(x) - fc(y)).abs().flatten(2).amax(dim=2)[0]     # per channel
    assert changed[2] > 1e-3
    assert torch.equal(changed[[0, 1, 3, 4]], torch.zeros(4))


def test_paper_bottleneck_and_generator_parameter_counts():
    gen = GENERATORS.build(dict(type='ContextEncoderGenerator'))
    fc, mix = gen.bottleneck[0], gen.bottleneck[1]
    assert isinstance(fc, ChannelWiseFC) and (fc.channels, fc.size) == (512, 4)
    assert n_params(fc) == 512 * 16 ** 2 + 512 * 16 == 139_264
    assert n_params(mix) == 512 * 512                       # the 1x1 channel-mixing conv
    encoder = (3 * 64 * 16 + 64) + (64 * 64 * 16 + 128) + (64 * 128 * 16 + 256) + \
        (128 * 256 * 16 + 512) + (256 * 512 * 16 + 1024)
    decoder = (512 * 256 * 16 + 512) + (256 * 128 * 16 + 256) + (128 * 64 * 16 + 128) + \
        (64 * 64 * 16 + 128) + (64 * 3 * 16 + 3)
    assert n_params(gen.encoder) == encoder and n_params(gen.decoder) == decoder
    assert n_params(gen) == encoder + 139_264 + 512 * 512 + 1024 + decoder == 6_047_683
    out = gen(torch.zeros(1, 3, 128, 128), torch.zeros(1, 1, 128, 128))['output']
    assert out.shape == (1, 3, 128, 128)
    assert gen.encoder(torch.zeros(1, 3, 128, 128)).shape == (1, 512, 4, 4)
    conv = GENERATORS.build(dict(type='ContextEncoderGenerator', bottleneck='conv'))
    assert n_params(conv) == 71_194_275                     # README: the released layout's
    disc = DISCRIMINATORS.build(dict(type='ContextEncoderDiscriminator'))
    assert n_params(disc) == 2_765_633


def test_overlap_weight_map_on_a_known_mask():
    mask = torch.zeros(1, 1, 12, 12)
    mask[..., 4:8, 4:8] = 1
    w = overlap_weights(mask, overlap=2, overlap_weight=10.0)
    expected = torch.zeros(12, 12)
    expected[2:10, 2:10] = 10.0
    expected[4:8, 4:8] = 1.0
    assert torch.equal(w[0, 0], expected)
    loss = LOSSES.build(dict(type='OverlapL2Loss', overlap=2, overlap_weight=10.0))
    pred = torch.ones(1, 3, 12, 12)
    # (16 hole pixels x 1 + 48 band pixels x 10) / 64 region pixels, same over channels
    assert float(loss(pred, torch.zeros_like(pred), mask)) == pytest.approx(496 / 64)
    # an error outside the region costs nothing
    far = torch.zeros_like(pred)
    far[..., 0, 0] = 5
    assert float(loss(far, torch.zeros_like(pred), mask)) == 0


def test_released_geometry_centre_mask_and_band():
    """At 128² the hole is the inner 56² of the centre 64² and the weight map is the
    released code's wtl2Matrix (10 on the 4 px band, 1 inside) on the 64² centre."""
    hole = MASK_GENERATORS.build(dict(type='CenterSquare', size=0.4375))((128, 128))
    rows, cols = np.nonzero(hole)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (36, 91, 36, 91)
    w = overlap_weights(torch.from_numpy(hole).float()[None, None], 4, 10.0)[0, 0]
    released = torch.full((64, 64), 10.0)
    released[4:60, 4:60] = 1.0
    assert torch.equal(w[32:96, 32:96], released)
    assert float(w.sum()) == float(released.sum())         # nothing outside the 64²
    quarter = MASK_GENERATORS.build(dict(type='CenterSquare', size=0.5))((128, 128))
    assert quarter.mean() == 0.25 and quarter[32:96, 32:96].all()


def test_random_blocks_cover_up_to_a_quarter():
    gen = MASK_GENERATORS.build(dict(type='RandomBlocks'))
    rng = np.random.default_rng(0)
    ratios = [gen((128, 128), rng).mean() for _ in range(50)]
    assert 0.1 <= min(ratios) and max(ratios) <= 0.25
    # several blocks, not one: the hole is not its own bounding box in general
    m = gen((128, 128), np.random.default_rng(1))
    rows, cols = np.nonzero(m)
    assert (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1) > m.sum()


def test_joint_loss_weights_and_logged_terms():
    from mmengine.config import Config
    cfg = Config.fromfile(PARIS)
    losses = {loss['type']: loss for loss in cfg.model.losses}
    assert losses['OverlapL2Loss']['loss_weight'] == 0.999
    assert losses['NonSaturatingGANLoss']['loss_weight'] == 0.001
    assert (losses['OverlapL2Loss']['overlap'], losses['OverlapL2Loss']['overlap_weight']) \
        == (4, 10.0)
    from toolbox.testing import tiny_batch, tiny_optimizers
    from toolbox.testing import _packed
    model = MODELS.build(dict(
        type='GANInpaintor',
        generator=dict(type='ContextEncoderGenerator', image_size=64, base_channels=4),
        discriminator=dict(type='ContextEncoderDiscriminator', crop_size=32,
                           base_channels=4),
        losses=cfg.model.losses, disc_input='output')).train()
    batch = tiny_batch(size=64)
    data = _packed(batch, ())
    pre = model.data_preprocessor(data, True)
    with torch.no_grad():
        out = model.generator(pre['gt'] * (1 - pre['mask']), pre['mask'])['output']
        rec = model.rec_losses[0](out, pre['gt'], pre['mask'])
    log = model.train_step(data, tiny_optimizers(model))
    assert log['loss_OverlapL2Loss_output'] == pytest.approx(0.999 * float(rec), rel=1e-5)
    assert log['loss_g'] == pytest.approx(log['loss_OverlapL2Loss_output']
                                          + log['loss_g_adv'], rel=1e-5)
    # the adversarial term is 0.001 of the non-saturating loss: log 2 / 1000-ish at start
    assert 0 < log['loss_g_adv'] < 0.01


def test_discriminator_judges_the_centre_crop():
    disc = DISCRIMINATORS.build(dict(type='ContextEncoderDiscriminator', crop_size=16,
                                     base_channels=4)).eval()
    mask = torch.zeros(1, 1, 64, 64)
    mask[..., 26:38, 26:38] = 1                      # centred: the crop is [24:40]
    image = torch.randn(1, 3, 64, 64)
    other = image.clone()
    other[..., :24, :] = torch.randn(1, 3, 24, 64)   # outside the crop
    with torch.no_grad():
        assert torch.equal(disc(image, mask), disc(other, mask))
        other[..., 30, 30] += 1                      # inside
        assert not torch.equal(disc(image, mask), disc(other, mask))


@pytest.mark.slow
def test_demo_trains_through_the_cli_and_inpaints(tmp_path, demo_root):
    log = train_demo(DEMO, tmp_path / 'work', 3, data_root=demo_root)
    assert 'loss_OverlapL2Loss_output' in log and 'loss_g_adv' in log and 'PSNR' in log
    image = np.random.default_rng(0).integers(0, 256, (50, 70, 3), dtype=np.uint8)
    # the fixed 64² model's result is resized back to 50x70 (checked by inpaint_box)
    inpaint_box(DEMO, tmp_path / 'work' / 'iter_3.pth', image, np.s_[15:35, 20:45],
                str(tmp_path))


def test_toolbox_lists_the_components(capsys):
    from toolbox.cli import main
    for kind, name in [('generators', 'ContextEncoderGenerator'),
                       ('discriminators', 'ContextEncoderDiscriminator'),
                       ('losses', 'OverlapL2Loss'), ('mask_generators', 'RandomBlocks')]:
        assert main(['list', kind]) == 0
        assert name in capsys.readouterr().out
