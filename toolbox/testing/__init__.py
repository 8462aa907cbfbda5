"""Contract checks for every component kind, reusable by third-party plugins.

Each ``check_*`` builds the component from its ``tiny_cfg`` (or a config you pass), runs
it on a tiny input and asserts the contract of :mod:`toolbox.bases`. The toolbox's own
suite runs them over every registered component; a plugin package can do the same::

    import pytest
    from toolbox.testing import check_generator

    def test_my_generator():
        check_generator('MyGenerator')
"""
from __future__ import annotations

import numpy as np
import torch

from toolbox.bases import (BaseAdversarialLoss, BaseDenoiser, BaseDiscriminator,
                           BaseFeatureMatchingLoss, BaseGenerator, BaseMaskGenerator,
                           BaseNoiseSchedule, BaseReconstructionLoss, BaseSampler,
                           BaseStageScheduler)
from toolbox.kinds import KINDS, kind
from toolbox.registry import (DENOISERS, DISCRIMINATORS, GENERATORS, KIND_REGISTRIES, LOSSES,
                              MASK_GENERATORS, NOISE_SCHEDULES, SAMPLERS, STAGE_SCHEDULERS)
from toolbox.value_range import from_model_range

__all__ = ['check_model', 'models', 'check_generator', 'check_progressive',
           *(k.check for k in KINDS if k.check != 'check_generator'), 'check_kind',
           'components', 'tiny_batch', 'tiny_optimizers', 'check_mask_recipe']


def _build(registry, name: str, cfg: dict | None):
    cls = registry.get(name)
    kwargs = dict(cls.tiny_cfg if cfg is None else cfg)
    return registry.build(dict(type=name, **kwargs))


def _size(multiple: int, at_least: int = 32) -> int:
    return max(multiple, ((at_least + multiple - 1) // multiple) * multiple)


def tiny_batch(batch: int = 2, size: int = 32, seed: int = 0) -> dict[str, torch.Tensor]:
    """A batch of smooth random images in [-1, 1] with a box hole in each."""
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(batch, 3, max(2, size // 8), max(2, size // 8), generator=g)
    gt = torch.nn.functional.interpolate(low, size=(size, size), mode='bilinear') * 2 - 1
    mask = torch.zeros(batch, 1, size, size)
    mask[:, :, size // 4: size // 2 + size // 4, size // 4: size // 2 + size // 4] = 1
    sketch = (torch.rand(batch, 1, size, size, generator=g) > 0.9).float()
    return dict(gt=gt, mask=mask, sketch=sketch)


def _fill_holes(batch: dict[str, torch.Tensor], seed: int) -> torch.Tensor:
    """The batch's image with its holes holding a smooth random estimate."""
    estimate = tiny_batch(batch['gt'].shape[0], batch['gt'].shape[-1], seed=seed)['gt']
    return batch['gt'] * (1 - batch['mask']) + estimate * batch['mask']


def check_generator(name: str, cfg: dict | None = None, size: int | None = None) -> BaseGenerator:
    """Build, forward, shapes, finiteness; the output depends on the estimate in the holes
    (unless ``uses_estimate`` is False); every trainable parameter receives a gradient."""
    gen = _build(GENERATORS, name, cfg)
    assert isinstance(gen, BaseGenerator), f'{name} is not a BaseGenerator'
    size = size or _size(gen.size_multiple)
    batch = tiny_batch(size=size)
    masked = batch['gt'] * (1 - batch['mask'])
    guidance = {k: batch[k] for k in gen.guidance if k in batch}
    out = gen(masked, batch['mask'], **guidance)
    assert isinstance(out, dict) and 'output' in out, f"{name} must return a dict with 'output'"
    for key, value in out.items():
        if key == 'output':
            assert value.shape == batch['gt'].shape, \
                f'{name}: output {key!r} has shape {list(value.shape)}, expected {list(batch["gt"].shape)}'
        elif value.shape[1] == 3:   # an image: full size, or a smaller scale of it
            assert (value.shape[:2] == batch['gt'].shape[:2]
                    and all(s <= g for s, g in zip(value.shape[2:], batch['gt'].shape[2:]))), \
                (f'{name}: image output {key!r} has shape {list(value.shape)}, expected '
                 f'{list(batch["gt"].shape[:2])} and at most {list(batch["gt"].shape[2:])}')
        assert torch.isfinite(value).all(), f'{name}: output {key!r} is not finite'
    if gen.uses_estimate:
        gen.eval()   # dropout or batch statistics must not be what makes the outputs differ
        with torch.no_grad():
            a = gen(_fill_holes(batch, 1), batch['mask'], **guidance)['output']
            b = gen(_fill_holes(batch, 2), batch['mask'], **guidance)['output']
        gen.train()
        assert not torch.equal(a * batch['mask'], b * batch['mask']), \
            (f'{name}: the output ignores the estimate in the holes of masked_image (does '
             'forward zero the holes again?); read them, or set uses_estimate = False')
    if not gen.trainable:
        return gen
    out = gen(masked, batch['mask'], **guidance)
    sum(v.float().mean() for v in out.values() if v.is_floating_point()).backward()
    missing = [n for n, p in gen.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f'{name}: no gradient reached the parameters {missing[:5]}'
    assert any(p.grad.abs().sum() > 0 for p in gen.parameters() if p.requires_grad), \
        f'{name}: every gradient is zero'
    return gen


def check_progressive(name: str, cfg: dict | None = None, size: int | None = None):
    """In a two-stage progressive model built on generator ``name``, perturbing stage 1's
    weights changes the final result: stage 2 builds on the estimate it is given.

    A generator with ``uses_estimate = False``, or one that runs at one size only (a
    ``fixed_size``), must instead be refused by the model.
    Returns the model (or None for a refused generator).
    """
    from toolbox.models import ProgressiveInpaintor
    gen_cls = GENERATORS.get(name)
    gen_cfg = dict(type=name, **dict(gen_cls.tiny_cfg if cfg is None else cfg))
    probe = GENERATORS.build(gen_cfg)
    multiple = probe.size_multiple
    model_cfg = dict(generator=gen_cfg,
                     scheduler=dict(type='StageScheduler', scales=(0.5, 1.0), stage_iters=(1, 1),
                                    size_multiple=multiple),
                     losses=[dict(type='L1Loss')])
    if not gen_cls.uses_estimate or getattr(probe, 'fixed_size', None) is not None:
        try:
            ProgressiveInpaintor(**model_cfg)
        except ValueError:
            return None
        raise AssertionError(f'ProgressiveInpaintor accepted {name}, whose later stages could '
                             'not build on the earlier ones')
    model = ProgressiveInpaintor(**model_cfg).eval()
    if not gen_cls.trainable:
        return model      # no weights to perturb
    size = size or 2 * _size(multiple)
    batch = tiny_batch(size=size)
    with torch.no_grad():
        before = model.inpaint(batch['gt'], batch['mask'])
        # a relative, seeded perturbation: an absolute one can saturate a deep network's
        # output (tanh at exactly 1) so that nothing downstream could change
        g = torch.Generator().manual_seed(0)
        for p in model.stage_generator(0).parameters():
            p.mul_(1 + 0.2 * torch.randn(p.shape, generator=g, dtype=p.dtype))
        after = model.inpaint(batch['gt'], batch['mask'])
    hole = batch['mask'].bool().expand_as(before)
    assert not torch.equal(before[hole], after[hole]), \
        (f'{name}: perturbing stage 1 left the final result of stage 2 unchanged; the later '
         'stage does not use the estimate it is given')
    assert torch.equal(before[~hole], after[~hole]), f'{name}: known pixels changed'
    return model


def check_discriminator(name: str, cfg: dict | None = None, size: int | None = None):
    disc = _build(DISCRIMINATORS, name, cfg)
    assert isinstance(disc, BaseDiscriminator), f'{name} is not a BaseDiscriminator'
    size = size or _size(disc.size_multiple, 64)
    batch = tiny_batch(size=size)
    image = batch['gt'].clone().requires_grad_(True)
    cond = {k: batch[k] for k in disc.conditions}
    logits = disc(image, batch['mask'], **cond)
    assert logits.shape[0] == image.shape[0], f'{name}: logits must start with the batch size'
    assert torch.isfinite(logits).all(), f'{name}: logits not finite'
    logits.mean().backward()
    assert image.grad is not None and torch.isfinite(image.grad).all(), \
        f'{name}: no finite gradient w.r.t. the input image'
    if type(disc).forward_with_features is not BaseDiscriminator.forward_with_features:
        disc.eval()   # spectral norm's power iteration would change the weights between calls
        with torch.no_grad():
            again, features = disc.forward_with_features(batch['gt'], batch['mask'], **cond)
            plain = disc(batch['gt'], batch['mask'], **cond)
        assert torch.allclose(again, plain, atol=1e-5), \
            f'{name}: forward_with_features must return the same logits as forward'
        assert features and all(torch.is_tensor(f) and f.shape[0] == image.shape[0]
                                for f in features), f'{name}: features must be batch tensors'
    return disc


def check_loss(name: str, cfg: dict | None = None):
    loss = _build(LOSSES, name, cfg)
    batch = tiny_batch()
    if isinstance(loss, BaseReconstructionLoss):
        pred = (batch['gt'] + 0.3 * torch.randn_like(batch['gt'])).requires_grad_(True)
        value = loss(pred, batch['gt'], batch['mask'])
        same = loss(batch['gt'], batch['gt'], batch['mask'])
        assert float(same) <= float(value), f'{name}: identical inputs should not cost more'
    elif isinstance(loss, BaseAdversarialLoss):
        # a one-layer discriminator, so the terms can be checked to train it
        disc = torch.nn.Conv2d(3, 1, 4, stride=4)
        judge = lambda image: disc(image)            # noqa: E731  [B, 1, 8, 8]
        fake = (batch['gt'] + 0.3 * torch.randn_like(batch['gt'])).requires_grad_(True)
        terms, log = loss.discriminator_terms(judge, batch['gt'], fake.detach(), batch)
        assert 'loss_d' in terms, f"{name}: discriminator_terms must return 'loss_d'"
        for key, term in terms.items():
            assert term.ndim == 0 and torch.isfinite(term), f'{name}: bad term {key}'
        assert all(torch.is_tensor(v) for v in log.values()), f'{name}: log values'
        d_value = sum(terms.values())
        assert float(terms['loss_d']) != 0, f'{name}: the discriminator loss is zero'
        d_value.backward()
        assert disc.weight.grad is not None and disc.weight.grad.abs().sum() > 0, \
            f'{name}: the discriminator terms do not train the discriminator'
        disc.zero_grad()
        value = loss.generator_terms(judge, fake, batch['gt'], batch)
        pred = fake
    elif isinstance(loss, BaseFeatureMatchingLoss):
        real = [torch.randn(2, 4, 8, 8), torch.randn(2, 8, 4, 4)]
        pred = torch.randn(2, 4, 8, 8, requires_grad=True)
        value = loss([pred, real[1] + 0.5], real)
        same = loss(real, real)
        assert float(same) <= float(value), f'{name}: identical features should not cost more'
    else:
        raise AssertionError(f'{name} is neither a reconstruction, an adversarial nor a '
                             'feature-matching loss')
    assert value.ndim == 0 and torch.isfinite(value), f'{name}: loss must be a finite scalar'
    assert float(value) != 0, f'{name}: the loss is zero on inputs that differ'
    value.backward()
    assert pred.grad is not None and torch.isfinite(pred.grad).all(), f'{name}: bad gradient'
    assert pred.grad.abs().sum() > 0, f'{name}: the gradient is zero on inputs that differ'
    return loss


def check_mask_generator(name: str, cfg: dict | None = None,
                         shape: tuple[int, ...] | None = None, samples: int | None = None):
    """:func:`check_mask_recipe` on the registered mask generator ``name``."""
    return check_mask_recipe(_build(MASK_GENERATORS, name, cfg), name, shape, samples)


def check_mask_recipe(gen, name: str, shape: tuple[int, ...] | None = None,
                      samples: int | None = None):
    """Binary uint8 of the exact shape, reproducible per seed, hole ratio in range. A video
    recipe (``axes`` (T, H, W)) is drawn on clips and must refuse an image shape."""
    assert isinstance(gen, BaseMaskGenerator), f'{name} is not a BaseMaskGenerator'
    video = len(gen.axes) == 3
    shape = shape or ((5, 64, 64) if video else (64, 64))
    samples = samples or (50 if video else 200)
    shape = tuple(max(s, m) for s, m in zip(shape, gen.min_shape))
    a = gen(shape, np.random.default_rng(123))
    b = gen(shape, np.random.default_rng(123))
    assert a.dtype == np.uint8 and a.shape == shape, f'{name}: {a.dtype} {a.shape}'
    assert np.array_equal(a, b), f'{name}: the same seed gave different masks'
    rng = np.random.default_rng(0)
    lo, hi = gen.hole_ratio_range
    ratios = []
    for _ in range(samples):
        m = gen(shape, rng)
        assert m.shape == shape and m.dtype == np.uint8
        assert set(np.unique(m).tolist()) <= {0, 1}, f'{name}: mask values must be 0 or 1'
        ratios.append(float(m.mean()))
    assert lo - 1e-9 <= min(ratios) and max(ratios) <= hi + 1e-9, \
        (f'{name}: hole ratios {min(ratios):.3f}..{max(ratios):.3f} leave the documented '
         f'range {lo}..{hi}')
    assert len(set(np.round(ratios, 6))) > 1 or lo == hi, f'{name}: masks never vary'
    if video:
        try:
            gen(shape[1:], rng)
        except ValueError as exc:
            assert '(T, H, W)' in str(exc), f'{name}: the shape error must name (T, H, W)'
        else:
            raise AssertionError(f'{name}: an image shape (H, W) must raise')
    return gen


def check_stage_scheduler(name: str, cfg: dict | None = None,
                          full_size: tuple[int, int] = (256, 256)):
    """Defined on every step: stages monotone, frozen = earlier stages, sizes valid."""
    sched = _build(STAGE_SCHEDULERS, name, cfg)
    assert isinstance(sched, BaseStageScheduler)
    n = sched.num_stages
    assert n >= 1
    previous = 0
    for it in range(sched.total_iters + 3):
        stage = sched.stage_at(it)
        assert 0 <= stage < n and stage >= previous, f'{name}: stage {stage} at {it}'
        assert sched.frozen_stages(it) == list(range(stage))
        assert sched.stage_start(stage) <= it
        previous = stage
    assert previous == n - 1, f'{name}: the last stage is never reached'
    sizes = [sched.stage_size(s, full_size) for s in range(n)]
    assert all(h > 0 and w > 0 for h, w in sizes)
    assert sizes == sorted(sizes) and sizes[-1][0] <= full_size[0] + 8
    return sched


def check_denoiser(name: str, cfg: dict | None = None, size: int | None = None):
    """Shape kept, finite, depends on the timestep, every parameter gets a gradient."""
    net = _build(DENOISERS, name, cfg)
    assert isinstance(net, BaseDenoiser), f'{name} is not a BaseDenoiser'
    size = size or _size(net.size_multiple, 16)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, net.in_channels, size, size, generator=g)
    t = torch.tensor([0, 999])
    out = net(x, t)
    assert out.shape == x.shape, f'{name}: output {list(out.shape)} for input {list(x.shape)}'
    assert torch.isfinite(out).all(), f'{name}: output is not finite'
    net.eval()
    with torch.no_grad():
        a, b = net(x[:1], torch.tensor([10])), net(x[:1], torch.tensor([500]))
    net.train()
    assert not torch.allclose(a, b), f'{name}: the prediction ignores the timestep'
    net(x, t).square().mean().backward()
    missing = [n for n, p in net.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f'{name}: no gradient reached the parameters {missing[:5]}'
    return net


def check_noise_schedule(name: str, cfg: dict | None = None):
    """betas in (0, 1); alpha_bar decreasing; respacing keeps alpha_bar at its steps."""
    sched = _build(NOISE_SCHEDULES, name, cfg)
    assert isinstance(sched, BaseNoiseSchedule), f'{name} is not a BaseNoiseSchedule'
    betas = sched.betas()
    assert betas.ndim == 1 and len(betas) == sched.num_steps >= 2
    assert ((betas > 0) & (betas < 1)).all(), f'{name}: betas must lie in (0, 1)'
    abar = sched.alphas_cumprod()
    assert (abar[1:] < abar[:-1]).all(), f'{name}: alpha_bar must decrease'
    for steps in (1, 2, max(2, sched.num_steps // 7), sched.num_steps):
        timesteps, rbetas = sched.respace(steps)
        assert len(timesteps) == len(rbetas) == steps
        assert (timesteps[1:] > timesteps[:-1]).all() and int(timesteps[-1]) < sched.num_steps
        torch.testing.assert_close(torch.cumprod(1 - rbetas, 0), abar[timesteps])
    full, fbetas = sched.respace(sched.num_steps)
    assert torch.equal(full, torch.arange(sched.num_steps)) and torch.allclose(fbetas, betas)
    return sched


def check_sampler(name: str, cfg: dict | None = None, size: int = 16):
    """On a stand-in denoiser: known pixels exactly kept, holes changed, finite, the same
    generator seed gives the same result and another seed another."""
    sampler = _build(SAMPLERS, name, cfg)
    assert isinstance(sampler, BaseSampler), f'{name} is not a BaseSampler'
    schedule = NOISE_SCHEDULES.build(dict(type='LinearNoiseSchedule', num_steps=50))
    batch = tiny_batch(batch=2, size=size)
    image, mask = batch['gt'], batch['mask']

    def denoise(x_t, t):                 # predicts the noise of a grey image
        assert x_t.shape == image.shape and t.shape == (image.shape[0],)
        abar = schedule.alphas_cumprod()[t].float().view(-1, 1, 1, 1)
        return x_t / (1 - abar).sqrt().clamp_min(1e-3) * 0.5

    def run(seed):
        return sampler.sample(denoise, image, mask, schedule,
                              torch.Generator().manual_seed(seed))
    out = run(0)
    assert out.shape == image.shape and torch.isfinite(out).all(), f'{name}: bad output'
    known = (mask == 0).expand_as(image)
    assert torch.equal(out[known], image[known]), f'{name}: known pixels changed'
    assert not torch.equal(out[~known], image[~known]), f'{name}: the holes were not filled'
    assert torch.equal(out, run(0)), f'{name}: the same seed gave different results'
    assert not torch.equal(out, run(1)), f'{name}: different seeds gave the same result'
    return sampler


def check_weight_converter(name: str):
    """A named format, a description and a config that exists; an empty or foreign state
    dict is not taken for this format."""
    import os.path as osp

    from toolbox.bases import BaseWeightConverter
    from toolbox.registry import WEIGHT_CONVERTERS
    cls = WEIGHT_CONVERTERS.get(name)
    assert isinstance(cls, type) and issubclass(cls, BaseWeightConverter), \
        f'{name} is not a BaseWeightConverter'
    conv = cls()
    assert conv.format and conv.source and conv.config, \
        f'{name}: format, source and config must be set'
    others = [c.format for n, c in WEIGHT_CONVERTERS.module_dict.items() if n != name]
    assert conv.format not in others, f'{name}: format {conv.format!r} is taken'
    from toolbox.apis.convert import CONFIG_ROOT
    if osp.isdir(CONFIG_ROOT):       # a checkout (an installed wheel ships no configs)
        assert osp.isfile(osp.join(CONFIG_ROOT, conv.config)), \
            f'{name}: config {conv.config} is not in {CONFIG_ROOT}'
    assert not conv.matches({}), f'{name}: an empty state dict matched'
    assert not conv.matches({'generator.foo.weight': torch.zeros(1)}), \
        f'{name}: a foreign state dict matched'
    return conv


def check_kind(key: str, name: str):
    """Run the contract check of kind ``key`` (``toolbox.kinds.KINDS``) on ``name``."""
    return globals()[kind(key).check](name)


def components(kind: str) -> list[str]:
    """Names registered under ``kind`` (a key of ``toolbox.registry.KIND_REGISTRIES``)."""
    return sorted(KIND_REGISTRIES[kind].module_dict)


def models() -> list[str]:
    """Names of the registered inpainting models (:class:`~toolbox.models.BaseInpaintor`)."""
    from toolbox.models import BaseInpaintor
    from toolbox.registry import MODELS
    return sorted(name for name, cls in MODELS.module_dict.items()
                  if isinstance(cls, type) and issubclass(cls, BaseInpaintor))


def tiny_optimizers(model, lr: float = 1e-3):
    """Real Adam optimizers in the layout the model declares (``optim_modules``)."""
    from mmengine.optim import DefaultOptimWrapperConstructor

    from toolbox.models import MultiOptimWrapperConstructor
    adam = dict(optimizer=dict(type='Adam', lr=lr))
    if model.optim_modules:
        return MultiOptimWrapperConstructor({k: adam for k in model.optim_modules})(model)
    return DefaultOptimWrapperConstructor(adam)(model)


def _packed(batch: dict[str, torch.Tensor], keys) -> dict:
    """``batch`` as the data pipeline packs it: uint8 tensors per sample."""
    def u8(t: torch.Tensor, signed: bool) -> list[torch.Tensor]:
        t = from_model_range(t) if signed else t.clamp(0, 1)
        return list((t * 255).round().byte())
    inputs = dict(gt=u8(batch['gt'], True), mask=list(batch['mask'].byte()))
    inputs.update({k: u8(batch[k], False) for k in keys if k in batch})
    return dict(inputs=inputs, data_samples=[{} for _ in range(len(batch['gt']))])


def _check_train_steps(model, name: str, data: dict) -> None:
    """Two training steps with real optimizers in the model's declared layout: finite float
    logs, changed weights, and images ``[b, C, H, W]`` (one frame per clip for a video
    model) left in :attr:`last_train_vis` for the visualisation hook."""
    model.train()
    optim = tiny_optimizers(model)
    before = {k: p.detach().clone() for k, p in model.named_parameters() if p.requires_grad}
    for _ in range(2):
        log = model.train_step(data, optim)
        assert isinstance(log, dict) and log, f'{name}: train_step must return a log dict'
        for key, value in log.items():
            assert isinstance(value, float) and np.isfinite(value), \
                f'{name}: log entry {key} = {value!r} is not a finite float'
    changed = [k for k, p in model.named_parameters() if k in before
               and not torch.equal(before[k], p.detach())]
    assert not before or changed, f'{name}: two training steps changed no weight'
    vis = model.last_train_vis
    assert vis is not None and {'gt', 'mask', 'output'} <= set(vis), \
        f"{name}: last_train_vis must hold 'gt', 'mask' and 'output' after train_step"
    assert all(vis[k].ndim == 4 for k in ('gt', 'mask', 'output')), \
        f'{name}: last_train_vis must hold images [b, C, H, W] for the visualisation hook'
    assert vis['output'].shape[1] == 3 and vis['mask'].shape[1] == 1


def check_model(name: str, cfg: dict | None = None, size: int | None = None):
    """The :class:`~toolbox.models.BaseInpaintor` contract of model ``name``, built from
    its ``tiny_cfg``: two training steps with real optimizers in the declared layout give
    finite logs, change weights and leave :attr:`last_train_vis`; ``val_step`` returns
    per-sample ``pred``/``gt``/``mask`` in [0, 1]; ``inpaint`` keeps the known pixels
    exactly; an unknown option raises; a stochastic model is reproducible per seed."""
    from toolbox.models import BaseInpaintor
    from toolbox.registry import MODELS
    model = _build(MODELS, name, cfg)
    assert isinstance(model, BaseInpaintor), f'{name} is not a BaseInpaintor'
    if getattr(model, 'is_video', False):           # clips [B, T, 3, H, W]: toolbox.video
        from toolbox.video.testing import check_video_model
        return check_video_model(model, name, train_steps=_check_train_steps)
    fixed = model.fixed_size
    if fixed is not None:
        assert fixed[0] == fixed[1], f'{name}: check_model draws square batches'
        size = fixed[0]
    size = size or _size(model.size_multiple)
    guidance = tuple(model.guidance_keys)
    batch = tiny_batch(batch=2, size=size)
    data = _packed(batch, guidance)

    _check_train_steps(model, name, data)

    model.eval()
    results = model.val_step(data)
    assert isinstance(results, list) and len(results) == 2, \
        f'{name}: val_step must return one dict per sample'
    for r in results:
        assert r['pred'].shape == (3, size, size) and r['gt'].shape == (3, size, size), \
            f'{name}: val_step pred/gt must be [3, H, W]'
        assert r['mask'].shape == (1, size, size)
        assert 0 <= float(r['pred'].min()) and float(r['pred'].max()) <= 1, \
            f'{name}: val_step pred must be in [0, 1]'

    gt = batch['gt']
    extra = {k: batch[k] for k in guidance if k in batch}
    options = {'seed': 0} if 'seed' in model.sample_options else {}
    with torch.no_grad():
        out = model.inpaint(gt, batch['mask'], **extra, **options)
    assert out.shape == gt.shape, f'{name}: inpaint returned {list(out.shape)}'
    known = (batch['mask'] == 0).expand_as(gt)
    assert torch.equal(out[known], gt[known]), f'{name}: inpaint changed known pixels'
    assert torch.isfinite(out).all(), f'{name}: inpaint output is not finite'
    try:
        model.inpaint(gt, batch['mask'], no_such_option=1)
    except TypeError as exc:
        assert 'no_such_option' in str(exc), f'{name}: the error must name the option'
    else:
        raise AssertionError(f'{name}: inpaint accepted an unknown option')
    if model.stochastic and 'seed' in model.sample_options:
        with torch.no_grad():
            again = model.inpaint(gt, batch['mask'], **extra, seed=0)
            other = model.inpaint(gt, batch['mask'], **extra, seed=1)
        assert torch.equal(out, again), f'{name}: the same seed gave different results'
        assert not torch.equal(out, other), f'{name}: different seeds gave the same result'
    return model
