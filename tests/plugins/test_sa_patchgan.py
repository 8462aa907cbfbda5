"""The flagship: SA-PatchGAN discriminator, stage schedules, and the tiny 5-stage run."""
import os.path as osp
import re
import time

import pytest
import torch

from toolbox.registry import DISCRIMINATORS, STAGE_SCHEDULERS
from toolbox.weights import WeightsNotFoundError

from ..utils import REPO, run_python

TINY = dict(type='SAPatchGANDiscriminator', semantic_model='test_resnet', pretrained=False,
            base_channels=8, embed_dim=16)


def test_output_is_f_phi_plus_projection_on_the_semantics():
    torch.manual_seed(0)
    disc = DISCRIMINATORS.build(TINY).eval()
    image, gt = torch.rand(2, 3, 64, 64) * 2 - 1, torch.rand(2, 3, 64, 64) * 2 - 1
    mask = (torch.rand(2, 1, 64, 64) > 0.5).float()
    out = disc(image, mask, gt=gt)
    with torch.no_grad():
        phi = disc.phi(torch.cat([image, mask], 1))                       # [B, 16, h, w]
        x = ((gt + 1) / 2 - disc.semantic.mean) / disc.semantic.std
        c = disc.semantic.net.forward_head(disc.semantic.net.forward_features(x),
                                           pre_logits=True)               # pooled C(x)
        f_c = disc.f_c(c)                                                  # [B, 16]
        expected = disc.f_phi(phi) + torch.einsum('bchw,bc->bhw', phi, f_c)[:, None]
    assert out.shape == (2, 1, 1, 1)
    assert torch.allclose(out, expected, atol=1e-5)
    other = disc(image, mask, gt=torch.flip(gt, dims=[0]))                # semantics matter
    assert not torch.allclose(out, other)


def test_discriminators_share_one_frozen_semantic_network():
    a, b = DISCRIMINATORS.build(TINY), DISCRIMINATORS.build(dict(TINY, base_channels=4))
    assert a.semantic.net is b.semantic.net and a.phi is not b.phi
    other = DISCRIMINATORS.build(dict(TINY, semantic_model='test_efficientnet'))
    assert other.semantic.net is not a.semantic.net


def test_semantic_network_stays_frozen_and_in_eval_mode():
    disc = DISCRIMINATORS.build(TINY)
    disc.train()
    assert not disc.semantic.net.training
    assert not any(p.requires_grad for p in disc.semantic.parameters())
    assert all(p.requires_grad for p in disc.phi.parameters())


def test_pretrained_weights_load_from_a_configured_file(tmp_path):
    import timm
    source = timm.create_model('test_resnet', pretrained=False, num_classes=0)
    torch.save(source.state_dict(), tmp_path / 'test_resnet.pth')
    disc = DISCRIMINATORS.build(dict(TINY, pretrained=True,
                                     semantic_weights=str(tmp_path / 'test_resnet.pth')))
    for a, b in zip(source.state_dict().values(), disc.semantic.net.state_dict().values()):
        assert torch.equal(a, b)


def test_missing_pretrained_weights_fail_fast_naming_the_file(empty_caches):
    tmp_path = empty_caches
    start = time.perf_counter()
    with pytest.raises(WeightsNotFoundError) as info:
        DISCRIMINATORS.build(dict(type='SAPatchGANDiscriminator', semantic_model='resnet50'))
    assert time.perf_counter() - start < 5
    msg = str(info.value)
    assert 'resnet50.a1_in1k.safetensors' in msg and str(tmp_path / 'torch') in msg
    assert 'semantic_weights' in msg


@pytest.mark.parametrize('scales, sizes', [
    ((0.25, 0.5, 1.0), [64, 128, 256]),
    ((0.25, 2 ** 0.5 / 4, 0.5, 2 ** 0.5 / 2, 1.0), [64, 88, 128, 184, 256]),
])
def test_stage_resolutions_of_both_schedules(scales, sizes):
    sched = STAGE_SCHEDULERS.build(dict(type='StageScheduler', scales=scales,
                                              stage_iters=[10] * len(scales)))
    assert [sched.stage_size(k, (256, 256)) for k in range(len(scales))] == \
        [(s, s) for s in sizes]
    assert [sched.stage_at(i) for i in (0, 9, 10, 10 * len(scales) - 1, 10 ** 6)] == \
        [0, 0, 1, len(scales) - 1, len(scales) - 1]
    assert sched.frozen_stages(25) == [0, 1]


TINY_CFG = osp.join(REPO, 'configs/sa_patchgan/demo.py')


def _train(work, demo_root, max_iters, *extra):
    return run_python([osp.join(REPO, 'tools/train.py'), TINY_CFG, '--work-dir', str(work),
                       *extra, '--cfg-options', 'model.scheduler.stage_iters=(2,2,2,2,2)',
                       f'train_cfg.max_iters={max_iters}', f'train_cfg.val_interval={max_iters}',
                       'default_hooks.checkpoint.interval=5',
                       f'train_dataloader.dataset.data_root={demo_root}',
                       f'val_dataloader.dataset.data_root={demo_root}'], cwd=str(work.parent))


def _stage_params(state, stage):
    return {k: v for k, v in state.items() if k.startswith(f'generator.{stage}.')}


@pytest.mark.slow
def test_tiny_flagship_trains_all_stages_and_resumes_in_stage_3(tmp_path, demo_root):
    work = tmp_path / 'work'
    run = _train(work, demo_root, 10)
    assert run.returncode == 0, run.stderr[-4000:]
    log = run.stdout + run.stderr
    switches = re.findall(r'progressive training: stage (\d)/5 at (\d+)x\d+ .* from '
                          r'iteration (\d+)', log)
    assert switches == [('1', '16', '0'), ('2', '24', '2'), ('3', '32', '4'),
                        ('4', '48', '6'), ('5', '64', '8')]
    assert (work / 'iter_10.pth').exists() and 'PSNR' in log
    # the five stage discriminators share one frozen semantic network, stored once
    state = torch.load(work / 'iter_10.pth', weights_only=True)['state_dict']
    sem = [k[len('discriminator.0.'):] for k in state if k.startswith('discriminator.0.semantic.net.')]
    assert sem
    for key in sem:
        ptrs = {state[f'discriminator.{d}.{key}'].untyped_storage().data_ptr() for d in range(5)}
        assert len(ptrs) == 1, key

    # iter_5.pth was saved after the first of stage 3's two iterations. Resume from it.
    resumed = _train(work, demo_root, 6, '--resume', str(work / 'iter_5.pth'))
    assert resumed.returncode == 0, resumed.stderr[-4000:]
    log = resumed.stdout + resumed.stderr
    assert 'stage 3/5 at 32x32 for 64x64 inputs from iteration 5; frozen stages: 1, 2' in log
    before = torch.load(work / 'iter_5.pth', weights_only=True)
    after = torch.load(work / 'iter_6.pth', weights_only=True)
    for stage, trained in enumerate([False, False, True, False, False]):
        a, b = _stage_params(before['state_dict'], stage), _stage_params(after['state_dict'], stage)
        assert a and (not all(torch.equal(a[k], b[k]) for k in a)) == trained, stage
    assert after['meta']['iter'] == 6


def test_semantic_features_are_computed_once_per_tensor_and_again_after_a_change():
    import torch

    from toolbox.registry import DISCRIMINATORS
    disc = DISCRIMINATORS.build(dict(type='SAPatchGANDiscriminator',
                                     **DISCRIMINATORS.get('SAPatchGANDiscriminator').tiny_cfg))
    calls = []
    handle = disc.semantic.net.register_forward_hook(lambda *a: calls.append(1))
    gt, mask = torch.rand(2, 3, 64, 64) * 2 - 1, torch.zeros(2, 1, 64, 64)
    first = disc(gt, mask, gt=gt)
    disc(gt.flip(0), mask, gt=gt)              # D on fake, same condition
    assert len(calls) == 1
    gt.mul_(0.5)                               # changed in place: new features
    disc(gt, mask, gt=gt)
    assert len(calls) == 2
    again = disc(gt.clone(), mask, gt=gt.clone() / 0.5 * 0.5)   # another tensor
    assert len(calls) == 3 and again.shape == first.shape
    handle.remove()
