"""The GAN inpaintor: alternating updates, compositing, loss routing, clear config errors."""
import pytest
import torch
from mmengine.optim import OptimWrapperDict

from toolbox.bases import (BaseAdversarialLoss, BaseDiscriminator, BaseFeatureMatchingLoss,
                           BaseReconstructionLoss)
from toolbox.models import GANInpaintor, MultiOptimWrapperConstructor, composite
from toolbox.testing import tiny_batch


def _model(**kw):
    cfg = dict(generator=dict(type='EncoderDecoderGenerator', base_channels=8, num_downsamples=2),
               discriminator=dict(type='PatchDiscriminator', base_channels=8, num_layers=2),
               losses=[dict(type='L1Loss', outputs=('output',)),
                       dict(type='HingeGANLoss', loss_weight=0.1)])
    cfg.update(kw)
    return GANInpaintor(**cfg)


def _optim(model):
    return MultiOptimWrapperConstructor(dict(
        generator=dict(optimizer=dict(type='Adam', lr=1e-3)),
        discriminator=dict(optimizer=dict(type='Adam', lr=1e-3))))(model)


def _data(batch=2, size=32, seed=0):
    b = tiny_batch(batch, size, seed)
    gt = ((b['gt'] + 1) * 127.5).round().byte()
    return dict(inputs=dict(gt=list(gt), mask=list(b['mask'].byte())),
                data_samples=[{} for _ in range(batch)])


def _params(module):
    return [p.detach().clone() for p in module.parameters()]


def _changed(before, module):
    return [not torch.equal(a, b.detach()) for a, b in zip(before, module.parameters())]


def test_discriminator_steps_per_generator_step():
    torch.manual_seed(0)
    model = _model(disc_steps=2)
    optim = _optim(model)
    assert isinstance(optim, OptimWrapperDict)
    g0, d0 = _params(model.generator), _params(model.discriminator)
    log = model.train_step(_data(), optim)          # call 0: D and G
    assert all(_changed(g0, model.generator)) and any(_changed(d0, model.discriminator))
    assert {'loss_d', 'loss_g', 'loss_g_adv', 'loss_L1Loss_output'} <= set(log)
    g1 = _params(model.generator)
    log = model.train_step(_data(seed=1), optim)    # call 1: D only
    assert not any(_changed(g1, model.generator))
    assert 'loss_g' not in log and 'loss_d' in log


def test_generator_step_leaves_no_gradient_in_the_discriminator():
    torch.manual_seed(0)
    model = _model()
    optim = _optim(model)
    model.train_step(_data(), optim)
    # D's gradients were zeroed after its own step; the G step must not write new ones.
    for p in model.discriminator.parameters():
        assert p.grad is None or float(p.grad.abs().sum()) == 0.0
    assert all(p.requires_grad for p in model.discriminator.parameters())


def test_frozen_parts_of_the_discriminator_stay_frozen():
    torch.manual_seed(0)
    model = _model()
    first = next(model.discriminator.parameters())
    first.requires_grad_(False)               # e.g. a pretrained semantic network
    before = first.detach().clone()
    model.train_step(_data(), _optim(model))
    assert not first.requires_grad and torch.equal(first, before)
    assert all(p.requires_grad for p in list(model.discriminator.parameters())[1:])


def test_predictions_are_composited_and_in_unit_range():
    model = _model().eval()
    data = _data()
    results = model.val_step(data)
    assert len(results) == 2
    batch = model.data_preprocessor(data)
    for i, r in enumerate(results):
        assert r['pred'].shape == (3, 32, 32) and r['mask'].shape == (1, 32, 32)
        known = r['mask'].expand(3, -1, -1) == 0
        assert torch.allclose(r['pred'][known], r['gt'][known], atol=1e-6)
        assert torch.allclose(r['gt'], (batch['gt'][i] + 1) / 2)
        assert 0 <= float(r['pred'].min()) and float(r['pred'].max()) <= 1


def test_composite():
    out, img = torch.zeros(1, 3, 2, 2), torch.ones(1, 3, 2, 2)
    mask = torch.tensor([[[[1.0, 0.0], [0.0, 1.0]]]])
    assert composite(out, img, mask)[0, 0].tolist() == [[0.0, 1.0], [1.0, 0.0]]


def test_loss_routed_to_a_missing_output_says_which():
    model = _model(losses=[dict(type='L1Loss', outputs=('coarse', 'output'))], discriminator=None)
    optim = MultiOptimWrapperConstructor(dict(generator=dict(optimizer=dict(type='Adam'))))(model)
    with pytest.raises(KeyError, match="output 'coarse'.*returns only \\['output'\\]"):
        model.train_step(_data(), optim)


@pytest.mark.parametrize('kw, message', [
    (dict(losses=[dict(type='L1Loss')]), 'exactly one adversarial loss'),
    (dict(discriminator=None), 'no discriminator'),
    (dict(disc_steps=0), 'disc_steps must be >= 1'),
])
def test_inconsistent_configs_are_rejected(kw, message):
    with pytest.raises(ValueError, match=message):
        _model(**kw)


def test_image_size_not_a_multiple_is_a_clear_error():
    model = _model()
    with pytest.raises(ValueError, match='multiples of 4'):
        model.val_step(_data(size=30))


class _FeatureDisc(BaseDiscriminator):
    """A two-layer discriminator exposing its features."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv2d(4, 4, 3, stride=2, padding=1)
        self.b = torch.nn.Conv2d(4, 1, 3, stride=2, padding=1)

    def forward_with_features(self, image, mask, **conditions):
        f = torch.relu(self.a(torch.cat([image, mask], 1)))
        return self.b(f), [f]

    def forward(self, image, mask, **conditions):
        return self.forward_with_features(image, mask)[0]


class _L2Matching(BaseFeatureMatchingLoss):
    calls = 0

    def forward(self, fake_features, real_features):
        type(self).calls += 1
        assert not any(r.requires_grad for r in real_features)
        return sum(((f - r) ** 2).mean() for f, r in zip(fake_features, real_features))


class _R1Hinge(BaseAdversarialLoss):
    """Hinge with an R1 penalty: its own discriminator terms."""
    seen_grad = False

    def generator_loss(self, fake_logits):
        return -fake_logits.mean()

    def discriminator_loss(self, real_logits, fake_logits):
        return torch.relu(1 - real_logits).mean() + torch.relu(1 + fake_logits).mean()

    def discriminator_terms(self, judge, real, fake, batch):
        real = real.detach().requires_grad_(True)
        real_logits, fake_logits = judge(real), judge(fake)
        type(self).seen_grad = real.requires_grad
        grad, = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
        return ({'loss_d': self.discriminator_loss(real_logits, fake_logits),
                 'loss_d_penalty': 0.5 * grad.pow(2).flatten(1).sum(1).mean()}, {})


def test_feature_matching_and_real_penalty_losses_are_driven():
    torch.manual_seed(0)
    model = GANInpaintor(
        generator=dict(type='EncoderDecoderGenerator', base_channels=8, num_downsamples=2),
        discriminator=_FeatureDisc(), losses=[dict(type='L1Loss'), _R1Hinge(), _L2Matching(7.0)])
    log = model.train_step(_data(), _optim(model))
    assert _L2Matching.calls == 1 and _R1Hinge.seen_grad
    assert log['loss__L2Matching'] > 0 and log['loss_d_penalty'] >= 0
    with pytest.raises(ValueError, match='feature-matching loss is configured but no'):
        GANInpaintor(generator=dict(type='EncoderDecoderGenerator'),
                     losses=[dict(type='L1Loss'), _L2Matching()])


class _NaNAfter(BaseReconstructionLoss):
    """Finite for the first call, NaN afterwards."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, pred, target, mask):
        self.calls += 1
        value = (pred - target).abs().mean()
        return value if self.calls == 1 else value * float('nan')


def test_nonfinite_loss_stops_naming_iteration_and_term():
    from toolbox.models import NonFiniteLossError
    model = _model(losses=[dict(type='L1Loss'), _NaNAfter(), dict(type='HingeGANLoss')])
    optim = _optim(model)
    model.train_step(_data(), optim)
    before = _params(model.generator)
    with pytest.raises(NonFiniteLossError, match='iteration 1: loss term loss__NaNAfter_output is nan'):
        model.train_step(_data(), optim)
    assert not any(_changed(before, model.generator))


def test_nonfinite_loss_can_skip_the_update(caplog):
    model = _model(losses=[dict(type='L1Loss'), _NaNAfter(), dict(type='HingeGANLoss')],
                   nonfinite='skip')
    optim = _optim(model)
    model.train_step(_data(), optim)
    before, d_before = _params(model.generator), _params(model.discriminator)
    model.train_step(_data(), optim)
    assert not any(_changed(before, model.generator))          # G update skipped
    assert any(_changed(d_before, model.discriminator))        # D's finite update kept
    assert all(torch.isfinite(p).all() for p in model.generator.parameters())


def test_skipping_nonfinite_updates_stops_after_a_run_of_them():
    """Issue 13.6: 'skip' skipped 19 of 20 iterations and exited 0 with PSNR nan."""
    from toolbox.models import NonFiniteLossError
    model = _model(losses=[dict(type='L1Loss'), _NaNAfter(), dict(type='HingeGANLoss')],
                   nonfinite='skip', max_consecutive_skips=3)
    optim = _optim(model)
    model.train_step(_data(), optim)                 # iteration 0 is finite
    model.train_step(_data(), optim)                 # 1, 2: skipped, training goes on
    model.train_step(_data(), optim)
    with pytest.raises(NonFiniteLossError,
                       match=r'iteration 3: loss term loss__NaNAfter_output is nan.*3 iterations '
                             r'in a row.*max_consecutive_skips=3'):
        model.train_step(_data(), optim)
    assert _model(nonfinite="skip").nonfinite.max_consecutive_skips == 10     # the default


class _SpyDisc(_FeatureDisc):
    """Records every image it judges."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward_with_features(self, image, mask, **conditions):
        self.seen.append(image.detach().clone())
        return super().forward_with_features(image, mask)


class _MaskedHinge(BaseAdversarialLoss):
    """Reads the mask from the batch in its own terms."""
    masks = []

    def generator_loss(self, fake_logits):
        return -fake_logits.mean()

    def discriminator_loss(self, real_logits, fake_logits):
        return torch.relu(1 - real_logits).mean() + torch.relu(1 + fake_logits).mean()

    def discriminator_terms(self, judge, real, fake, batch):
        type(self).masks.append(('d', batch['mask']))
        return super().discriminator_terms(judge, real, fake, batch)

    def generator_terms(self, judge, fake, real, batch, fake_logits=None):
        type(self).masks.append(('g', batch['mask']))
        return super().generator_terms(judge, fake, real, batch, fake_logits)


@pytest.mark.parametrize('disc_input', ['composite', 'output'])
def test_discriminator_judges_the_configured_fake_and_mask_taking_losses_get_the_mask(
        disc_input):
    torch.manual_seed(0)
    disc = _SpyDisc()
    model = GANInpaintor(
        generator=dict(type='EncoderDecoderGenerator', base_channels=8, num_downsamples=2),
        discriminator=disc, losses=[dict(type='L1Loss'), _MaskedHinge()],
        disc_input=disc_input)
    data = _data()
    batch = model.data_preprocessor(data, True)
    with torch.no_grad():
        raw = model.generator(batch['gt'] * (1 - batch['mask']), batch['mask'])['output']
    _MaskedHinge.masks.clear()
    model.train_step(data, _optim(model))
    real, fake_for_d = disc.seen[0], disc.seen[1]          # D step: real, then fake
    assert torch.equal(real, batch['gt'])
    expected = raw if disc_input == 'output' else composite(raw, batch['gt'], batch['mask'])
    torch.testing.assert_close(fake_for_d, expected)
    known = batch['mask'] == 0
    assert not torch.allclose(raw.expand_as(batch['gt'])[known.expand_as(raw)],
                              batch['gt'][known.expand_as(raw)])    # the two choices differ
    assert [w for w, _ in _MaskedHinge.masks] == ['d', 'g']
    assert all(torch.equal(m, batch['mask']) for _, m in _MaskedHinge.masks)
    with pytest.raises(ValueError, match="disc_input must be 'composite' or 'output'"):
        _model(disc_input='raw')


class _BufferedL1(BaseReconstructionLoss):
    """An L1 loss that holds state, as a loss with a frozen network does."""

    def __init__(self):
        super().__init__()
        self.register_buffer('scale', torch.tensor(1.0))

    def forward(self, pred, target, mask):
        return (pred - target).abs().mean() * self.scale


def test_checkpoints_with_the_losses_former_keys_still_load():
    """The losses moved into ``objective``; a checkpoint written before keeps loading."""
    model = _model(losses=[_BufferedL1(), dict(type='HingeGANLoss')])
    state = model.state_dict()
    assert 'objective.rec.0.scale' in state and 'train_steps' in state
    old = {k.replace('objective.rec.', 'rec_losses.'): v.clone() for k, v in state.items()}
    old['rec_losses.0.scale'].fill_(3.0)
    old['train_steps'].fill_(7)
    fresh = _model(losses=[_BufferedL1(), dict(type='HingeGANLoss')])
    fresh.load_state_dict(old)                    # strict: every key found
    assert float(fresh.rec_losses[0].scale) == 3.0 and int(fresh.train_steps) == 7
