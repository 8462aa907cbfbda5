"""A training step of stage k of the progressive flagship model is,
bit for bit, a plain ``GANInpaintor`` step with the same generator, SA-PatchGAN
discriminator and losses, fed stage k's input (stage k-1's result upsampled into the
holes) at stage k's scale. The progressive part thus adds exactly the stage input and the
freezing, and DeepFill v2's step (checked against MMagic's by ``compare-training``)
carries over to every stage."""
from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from toolbox.models import GANInpaintor, MultiOptimWrapperConstructor, ProgressiveInpaintor
from toolbox.models.inpaintor import composite
from toolbox.models.progressive import resize_image
from toolbox.plugins import load_plugins
from toolbox.testing import tiny_batch

pytestmark = pytest.mark.usefixtures('one_thread')
load_plugins()

LOSSES = [dict(type='L1Loss', outputs=('coarse', 'output')),
          dict(type='HingeGANLoss', loss_weight=0.1)]


def _data(seed):
    b = tiny_batch(2, 64, seed)
    gt = ((b['gt'] + 1) * 127.5).round().byte()
    return dict(inputs=dict(gt=list(gt), mask=list(b['mask'].byte())), data_samples=None)


def _optim(model):
    adam = dict(type='Adam', lr=1e-3, betas=(0.5, 0.999))
    return MultiOptimWrapperConstructor(dict(generator=dict(optimizer=adam),
                                             discriminator=dict(optimizer=adam)))(model)


class PassThrough(nn.Module):
    """A data preprocessor for a batch that is already preprocessed."""

    def forward(self, data, training=False):
        return data


def fed(generator: nn.Module, estimate: torch.Tensor) -> nn.Module:
    """``generator`` given ``estimate`` (holes filled) where the GAN inpaintor passes the
    image with zeroed holes; the known pixels must be the same."""
    forward = generator.forward

    def with_estimate(masked, mask, **guidance):
        assert torch.equal(masked, estimate * (1 - mask))
        return forward(estimate, mask, **guidance)
    generator.forward = with_estimate
    return generator


@pytest.mark.parametrize('stage', [1, 2])
def test_a_stage_step_is_a_gan_step_on_the_stage_input(stage):
    torch.manual_seed(0)
    model = ProgressiveInpaintor(
        generator=dict(type='DeepFillv2Generator', cnum=8),
        scheduler=dict(type='StageScheduler', scales=(0.25, 0.5, 1.0), stage_iters=(1, 1, 1),
                       size_multiple=8),
        discriminator=dict(type='SAPatchGANDiscriminator', semantic_model='test_resnet',
                           pretrained=False, base_channels=8, num_layers=2, embed_dim=16),
        losses=LOSSES).train()
    optim = _optim(model)
    for step in range(stage):                       # the earlier stages train first
        model.train_step(_data(step), optim)
    assert model.current_stage == stage

    # stage k's input, as a user would build it: the stages below, then k's scale
    data = _data(stage)
    batch = model.data_preprocessor(data, True)
    with torch.no_grad():
        below, sb_below = model.run_stages(batch, stage - 1)
        size = model.stage_sizes(batch['gt'].shape[2:])[stage]
        sb = model._stage_batch(batch, size)
        estimate = composite(resize_image(composite(below['output'], sb_below['gt'],
                                                    sb_below['mask']), size),
                             sb['gt'], sb['mask'])
    gan = GANInpaintor(generator=fed(copy.deepcopy(model.generator[stage]), estimate),
                       discriminator=copy.deepcopy(model.discriminator[stage]),
                       losses=LOSSES, data_preprocessor=PassThrough()).train()
    gan_optim = _optim(gan)
    # the progressive model's Adam has seen only the earlier stages' parameters
    assert all(p not in optim['generator'].optimizer.state
               for p in model.generator[stage].parameters())

    log_p = model.train_step(data, optim)
    log_g = gan.train_step(dict(gt=sb['gt'], mask=sb['mask'], data_samples=[{}, {}]),
                           gan_optim)
    assert log_p == log_g                                         # every term, exactly
    for ours, plain in ((model.generator[stage], gan.generator),
                        (model.discriminator[stage], gan.discriminator)):
        a, b = ours.state_dict(), plain.state_dict()
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a), \
            [k for k in a if not torch.equal(a[k], b[k])][:3]
