"""The Pluralistic model (Zheng et al., CVPR 2019): two parallel paths trained together,
and inference that draws several completions for one input.

* reconstructive path: the hole's content ``I_c`` gives the posterior ``q(z | I_c)``; its
  sample, decoded with the visible region's features, must rebuild the image (L1 at every
  output scale, matched discriminator scores), and ``q`` is pulled to ``N(0, sigma(n)^2)``;
* generative path: the visible region ``I_m`` alone gives the prior ``p(z | I_m)``, pulled
  to the (fixed) posterior; its sample is held to the visible pixels (L1) and must fool its
  own discriminator.

Both paths share the encoder and the decoder; at inference only the generative path runs.
"""
from __future__ import annotations

import contextlib

import torch
from mmengine.optim import OptimWrapperDict
from torch import Tensor

from toolbox.bases import check_image_and_mask
from toolbox.builder import build_component
from toolbox.models import BaseInpaintor
from toolbox.models.adversarial import frozen
from toolbox.models.nonfinite import NonFiniteGuard
from toolbox.registry import DISCRIMINATORS, GENERATORS, LOSSES, MODELS

from .losses import kl_terms, multiscale_l1
from .networks import PluralisticPosterior

__all__ = ['PluralisticInpaintor']


def _composite(output: Tensor, image: Tensor, mask: Tensor) -> Tensor:
    return output * mask + image * (1 - mask)


@MODELS.register_module()
class PluralisticInpaintor(BaseInpaintor):
    """Pluralistic image completion.

    ``inpaint(image, mask)`` returns one completion ``[B, 3, H, W]`` (the engine's
    contract); ``inpaint(image, mask, num_samples=K)`` returns ``K`` completions stacked as
    ``[K, B, 3, H, W]`` (the encoder runs once, ``K`` draws of ``z`` from the prior are
    decoded). ``seed=S`` makes the draws reproducible (a ``torch.Generator`` seeded with
    ``S`` on the image's device); without it they come from PyTorch's global generator.

    Args:
        generator: a ``PluralisticGenerator`` config (the encoder, prior and decoder).
        discriminator: the generative path's discriminator (``PluralisticDiscriminator``).
        discriminator_rec: the reconstructive path's; ``None``: another of the same config.
        adv_loss: the adversarial objective, with ``generator_loss``,
            ``discriminator_loss`` and ``paired_loss`` (``PluralisticLSGANLoss``).
        lambda_rec, lambda_kl, lambda_g: weights of the L1, KL and adversarial terms (the
            official 20, 20, 1); the KL terms are also multiplied by the number of output
            scales, as the official code does.
        kl_rec_direction: ``'paper'`` (``KL(q || N_m)``, Eq. 7) or ``'code'`` (the official
            ``KL(N_m || q)``); see ``losses.kl_terms``.
        train_paths: ``'two'`` (the paper) or ``'one'`` (the official baseline: only the
            generative path, its prior pulled to ``N_m``, L1 on the whole image).
        nonfinite: ``'raise'`` or ``'skip'`` on a non-finite loss or gradient.
    """

    optim_modules = ('generator', 'posterior', 'discriminator', 'discriminator_rec')
    sample_options = ('num_samples', 'seed')
    stochastic = True
    tiny_cfg = dict(
        generator=dict(type='PluralisticGenerator', base_channels=4, max_channels=8, layers=4,
                       z_channels=4, infer_blocks=1, output_scales=2),
        discriminator=dict(type='PluralisticDiscriminator', base_channels=4, max_channels=8,
                           num_layers=3, attention=False))

    def __init__(self, generator: dict, discriminator: dict,
                 discriminator_rec: dict | None = None,
                 adv_loss: dict | None = None, lambda_rec: float = 20.0,
                 lambda_kl: float = 20.0, lambda_g: float = 1.0,
                 kl_rec_direction: str = 'paper', train_paths: str = 'two',
                 nonfinite: str = 'raise', max_consecutive_skips: int = 10,
                 data_preprocessor: dict | None = None, init_cfg: dict | None = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        name = type(self).__name__
        if kl_rec_direction not in ('paper', 'code'):
            raise ValueError(f"{name}: kl_rec_direction must be 'paper' or 'code', got "
                             f'{kl_rec_direction!r}')
        if train_paths not in ('one', 'two'):
            raise ValueError(f"{name}: train_paths must be 'one' or 'two', got {train_paths!r}")
        self.generator = build_component(GENERATORS, generator, 'generator')
        top = self.generator.encoder.prior.shortcut.in_channels
        self.posterior = PluralisticPosterior(top, self.generator.z_channels)
        self.discriminator = build_component(DISCRIMINATORS, discriminator, 'discriminator')
        self.discriminator_rec = build_component(
            DISCRIMINATORS, discriminator if discriminator_rec is None else discriminator_rec,
            'discriminator_rec')
        self.adv_loss = build_component(LOSSES, adv_loss or dict(type='PluralisticLSGANLoss'),
                                        'adv_loss')
        self.lambda_rec, self.lambda_kl, self.lambda_g = map(float, (lambda_rec, lambda_kl,
                                                                     lambda_g))
        self.kl_rec_direction, self.train_paths = kl_rec_direction, train_paths
        self.nonfinite = NonFiniteGuard(name, nonfinite, max_consecutive_skips)
        self.register_buffer('train_steps', torch.zeros((), dtype=torch.long))

    # -- size rules ------------------------------------------------------------------------
    @property
    def size_multiple(self) -> int:
        return self.generator.size_multiple

    @property
    def max_inference_side(self) -> int | None:
        return self.generator.max_inference_side

    # -- the two paths ---------------------------------------------------------------------
    def two_paths(self, gt: Tensor, mask: Tensor) -> dict:
        """Both paths on one batch (one encoder pass over ``[I_m; I_c]``): the images of
        each (coarse to fine) and the posterior and prior ``(mu, sigma)``."""
        gen = self.generator
        feats = gen.encoder.features(torch.cat([gt * (1 - mask), gt * mask]))
        visible = [f.chunk(2)[0] for f in feats]
        prior = gen.encoder.prior_of(visible[-1])
        post = self.posterior(feats[-1].chunk(2)[1])
        z = torch.cat([m + s * torch.randn_like(s) for m, s in (post, prior)])
        images, _ = gen.decode(z, [torch.cat([f, f]) for f in visible], torch.cat([mask, mask]))
        rec, fake = zip(*(image.chunk(2) for image in images))
        return dict(rec=list(rec), fake=list(fake), post=post, prior=prior)

    def losses(self, gt: Tensor, mask: Tensor, paths: dict) -> dict[str, Tensor]:
        """The generator's weighted terms (the discriminators' weights fixed)."""
        scales = len(paths['fake'])
        kl_rec, kl_g = kl_terms(paths['post'], paths['prior'], mask, self.kl_rec_direction)
        if self.train_paths == 'one':
            kl_g = kl_terms(paths['prior'], paths['prior'], mask, self.kl_rec_direction)[0]
        with frozen(self.discriminator), frozen(self.discriminator_rec):
            terms = {
                'loss_kl_g': kl_g * self.lambda_kl * scales,
                'loss_app_g': self.lambda_rec * multiscale_l1(
                    paths['fake'], gt, None if self.train_paths == 'one' else 1 - mask),
                'loss_ad_g': self.lambda_g * self.adv_loss.generator_loss(
                    self.discriminator(paths['fake'][-1])),
            }
            if self.train_paths == 'two':
                terms.update({
                    'loss_kl_rec': kl_rec * self.lambda_kl * scales,
                    'loss_app_rec': self.lambda_rec * multiscale_l1(paths['rec'], gt),
                    'loss_ad_rec': self.lambda_g * self.adv_loss.paired_loss(
                        self.discriminator_rec(paths['rec'][-1]), self.discriminator_rec(gt)),
                })
        return terms

    def train_step(self, data, optim_wrapper) -> dict[str, float]:
        if not isinstance(optim_wrapper, OptimWrapperDict):
            raise TypeError(f'{type(self).__name__} needs one optimizer per sub-module: '
                            "optim_wrapper=dict(constructor='MultiOptimWrapperConstructor', "
                            'generator=..., posterior=..., discriminator=..., '
                            'discriminator_rec=...)')
        batch = self.data_preprocessor(data, True)
        gt, mask = batch['gt'], batch['mask']
        check_image_and_mask(gt, mask, where=type(self).__name__, multiple=self.size_multiple)
        step = int(self.train_steps)
        self.train_steps += 1
        g_optims = [optim_wrapper['generator'], optim_wrapper['posterior']]
        d_optims = [optim_wrapper['discriminator'], optim_wrapper['discriminator_rec']]
        with contextlib.ExitStack() as stack:
            for o, m in zip(g_optims, (self.generator, self.posterior)):
                stack.enter_context(o.optim_context(m))
            paths = self.two_paths(gt, mask)

        # the two discriminators, one update (as the official single optimizer over both)
        fake, rec = paths['fake'][-1].detach(), paths['rec'][-1].detach()
        d_terms = {'loss_d': self.adv_loss.discriminator_loss(self.discriminator(gt),
                                                              self.discriminator(fake))}
        if self.train_paths == 'two':
            d_terms['loss_d_rec'] = self.adv_loss.discriminator_loss(
                self.discriminator_rec(gt), self.discriminator_rec(rec))
        self.nonfinite.update(sum(d_terms.values()), d_terms, d_optims, step, model=self)

        terms = self.losses(gt, mask, paths)
        loss_g, log = self.parse_losses(terms)
        self.nonfinite.update(loss_g, terms, g_optims, step, model=self)
        self.last_train_vis = dict(
            gt=gt[:4].detach().cpu(), mask=mask[:4].detach().cpu(),
            output=_composite(paths['fake'][-1], gt, mask)[:4].detach().cpu())
        log = {k: v for k, v in log.items() if k != 'loss'}
        return {**{k: float(v.detach()) for k, v in {**log, **d_terms}.items()},
                'loss_g': float(loss_g.detach())}

    # -- inference -------------------------------------------------------------------------
    def inpaint(self, image: Tensor, mask: Tensor, **options) -> Tensor:
        """``[B, 3, H, W]``; with ``num_samples=K``, ``K`` completions ``[K, B, 3, H, W]``
        (``seed``: reproducible draws). Known pixels are exactly ``image``'s."""
        _, sampler = self.split_options(options)
        name = type(self).__name__
        count = sampler.get('num_samples')
        if count is not None and (int(count) != count or count < 1):
            raise ValueError(f'{name}.inpaint: num_samples must be a whole number >= 1, '
                             f'got {count!r}')
        check_image_and_mask(image, mask, where=name, multiple=self.size_multiple)
        seed = sampler.get('seed')
        rng = None
        if seed is not None:
            rng = torch.Generator(device=image.device).manual_seed(int(seed))
        gen = self.generator
        feats = gen.encoder.features(image * (1 - mask))
        mu, sigma = gen.encoder.prior_of(feats[-1])
        results = []
        for _ in range(1 if count is None else int(count)):
            noise = torch.randn(mu.shape, generator=rng, device=mu.device, dtype=mu.dtype)
            images, _ = gen.decode(mu + sigma * noise, feats, mask)
            results.append(_composite(images[-1], image, mask))
        return results[0] if count is None else torch.stack(results)
