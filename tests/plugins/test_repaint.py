"""RePaint: the jump schedule, the sampler's injection and paste-back, seeds, training the
denoiser on the demo photos, and the tools end to end."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from toolbox.apis import inpaint
from toolbox.registry import MODELS, NOISE_SCHEDULES, SAMPLERS
from toolbox.testing import tiny_batch
from toolbox_plugins.repaint.sampler import jump_schedule, num_denoiser_calls

from ..utils import REPO, run_python

pytestmark = pytest.mark.usefixtures('one_thread')


def _counting(schedule):
    """A stand-in denoiser that records the timesteps and inputs it is called with."""
    seen = []

    def denoise(x_t, t):
        seen.append((int(t[0]), x_t.clone()))
        return torch.zeros_like(x_t)
    return denoise, seen


# Reverse steps counted by running the official scheduler (andreas128/RePaint,
# guided_diffusion/scheduler.py, get_schedule_jump with n_sample=1) in a scratch folder:
# (t_T, jump_length, jump_n_sample) -> denoiser calls. The paper's defaults give 2,410.
OFFICIAL_CALLS = {(250, 10, 10): 2410, (250, 10, 1): 250, (25, 5, 2): 45, (100, 10, 5): 460,
                  (30, 7, 3): 86, (12, 4, 4): 36}


@pytest.mark.parametrize('params', sorted(OFFICIAL_CALLS))
def test_denoiser_calls_equal_the_closed_form_and_the_official_schedule(params):
    t_T, length, n = params
    assert num_denoiser_calls(t_T, length, n) == OFFICIAL_CALLS[params]
    times = jump_schedule(t_T, length, n)
    assert times[0] == t_T - 1 and times[-1] == -1
    assert all(abs(a - b) == 1 for a, b in zip(times[:-1], times[1:]))
    assert max(times) <= t_T - 1
    sampler = SAMPLERS.build(dict(type='RePaintSampler', t_T=t_T, jump_length=length,
                                  jump_n_sample=n))
    schedule = NOISE_SCHEDULES.build(dict(type='LinearNoiseSchedule'))
    denoise, seen = _counting(schedule)
    image, mask = torch.zeros(1, 3, 2, 2), torch.ones(1, 1, 2, 2)
    sampler.sample(denoise, image, mask, schedule, torch.Generator().manual_seed(0))
    assert len(seen) == OFFICIAL_CALLS[params] == sampler.num_denoiser_calls()


# Training steps kept by guided diffusion's space_timesteps(1000, [n]) (run from the
# official repository); the float stride accumulates, so 21 steps keep 499, not 500.
OFFICIAL_RESPACING = {
    21: [0, 50, 100, 150, 200, 250, 300, 350, 400, 450, 499, 549, 599, 649, 699, 749, 799,
         849, 899, 949, 999],
    23: [0, 45, 91, 136, 182, 227, 272, 318, 363, 409, 454, 499, 545, 590, 636, 681, 727, 772,
         817, 863, 908, 954, 999],
}


def test_respacing_keeps_the_training_steps_guided_diffusion_keeps():
    schedule = NOISE_SCHEDULES.build(dict(type='LinearNoiseSchedule'))
    for steps, expected in OFFICIAL_RESPACING.items():
        assert schedule.respace(steps)[0].tolist() == expected
    kept = schedule.respace(250)[0]
    assert kept[:6].tolist() == [0, 4, 8, 12, 16, 20] and kept[-3:].tolist() == [991, 995, 999]
    assert int(kept.sum()) == 124875


def test_the_paper_size_config_has_the_stated_parameter_count():
    from toolbox.apis import load_config
    cfg = load_config(osp.join(REPO, 'configs/repaint/places_256.py'))
    with torch.device('meta'):                          # shapes only: no 2 GB allocation
        model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) == 480_721_923   # plugins/repaint/README.md
    assert model.fixed_size == (256, 256) and model.sampler.num_denoiser_calls() == 2410


def test_one_sample_per_jump_is_plain_reverse_diffusion():
    sampler = SAMPLERS.build(dict(type='RePaintSampler', t_T=50, jump_length=10,
                                  jump_n_sample=1))
    assert sampler.times() == list(range(49, -2, -1))
    schedule = NOISE_SCHEDULES.build(dict(type='LinearNoiseSchedule'))
    denoise, seen = _counting(schedule)
    sampler.sample(denoise, torch.zeros(1, 3, 4, 4), torch.ones(1, 1, 4, 4), schedule,
                   torch.Generator().manual_seed(0))
    # 50 reverse steps, each at the training step its respaced index stands for
    timesteps, _ = schedule.respace(50)
    assert [t for t, _ in seen] == timesteps.flip(0).tolist()
    assert seen[0][0] == 999 and seen[-1][0] == 0


def test_known_region_is_injected_at_the_noise_level_of_each_step():
    schedule = NOISE_SCHEDULES.build(dict(type='LinearNoiseSchedule'))
    sampler = SAMPLERS.build(dict(type='RePaintSampler', t_T=20, jump_length=5,
                                  jump_n_sample=2))
    image = tiny_batch(batch=1, size=64)['gt']
    mask = torch.zeros(1, 1, 64, 64)
    mask[..., :, 32:] = 1                                   # right half unknown
    denoise, seen = _counting(schedule)
    out = sampler.sample(denoise, image, mask, schedule, torch.Generator().manual_seed(0))
    abar = schedule.alphas_cumprod()
    known = (mask == 0).expand_as(image)
    for t, x_t in seen[::7]:
        a = float(abar[t])
        eps = (x_t[known] - a ** 0.5 * image[known]) / (1 - a) ** 0.5
        # what remains is standard normal noise: the known pixels at level t
        assert abs(float(eps.mean())) < 0.1 and abs(float(eps.std()) - 1) < 0.1, t
    # the result: the known pixels exactly, the holes sampled
    assert torch.equal(out[known], image[known]) and not torch.equal(out[~known], image[~known])


@pytest.fixture(scope='module')
def tiny_model():
    torch.manual_seed(0)
    cls = MODELS.get('DiffusionInpaintor')
    return MODELS.build(dict(type='DiffusionInpaintor', **cls.tiny_cfg)).eval()


def test_inpaint_keeps_known_pixels_and_follows_the_seed(tiny_model):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (24, 40, 3), dtype=np.uint8)   # not the model's 16x16
    mask = np.zeros((24, 40), np.uint8)
    mask[4:14, 10:30] = 255
    a = inpaint(tiny_model, image, mask, sample_options=dict(seed=3))
    b = inpaint(tiny_model, image, mask, sample_options=dict(seed=3))
    c = inpaint(tiny_model, image, mask, sample_options=dict(seed=4))
    assert a.shape == image.shape and np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.array_equal(a[mask == 0], image[mask == 0])        # pasted at full resolution
    fewer = inpaint(tiny_model, image, mask, sample_options=dict(seed=3, steps=4))
    assert not np.array_equal(fewer, a)
    with pytest.raises(TypeError, match='jumps'):
        inpaint(tiny_model, image, mask, sample_options=dict(jumps=3))
    with pytest.raises(TypeError, match="'seed'"):
        inpaint(tiny_model, image, mask, seed=3)              # not a guidance image


def _photos(folder, size, crops, rng):
    """``crops`` random ``size``x``size`` crops of the photos in ``folder`` as [N, 3, s, s]."""
    paths = sorted(glob.glob(osp.join(folder, '*.png')))
    out = []
    for i in range(crops):
        img = cv2.imread(paths[i % len(paths)])[..., ::-1]
        img = cv2.resize(img, (4 * size, 4 * size), interpolation=cv2.INTER_AREA)
        y, x = rng.integers(0, 3 * size, 2)
        out.append(img[y:y + size, x:x + size])
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float() / 127.5 - 1


def test_training_on_the_demo_photos_lowers_the_loss_on_held_back_photos(demo_root):
    from toolbox.testing import tiny_optimizers
    torch.manual_seed(0)
    cls = MODELS.get('DiffusionInpaintor')
    model = MODELS.build(dict(type='DiffusionInpaintor', **cls.tiny_cfg))
    rng = np.random.default_rng(0)
    held = _photos(osp.join(demo_root, 'val'), 16, 16, rng)
    g = torch.Generator().manual_seed(1)
    t = torch.randint(0, model.noise_schedule.num_steps, (len(held),), generator=g)
    noise = torch.randn(held.shape, generator=g)

    def held_back_loss():
        with torch.no_grad():
            return float(model.noise_prediction_loss(held, t, noise)[0])
    untrained = held_back_loss()
    optim = tiny_optimizers(model, lr=2e-3)
    model.train()
    for step in range(40):
        gt = _photos(osp.join(demo_root, 'train'), 16, 8, rng)
        data = dict(inputs=dict(gt=list(((gt + 1) * 127.5).round().byte()),
                                mask=list(torch.zeros(8, 1, 16, 16, dtype=torch.uint8))))
        model.train_step(data, optim)
    trained = held_back_loss()
    # below the untrained network and below predicting no noise at all (a loss of 1)
    print(f"held-back noise MSE: untrained {untrained:.3f}, trained {trained:.3f}")
    assert trained < untrained and trained < 0.9, (untrained, trained)


@pytest.mark.slow
def test_demo_config_trains_and_inpaints_through_the_tools(tmp_path, demo_root):
    cfg = osp.join(REPO, 'configs/repaint/demo.py')
    work = tmp_path / 'work'
    train = run_python([osp.join(REPO, 'tools/train.py'), cfg, '--work-dir', str(work),
                        '--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
                        'default_hooks.checkpoint.interval=2',
                        'model.sampler.t_T=4', 'model.sampler.jump_length=2'],
                       cwd=str(tmp_path))
    assert train.returncode == 0, train.stderr[-3000:]
    assert (work / 'iter_2.pth').exists() and (work / 'vis' / 'val_iter_000002.png').exists()
    image = sorted(glob.glob(osp.join(demo_root, 'val', '*.png')))[0]
    mask = np.zeros(cv2.imread(image).shape[:2], np.uint8)
    mask[100:200, 150:300] = 255
    cv2.imwrite(str(tmp_path / 'mask.png'), mask)
    from ..utils import load_tool
    tool = load_tool('inpaint')
    args = ['--config', cfg, '--checkpoint', str(work / 'iter_2.pth'), '--image', image,
            '--mask', str(tmp_path / 'mask.png'), '--steps', '3', '--cfg-options',
            'model.sampler.jump_length=1']
    outs = []
    for seed, name in ((0, 'a'), (0, 'b'), (1, 'c')):
        assert tool.main([*args, '--seed', str(seed), '--out', str(tmp_path / f'{name}.png')]) == 0
        outs.append(cv2.imread(str(tmp_path / f'{name}.png')))
    original = cv2.imread(image)
    assert np.array_equal(outs[0], outs[1]) and not np.array_equal(outs[0], outs[2])
    assert np.array_equal(outs[0][mask == 0], original[mask == 0])
