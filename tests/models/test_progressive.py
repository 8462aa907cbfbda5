"""The progressive inpaintor: stage inputs, freezing, switching, inference up to a stage."""
import pytest
import torch

from toolbox.models import MultiOptimWrapperConstructor, ProgressiveInpaintor
from toolbox.models.progressive import resize_image, resize_mask
from toolbox.testing import tiny_batch

from .test_inpaintor import _data


def _model(**kw):
    cfg = dict(generator=dict(type='EncoderDecoderGenerator', base_channels=4, num_downsamples=2),
               scheduler=dict(type='StageScheduler', scales=(0.25, 0.5, 1.0),
                              stage_iters=(2, 2, 2), size_multiple=4),
               discriminator=dict(type='PatchDiscriminator', base_channels=4, num_layers=1),
               losses=[dict(type='L1Loss'), dict(type='HingeGANLoss', loss_weight=0.1)])
    cfg.update(kw)
    return ProgressiveInpaintor(**cfg)


def _optim(model):
    return MultiOptimWrapperConstructor(dict(
        generator=dict(optimizer=dict(type='Adam', lr=1e-2)),
        discriminator=dict(optimizer=dict(type='Adam', lr=1e-2))))(model)


def _snapshot(modules):
    return [[p.detach().clone() for p in m.parameters()] for m in modules]


def _unchanged(before, modules):
    return [all(torch.equal(a, b) for a, b in zip(ps, m.parameters()))
            for ps, m in zip(before, modules)]


def test_one_step_changes_exactly_the_current_stage():
    torch.manual_seed(0)
    model = _model(scheduler=dict(type='StageScheduler', scales=(0.25, 0.5, 1.0),
                                  stage_iters=(1, 1, 1), size_multiple=4))
    optim = _optim(model)
    model.train()
    for stage in range(3):          # the stage follows from the steps taken, no hook
        assert model.current_stage == stage
        gens, discs = _snapshot(model.generator), _snapshot(model.discriminator)
        model.train_step(_data(size=32), optim)
        assert _unchanged(gens, model.generator) == [k != stage for k in range(3)]
        assert _unchanged(discs, model.discriminator) == [k != stage for k in range(3)]
        assert [g.training for g in model.generator] == [k >= stage for k in range(3)]
        assert [all(p.requires_grad for p in g.parameters()) for g in model.generator] == \
            [k >= stage for k in range(3)]


def test_a_model_loaded_mid_schedule_trains_the_stage_of_its_step_count():
    torch.manual_seed(0)
    trained = _model()
    optim = _optim(trained)
    for _ in range(3):                                   # stage_iters (2, 2, 2): in stage 1
        trained.train_step(_data(size=32), optim)
    resumed = _model()
    resumed.load_state_dict(trained.state_dict())        # what a resume restores
    assert int(resumed.train_steps) == 3 and resumed.current_stage == 1
    resumed.train()
    assert resumed.frozen_stages() == [0] and not resumed.generator[0].training
    gens = _snapshot(resumed.generator)
    resumed.train_step(_data(size=32), _optim(resumed))
    assert _unchanged(gens, resumed.generator) == [True, False, True]
    # validation during training runs the stages trained so far
    assert resumed.inference_stage == 1 and _model().inference_stage == 2


def test_stage_input_is_upsampled_previous_result_pasted_into_known_pixels():
    torch.manual_seed(0)
    model = _model().eval()
    seen = {}
    for k, gen in enumerate(model.generator):
        gen.register_forward_hook(
            lambda m, args, kwargs, out, k=k: seen.__setitem__(k, (args, out)), with_kwargs=True)
    batch = tiny_batch(batch=2, size=32)
    with torch.no_grad():
        model.run_stages(batch, last=2)
    for k, size in enumerate([(8, 8), (16, 16), (32, 32)]):
        (filled, mask), out = seen[k]
        gt_k, mask_k = resize_image(batch['gt'], size), resize_mask(batch['mask'], size)
        assert filled.shape[2:] == size and torch.equal(mask, mask_k)
        known = (mask_k == 0).expand_as(gt_k)
        assert torch.allclose(filled[known], gt_k[known])
        hole = ~known
        if k == 0:
            assert (filled[hole] == 0).all()
        else:
            (_, prev_mask), prev_out = seen[k - 1]
            prev_gt = resize_image(batch['gt'], prev_out['output'].shape[2:])
            prev = prev_out['output'] * prev_mask + prev_gt * (1 - prev_mask)
            assert torch.allclose(filled[hole], resize_image(prev, size)[hole], atol=1e-6)


def test_lower_scale_mask_never_shrinks_a_hole():
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., 5, 6] = 1                                  # a single hole pixel
    assert resize_mask(mask, (4, 4))[0, 0, 1, 1] == 1


def test_inference_runs_all_stages_or_stops_early():
    model = _model().eval()
    batch = tiny_batch(batch=1, size=32)
    full = model.inpaint(batch['gt'], batch['mask'])
    early = model.inpaint(batch['gt'], batch['mask'], stage=0)
    assert full.shape == early.shape == batch['gt'].shape
    known = batch['mask'].expand_as(full) == 0
    assert torch.equal(full[known], batch['gt'][known]) and torch.equal(early[known], batch['gt'][known])
    assert not torch.allclose(full, early)
    results = model.val_step(_data(batch=1, size=32))
    assert results[0]['pred'].shape == (3, 32, 32)


def test_shared_weights_train_at_every_stage():
    model = _model(share_weights=True, share_discriminator=True)
    assert len(model.generator) == 1 and len(model.discriminator) == 1
    optim = _optim(model)
    for _ in range(5):
        before = _snapshot(model.generator)
        model.train_step(_data(size=32), optim)
        assert model.frozen_stages() == []              # one generator: nothing to freeze
        assert _unchanged(before, model.generator) == [False]
    assert model.current_stage == 2


def test_gan_options_reach_every_stage():
    # disc_input and nonfinite are GANInpaintor's and apply to the stage in training
    model = _model(disc_input='output', nonfinite='skip')
    assert model.disc_input == 'output' and model.nonfinite.mode == 'skip'
    model.train()
    log = model.train_step(_data(size=32), _optim(model))
    assert 'loss_d' in log and 'loss_g' in log
    with pytest.raises(ValueError, match="nonfinite must be 'raise' or 'skip'"):
        _model(nonfinite='ignore')



def _stage_weights(model, stage):
    return [p.detach().clone() for p in model.generator[stage].parameters()]


def _same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


def test_warm_start_copies_the_previous_stage_when_a_stage_begins_only():
    torch.manual_seed(0)
    model = _model(warm_start=True)                 # stages start at steps 0, 2 and 4
    optim = _optim(model)
    model.train()
    for _ in range(2):
        model.train_step(_data(size=32), optim)
    stage0 = _stage_weights(model, 0)
    assert not _same(stage0, _stage_weights(model, 1))
    d0 = [v.clone() for v in model.discriminator[0].state_dict().values()]
    before = _stage_weights(model, 1)
    model.train_step(_data(size=32), optim)        # the first step of stage 2
    after = _stage_weights(model, 1)
    # stage 2 began from stage 1's weights, then took one step of its own
    assert not _same(before, after)
    delta_from_copy = max((a - b).abs().max() for a, b in zip(after, stage0))
    delta_from_own = max((a - b).abs().max() for a, b in zip(after, before))
    assert delta_from_copy < delta_from_own
    # A model resumed in the middle of stage 2 keeps its (checkpointed) weights.
    resumed = _model(warm_start=True)
    resumed.load_state_dict(model.state_dict())
    mid = _stage_weights(resumed, 1)
    resumed.train()
    resumed.begin_step(int(resumed.train_steps))    # the step-begin a resumed run does
    assert _same(mid, _stage_weights(resumed, 1))
    assert len(d0) == len(model.discriminator[1].state_dict())


def test_without_warm_start_stages_keep_their_own_initialisation():
    torch.manual_seed(0)
    model = _model()
    optim = _optim(model)
    model.train()
    for _ in range(2):
        model.train_step(_data(size=32), optim)
    before = _stage_weights(model, 1)
    model.begin_step(int(model.train_steps))
    assert _same(before, _stage_weights(model, 1))


def test_asking_which_modules_train_changes_nothing_the_step_begin_does():
    """Freezing and warm start happen in begin_step, not inside the trained_modules query."""
    torch.manual_seed(0)
    model = _model(warm_start=True)
    model.train()
    model.train_steps.fill_(2)                      # the first step of stage 1
    gen, disc = model.trained_modules()
    assert gen is model.generator[1] and disc is model.discriminator[1]
    before = _stage_weights(model, 1)
    flags = [p.requires_grad for p in model.parameters()]
    assert model.trained_modules(2)[0] is gen       # a query: no copy, no freezing
    assert _same(before, _stage_weights(model, 1))
    assert flags == [p.requires_grad for p in model.parameters()]
    model.begin_step(2)
    assert _same(_stage_weights(model, 0), _stage_weights(model, 1))    # warm-started
    assert not any(p.requires_grad for p in model.generator[0].parameters())
    assert all(p.requires_grad for p in model.generator[1].parameters())
