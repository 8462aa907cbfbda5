"""The EdgeConnect inpaintor: an edge model (G1, D1) completes the edge map of the holes,
an image model (G2, D2) fills them conditioned on it, trained in phases.

Paper: K. Nazeri et al., "EdgeConnect: Generative Image Inpainting with Adversarial Edge
Learning", arXiv:1901.00212 (ICCVW 2019). The phases follow the authors' released code
(knazeri/edge-connect, ``MODEL`` in ``config.yml``, ``src/edge_connect.py``):

====== ============ ===================================================================
phase  authors'     what trains
====== ============ ===================================================================
1      1 'edge'     G1, D1: G1 sees the grey image with white holes, the known Canny edges
                    and the mask; D1 judges (grey image, edge map); adversarial + feature
                    matching losses
2      2 'inpaint'  G2, D2 on the ground-truth Canny edges of the whole image
3      3 'edge_     G2, D2 on G1's edges in the holes (Canny edges elsewhere); G1 frozen
       inpaint'     (here also in eval mode, so its spectral norms stay as loaded)
4      4 'joint'    all: G2's losses also reach G1 through the edge map. With
                    ``joint_edge_gan=False``, D1 is dropped and G1 learns from G2's losses
                    only, the paper's end-to-end fine-tuning ("removing D1")
====== ============ ===================================================================

Each phase's config starts from the previous phase's checkpoint (``load_from``); every
phase holds all four networks, so the checkpoints are interchangeable.

Inference (:meth:`inpaint`): Canny edges of the known region of the grey image (the
detector sees only known pixels) -> G1 -> its edges in the holes, the known ones elsewhere
-> G2 -> composited with the known pixels.

What differs from the authors' code:

* each iteration updates a discriminator before its generator, whose adversarial and
  feature-matching terms then use the updated discriminator (the authors compute all
  terms with the old one and step afterwards); the discriminator's loss is halved as
  theirs, ``(real + fake) / 2`` (a penalty term of another adversarial loss, R1 or a
  gradient penalty, keeps its own weight);
* each model's losses are an engine :class:`~toolbox.models.AdversarialObjective`, so any
  registered adversarial loss works with its own terms (the authors: ``nsgan`` only);
* at inference the composited edge map goes to G2 (as in their training, sampling and the
  paper; their ``test()`` passes G1's raw output);
* in phase 4 both generators step on one backward pass of the sum of their losses (theirs:
  two passes, the same gradients).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from mmengine.logging import print_log
from mmengine.optim import AmpOptimWrapper, OptimWrapper, OptimWrapperDict
from torch import Tensor, nn

from toolbox.bases import check_image_and_mask
from toolbox.builder import build_component
from toolbox.models import AdversarialObjective, BaseInpaintor, NonFiniteGuard, composite
from toolbox.registry import DISCRIMINATORS, GENERATORS, MODELS

from .edges import known_edges
from .networks import rgb_to_grey

__all__ = ['EdgeConnectInpaintor', 'PHASES']

#: phase names, as the authors' ``MODEL`` values
PHASES = {'edge': 1, 'inpaint': 2, 'edge_inpaint': 3, 'joint': 4}
_EDGE = ('edge_generator', 'edge_discriminator')
_IMAGE = ('inpaint_generator', 'inpaint_discriminator')


def _bare(module: nn.Module) -> nn.Module:
    return getattr(module, 'module', module)


def _tagged(key: str, tag: str) -> str:
    """The log name of a discriminator's term or value for the pair ``tag`` names
    (``loss_d`` -> ``loss_d_edge``, ``d_real`` -> ``d_edge_real``)."""
    if not tag:
        return key
    return f'd{tag}_{key[2:]}' if key.startswith('d_') else f'{key}{tag}'


@MODELS.register_module()
class EdgeConnectInpaintor(BaseInpaintor):
    """EdgeConnect: edge model, image model, training phases (see the module docstring).

    Training batches carry ``'edge'``: the Canny edge map of the whole ground truth
    ``[B, 1, H, W]`` in {0, 1} (``CannyEdges`` in the training pipeline, packed with
    ``PackInpaintingInputs(guidance_keys=('edge',))``); without it the model computes the
    same map itself, in the training process (with a warning). Validation and inference
    compute the known edges themselves and never read it.

    Args:
        edge_generator: G1 (``EdgeConnectEdgeGenerator``).
        inpaint_generator: G2 (``EdgeConnectInpaintGenerator``).
        edge_discriminator: D1, judging ``(grey image, edge map)`` (2 input channels).
        inpaint_discriminator: D2, judging the colour image.
        edge_losses: G1's: one adversarial loss (any registered one) and feature-matching
            losses (authors:
            ``NonSaturatingGANLoss`` and ``DMFNFeatureMatchingLoss`` x 10 with unit layer
            weights).
        inpaint_losses: G2's: reconstruction losses on its raw output, one adversarial loss
            (on the raw output, as the authors), optional feature-matching losses.
        phase: 1-4 or ``'edge'``, ``'inpaint'``, ``'edge_inpaint'``, ``'joint'``.
        joint_edge_gan: phase 4 only: keep D1 and G1's own losses (the authors' code) or
            drop them (the paper's fine-tuning).
        sigma: Canny's Gaussian for the known edges at inference (authors: 2; match the
            training pipeline's ``CannyEdges``).
        hole_fill: value the holes of the image hold for both generators (1: white, as
            the authors).
        edge_threshold: edge probability counted as an edge in the logged precision and
            recall (authors: 0.5).
        nonfinite: ``'raise'`` (:class:`~toolbox.models.NonFiniteLossError` naming the
            iteration and term) or ``'skip'`` (that update, with a warning).
        max_consecutive_skips: with ``nonfinite='skip'``, training stops once this many
            iterations in a row had an update skipped (the engine's policy,
            :class:`toolbox.models.nonfinite.NonFiniteGuard`).
        data_preprocessor: config of the data preprocessor.
        init_cfg: mmengine weight-initialisation config.
    """

    #: one optimizer per network; a phase steps those it trains (the others are frozen)
    optim_modules = ('edge_generator', 'edge_discriminator', 'inpaint_generator',
                     'inpaint_discriminator')

    tiny_cfg = dict(
        edge_generator=dict(type='EdgeConnectEdgeGenerator', base_channels=8, num_blocks=1),
        inpaint_generator=dict(type='EdgeConnectInpaintGenerator', base_channels=8,
                               num_blocks=1),
        edge_discriminator=dict(type='EdgeConnectDiscriminator', in_channels=2,
                                base_channels=8),
        inpaint_discriminator=dict(type='EdgeConnectDiscriminator', base_channels=8),
        edge_losses=[dict(type='NonSaturatingGANLoss'),
                     dict(type='DMFNFeatureMatchingLoss', loss_weight=10.0,
                          layer_weights=(1, 1, 1, 1, 1))],
        inpaint_losses=[dict(type='HoleNormalizedL1Loss'),
                        dict(type='NonSaturatingGANLoss', loss_weight=0.1),
                        dict(type='VGGFeatureMatchingLoss', loss_weight=0.1, pretrained=False,
                             composite=False, layers=('relu1_1', 'relu2_1'),
                             layer_weights=(1, 1)),
                        dict(type='StyleLoss', loss_weight=250.0, pretrained=False,
                             layers=('relu2_2',))],
        phase=4)

    def __init__(self,
                 edge_generator: dict,
                 inpaint_generator: dict,
                 edge_discriminator: dict,
                 inpaint_discriminator: dict,
                 edge_losses: Sequence[dict],
                 inpaint_losses: Sequence[dict],
                 phase: int | str = 1,
                 joint_edge_gan: bool = True,
                 sigma: float = 2.0,
                 hole_fill: float = 1.0,
                 edge_threshold: float = 0.5,
                 nonfinite: str = 'raise',
                 max_consecutive_skips: int = 10,
                 data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None) -> None:
        preprocessor = build_component(
            MODELS, data_preprocessor or dict(type='InpaintingDataPreprocessor'),
            'data_preprocessor')
        super().__init__(data_preprocessor=preprocessor, init_cfg=init_cfg)
        phase = PHASES.get(phase, phase) if isinstance(phase, str) else phase
        if phase not in (1, 2, 3, 4):
            raise ValueError(f'EdgeConnectInpaintor: phase must be 1-4 or one of '
                             f'{list(PHASES)}, got {phase!r}')
        self.phase = int(phase)
        self.joint_edge_gan = bool(joint_edge_gan)
        self.sigma = float(sigma)
        self.hole_fill = float(hole_fill)
        self.edge_threshold = float(edge_threshold)
        self.nonfinite = NonFiniteGuard(type(self).__name__, nonfinite, max_consecutive_skips)
        self.edge_generator = build_component(GENERATORS, edge_generator, 'edge_generator')
        self.inpaint_generator = build_component(GENERATORS, inpaint_generator,
                                                 'inpaint_generator')
        self.edge_discriminator = build_component(DISCRIMINATORS, edge_discriminator,
                                                  'edge_discriminator')
        self.inpaint_discriminator = build_component(DISCRIMINATORS, inpaint_discriminator,
                                                     'inpaint_discriminator')
        # the engine's objective per model; D's main term halved, as the authors
        owner = type(self).__name__
        self.edge_losses = AdversarialObjective(edge_losses, owner=owner, where='edge_losses',
                                                reconstruction=False, disc_loss_scale=0.5)
        self.inpaint_losses = AdversarialObjective(inpaint_losses, owner=owner,
                                                   where='inpaint_losses', disc_loss_scale=0.5)
        self.trained = self.trained_modules(self.phase, self.joint_edge_gan)
        for name in _EDGE + _IMAGE:
            if name not in self.trained:
                getattr(self, name).requires_grad_(False)
        self.register_buffer('train_steps', torch.zeros((), dtype=torch.long))
        self._warned_edges = False

    @staticmethod
    def trained_modules(phase: int, joint_edge_gan: bool = True) -> tuple[str, ...]:
        """Names of the sub-modules (and optimizer keys) that ``phase`` trains."""
        if phase == 1:
            return _EDGE
        if phase in (2, 3):
            return _IMAGE
        return (_EDGE if joint_edge_gan else _EDGE[:1]) + _IMAGE

    def train(self, mode: bool = True) -> 'EdgeConnectInpaintor':
        """As ``nn.Module.train``, but the networks this phase does not train stay in eval
        mode (their spectral norms then do not iterate: the frozen model stays as loaded)."""
        super().train(mode)
        for name in _EDGE + _IMAGE:
            if name not in self.trained:
                getattr(self, name).eval()
        return self

    # -- size rules ------------------------------------------------------------------------
    @property
    def size_multiple(self) -> int:
        return max(_bare(self.edge_generator).size_multiple,
                   _bare(self.inpaint_generator).size_multiple)

    # -- inference -------------------------------------------------------------------------
    def _holes_filled(self, image: Tensor, mask: Tensor) -> Tensor:
        return image * (1 - mask) + self.hole_fill * mask

    def _edges(self, image: Tensor, mask: Tensor, edge: Tensor) -> Tensor:
        """G1's edge probabilities ``[B, 1, H, W]`` from the known part of ``edge``."""
        return self.edge_generator(self._holes_filled(image, mask), mask,
                                   edge=edge * (1 - mask))['edge']

    def predict_edges(self, image: Tensor, mask: Tensor) -> Tensor:
        """The completed edge map ``[B, 1, H, W]`` in [0, 1]: Canny edges of the known
        region of ``image`` ``[B, 3, H, W]`` in [-1, 1], G1's prediction in the holes."""
        check_image_and_mask(image, mask, where='EdgeConnectInpaintor',
                             multiple=self.size_multiple)
        known = known_edges(image, mask, self.sigma)                 # [B, 1, H, W]
        return composite(self._edges(image, mask, known), known, mask)

    def inpaint(self, image: Tensor, mask: Tensor, **options) -> Tensor:
        """Composited result ``[B, 3, H, W]`` in [-1, 1] (see the module docstring)."""
        self.split_options(options)
        edges = self.predict_edges(image, mask)
        out = self.inpaint_generator(self._holes_filled(image, mask), mask, edge=edges)
        return composite(out['output'], image, mask)

    # -- training --------------------------------------------------------------------------
    def _optims(self, optim_wrapper) -> dict[str, OptimWrapper]:
        if not isinstance(optim_wrapper, OptimWrapperDict):
            raise TypeError('EdgeConnectInpaintor needs one optimizer per trained network: '
                            "optim_wrapper=dict(constructor='MultiOptimWrapperConstructor', "
                            + ', '.join(f'{n}=...' for n in self.trained) + ')')
        missing = [n for n in self.trained if n not in optim_wrapper]
        if missing:
            raise KeyError(f'EdgeConnectInpaintor: phase {self.phase} trains '
                           f'{list(self.trained)}, but optim_wrapper has no entry for '
                           f'{missing} (it has {list(optim_wrapper.keys())})')
        return {n: optim_wrapper[n] for n in self.trained}

    def _edge_metrics(self, pred: Tensor, target: Tensor, mask: Tensor) -> dict[str, Tensor]:
        """Precision and recall of the predicted edges in the holes (the authors' log)."""
        p = (pred.detach() > self.edge_threshold).float() * mask
        t = (target > 0.5).float() * mask
        hit = (p * t).sum()
        return dict(edge_precision=hit / p.sum().clamp_min(1),
                    edge_recall=hit / t.sum().clamp_min(1))

    def _training_batch(self, data) -> tuple[Tensor, Tensor, Tensor]:
        """``gt``, ``mask`` and the Canny edges of ``gt`` of a training batch."""
        batch = self.data_preprocessor(data, True)
        gt, mask = batch['gt'], batch['mask']
        check_image_and_mask(gt, mask, where='EdgeConnectInpaintor',
                             multiple=self.size_multiple)
        edge = batch.get('edge')
        if edge is None:
            if not self._warned_edges:
                print_log("EdgeConnectInpaintor: the training batches have no 'edge'; "
                          'computing the Canny edges here, in the training process (put '
                          "dict(type='CannyEdges') in the train pipeline and pack it with "
                          "PackInpaintingInputs(guidance_keys=('edge',)) to compute them in "
                          'the data workers)', logger='current', level=30)
                self._warned_edges = True
            edge = known_edges(gt, torch.zeros_like(mask), self.sigma)
        return gt, mask, edge

    def _generate(self, gt: Tensor, mask: Tensor, edge: Tensor,
                  optims: dict[str, OptimWrapper]) -> tuple[Tensor | None, dict | None]:
        """G1's edge probabilities and G2's outputs, as far as this phase runs them."""
        edge_pred = outputs = None
        if 'edge_generator' in self.trained:
            with optims['edge_generator'].optim_context(self.edge_generator):
                edge_pred = self._edges(gt, mask, edge)
        elif self.phase == 3:
            with torch.no_grad():
                edge_pred = self._edges(gt, mask, edge)
        if self.phase >= 2:
            # phase 2: the whole ground-truth map, as the authors; then G1's in the holes
            edge_in = edge if self.phase == 2 else composite(edge_pred, edge, mask)
            with optims['inpaint_generator'].optim_context(self.inpaint_generator):
                outputs = self.inpaint_generator(self._holes_filled(gt, mask), mask,
                                                 edge=edge_in)
        return edge_pred, outputs

    def _discriminator_step(self, name: str, objective: AdversarialObjective, real: Tensor,
                            fake: Tensor, mask: Tensor, optim: OptimWrapper, tag: str,
                            step: int) -> dict[str, Tensor]:
        disc = getattr(self, name)
        with optim.optim_context(disc):
            terms, log = objective.discriminator_terms(disc, real, fake, dict(gt=real, mask=mask))
            terms = {_tagged(k, tag): v for k, v in terms.items()}
            loss_d = sum(terms.values())
        self.nonfinite.update(loss_d, terms, [optim], step, model=self)
        return {**{k: v.detach() for k, v in terms.items()},
                **{_tagged(k, tag): v.detach() for k, v in log.items()}}

    def train_step(self, data, optim_wrapper) -> dict[str, float]:
        optims = self._optims(optim_wrapper)
        if self.phase == 4 and any(isinstance(o, AmpOptimWrapper) for o in optims.values()):
            raise TypeError('EdgeConnectInpaintor phase 4 steps both generators on one '
                            'backward pass, which loss-scaling (AmpOptimWrapper) cannot share')
        gt, mask, edge = self._training_batch(data)
        step = int(self.train_steps)              # the one read of the counter this step
        self.train_steps += 1
        edge_pred, outputs = self._generate(gt, mask, edge, optims)

        # (discriminator, its objective, real, fake, log tag) of each adversarial pair
        pairs = []
        if 'edge_discriminator' in self.trained:
            grey = rgb_to_grey(gt)                                   # [B, 1, H, W]
            pairs.append(('edge_discriminator', self.edge_losses, torch.cat([grey, edge], 1),
                          torch.cat([grey, edge_pred], 1), '_edge'))
        if outputs is not None:
            pairs.append(('inpaint_discriminator', self.inpaint_losses, gt, outputs['output'],
                          ''))
        log = self._edge_metrics(edge_pred, edge, mask) \
            if 'edge_generator' in self.trained else {}
        for name, objective, real, fake, tag in pairs:
            log.update(self._discriminator_step(name, objective, real, fake, mask,
                                                optims[name], tag, step))

        # one backward for every generator trained (phase 4: G2's losses reach G1)
        g_names = [n for n in ('edge_generator', 'inpaint_generator') if n in self.trained]
        g_optims = [optims[n] for n in g_names]
        with g_optims[0].optim_context(getattr(self, g_names[0])):
            terms = {}
            if outputs is not None:
                terms.update(self.inpaint_losses.reconstruction_terms(
                    outputs, gt, mask, type(_bare(self.inpaint_generator)).__name__))
            for name, objective, real, fake, tag in pairs:
                prefix = tag[1:] + '_' if tag else ''
                g_terms = objective.generator_terms(getattr(self, name), fake, real,
                                                    dict(gt=real, mask=mask))
                terms.update({f'loss_{prefix}{k[len("loss_"):]}': v for k, v in g_terms.items()})
            loss_g, g_log = self.parse_losses(terms)
        self.nonfinite.update(loss_g, terms, g_optims, step, model=self)
        log.update({k: v for k, v in g_log.items() if k != 'loss'})
        log['loss_g'] = loss_g.detach()

        if outputs is not None:
            shown = composite(outputs['output'], gt, mask)
        else:                                    # the edge map, as a grey picture
            shown = (composite(edge_pred, edge, mask) * 2 - 1).expand(-1, 3, -1, -1)
        self.last_train_vis = dict(gt=gt[:4].detach().cpu(), mask=mask[:4].detach().cpu(),
                                   output=shown[:4].detach().cpu())
        return {k: float(v.detach()) for k, v in log.items()}
