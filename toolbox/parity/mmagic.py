"""MMagic's own inpaintors, trained side by side with the toolbox's ``_mmagic`` configs.

MMagic's ``TwoStageInpaintor`` (DeepFill v2) and ``AOTInpaintor`` (AOT-GAN) are built as
its configs ``deepfillv2_8xb2_places-256x256.py`` and ``aot-gan_smpgan_4xb4_places-512x512.py``
build them, from a checkout (:mod:`toolbox.benchmarks.peers` imports its files), and
stepped through their own ``train_step`` with their own data preprocessor and Adam
optimisers. The toolbox's model is built from the matching ``_mmagic`` config and given
MMagic's initial weights through the registered converter (colour order kept: both sides
see the same RGB tensors), so both start equal.
"""
from __future__ import annotations

import contextlib
import os.path as osp
import sys
from collections.abc import Callable, Mapping

import torch
from torch import Tensor

from .drivers import ToolboxTrainer, float_follows_default

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


class MMagicTrainer:
    """An MMagic inpaintor's ``train_step``. Batches arrive as the toolbox's (uint8 gt and
    mask) and are given to MMagic as its pipeline would: the masked image with holes at
    127.5 (``GetMaskedImage``), ``gt_img`` and ``mask`` in a ``DataSample``."""

    def __init__(self, model, optim, sample_cls, converter, ours,
                 terms: Callable[[Mapping[str, float]], dict[str, float]]) -> None:
        self.model, self.optim, self.sample = model.train(), optim, sample_cls
        self.converter, self.ours, self.terms = converter, ours, terms

    def _data(self, gt: Tensor, mask: Tensor) -> dict:
        """MMagic's pipeline output for uint8 ``gt`` and ``mask`` (1 = hole), in torch's
        default dtype (float32 unless ``--dtype float64``)."""
        dtype = torch.get_default_dtype()
        gt, mask = gt.to(dtype), mask.to(dtype)
        masked = gt * (1.0 - mask) + 127.5 * mask
        return dict(inputs=list(masked),
                    data_samples=[self.sample(gt_img=g, mask=m) for g, m in zip(gt, mask)])

    def step(self, batch: dict) -> dict[str, float]:
        with float_follows_default():
            log = self.model.train_step(self._data(batch['gt'], batch['mask']), self.optim)
        return self.terms({k: float(v) for k, v in log.items()})

    def infer(self, gt: Tensor, mask: Tensor) -> Tensor:
        """The composite in [0, 1] as MMagic validates: its ``val_step`` (data
        preprocessor, ``forward_test``: the generator's output pasted into the holes of
        the masked image) in eval mode; ``pred_img`` in [0, 255] scaled to [0, 1]."""
        from toolbox.models.inpaintor import evaluating
        with evaluating(self.model):
            samples = self.model.val_step(self._data(gt, mask))
        return torch.stack([s.output.pred_img for s in samples]) / 255.0

    def parameters(self) -> dict[str, Tensor]:
        """MMagic's state under the toolbox's names (through the converter)."""
        return {k: v for k, v in self.converter.convert(self.model.state_dict(),
                                                        self.ours).items()
                if v.is_floating_point()}


def _build_ours(config: str, losses: Callable[[list], list] | None = None):
    """The toolbox model of ``configs/<config>``; ``losses`` rewrites its loss list."""
    from mmengine.config import Config

    from toolbox.plugins import load_plugins
    from toolbox.registry import MODELS
    load_plugins()
    cfg = Config.fromfile(osp.join(ROOT, 'configs', config))
    if losses is not None:
        cfg.model.losses = losses(cfg.model.losses)
    model = MODELS.build(cfg.model)
    return model, cfg


def _optim(model, cfg):
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('toolbox'):
        return build_optim_wrapper(model, cfg.optim_wrapper)


def _load_converted(ours, theirs, fmt: str):
    from toolbox.registry import WEIGHT_CONVERTERS
    cls = WEIGHT_CONVERTERS.get(_converter_name(fmt))
    # both sides see the same RGB tensors: no colour reordering (DeepFill v2's converter
    # reorders for MMagic's BGR by default; AOT-GAN's has nothing to reorder)
    converter = cls(channel_order='rgb') if fmt == 'mmagic-deepfillv2' else cls()
    state = converter.convert(theirs.state_dict(), ours)
    missing = set(ours.state_dict()) - set(state)
    ours.load_state_dict(state, strict=False)
    return converter, sorted(missing)


def _converter_name(fmt: str) -> str:
    from toolbox.registry import WEIGHT_CONVERTERS
    for name, cls in WEIGHT_CONVERTERS.module_dict.items():
        if cls.format == fmt:
            return name
    raise KeyError(f'no weight converter of format {fmt!r}')


# -- DeepFill v2 --------------------------------------------------------------------------

def _deepfill_ours_terms(log: Mapping[str, float]) -> dict[str, float]:
    return {'l1_hole_coarse': log['loss_L1Loss_coarse'],
            'l1_valid_coarse': log['loss_L1Loss2_coarse'],
            'l1_hole_output': log['loss_L1Loss_output'],
            'l1_valid_output': log['loss_L1Loss2_output'],
            'g_adv': log['loss_g_adv'], 'loss_g': log['loss_g'], 'loss_d': log['loss_d']}


def _deepfill_mmagic_terms(log: Mapping[str, float]) -> dict[str, float]:
    # MMagic backpropagates D's real and fake terms one after the other; their sum is D's
    # loss. 'loss' is the sum of the generator's terms (the last parse_losses).
    return {'l1_hole_coarse': log['stage1_loss_l1_hole'],
            'l1_valid_coarse': log['stage1_loss_l1_valid'],
            'l1_hole_output': log['stage2_loss_l1_hole'],
            'l1_valid_output': log['stage2_loss_l1_valid'],
            'g_adv': log['stage2_loss_g_fake'], 'loss_g': log['loss'],
            'loss_d': log['real_loss'] + log['fake_loss']}


def deepfillv2_pair(checkout: str, seed: int = 0):
    """``(ours, theirs)``: the toolbox's ``configs/deepfillv2/places_256_mmagic.py`` and
    MMagic's ``TwoStageInpaintor``, with MMagic's initial weights (seeded) on both."""
    trainers = deepfillv2_trainers(checkout, seed, ('ours', 'mmagic'))
    return trainers['ours'], trainers['mmagic']


#: what :func:`deepfillv2_trainers` can build
DEEPFILL_RECIPES = ('mmagic', 'ours', 'paper')


def deepfillv2_trainers(checkout: str, seed: int = 0,
                        recipes=DEEPFILL_RECIPES) -> dict:
    """``{recipe: trainer}``, all from MMagic's initial weights (seeded):

    * ``'mmagic'``: MMagic's ``TwoStageInpaintor`` with its config's losses and Adam;
    * ``'ours'``: the toolbox's ``configs/deepfillv2/places_256_mmagic.py`` (MMagic's
      network and training choices);
    * ``'paper'``: the same network trained with the losses and optimiser of
      ``configs/deepfillv2/places_256.py`` (the authors' recipe: one L1 mean over the
      image on both outputs, hinge GAN 0.1, Adam (0.5, 0.999)). The paper config's own
      network differs in shape (no gated output, no mask channel in the refinement
      input), so MMagic's weights cannot start it: the recipe, not the network, is what
      this trainer varies.
    """
    from mmengine.config import Config

    from toolbox.benchmarks import peers
    unknown = set(recipes) - set(DEEPFILL_RECIPES)
    if unknown:
        raise ValueError(f'unknown DeepFill v2 recipe(s) {sorted(unknown)}; choose from '
                         f'{DEEPFILL_RECIPES}')
    torch.manual_seed(seed)
    model, optim, sample = peers.mmagic_deepfillv2_inpaintor(checkout)
    built = {}
    for recipe in recipes:
        if recipe == 'mmagic':
            continue
        if recipe == 'ours':
            ours, cfg = _build_ours('deepfillv2/places_256_mmagic.py')
            terms = _deepfill_ours_terms
        else:
            cfg = Config.fromfile(osp.join(ROOT, 'configs', 'deepfillv2/places_256.py'))
            ours, _ = _build_ours('deepfillv2/places_256_mmagic.py',
                                  lambda _losses: cfg.model.losses)
            terms = _all_terms
        converter, missing = _load_converted(ours, model, 'mmagic-deepfillv2')
        _no_gaps(missing, 'DeepFill v2')
        built[recipe] = ToolboxTrainer(ours, _optim(ours, cfg), terms)
    if 'mmagic' in recipes:
        if not built:
            ours, _ = _build_ours('deepfillv2/places_256_mmagic.py')
            converter = _load_converted(ours, model, 'mmagic-deepfillv2')[0]
        else:
            ours = next(iter(built.values())).model
        built['mmagic'] = MMagicTrainer(model, optim, sample, converter, ours,
                                        _deepfill_mmagic_terms)
    return {recipe: built[recipe] for recipe in recipes}


def _all_terms(log: Mapping[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in log.items()}


def _no_gaps(missing: list[str], what: str) -> None:
    trained = [k for k in missing if not k.endswith('train_steps')]
    if trained:
        raise RuntimeError(f'{what}: the converter left {len(trained)} tensors of ours '
                           f'unset, e.g. {trained[:3]}')


# -- AOT-GAN ------------------------------------------------------------------------------

def mmagic_aotgan_inpaintor(checkout: str):
    """MMagic's ``AOTInpaintor`` as ``aot-gan_smpgan_4xb4_places-512x512.py`` builds it
    (SM-PatchGAN 0.01, L1 1, perceptual 0.1 and style 250 on the raw output with VGG19,
    Adam lr 1e-4 betas (0.0, 0.9)), with its optimisers and ``DataSample``. Its VGG19
    copies have random weights (:func:`_vgg19_without_download`)."""
    from mmengine.optim import OptimWrapper, OptimWrapperDict

    from toolbox.benchmarks import peers
    peers.mmagic_deepfillv2_inpaintor(checkout)      # sets up MMagic's packages
    root = osp.join(osp.abspath(checkout), 'mmagic')
    peers._namespace('mmagic.models.editors.aotgan',
                     osp.join(root, 'models/editors/aotgan'))
    for name in ('models.archs.conv', 'models.editors.global_local.gl_encoder_decoder',
                 'models.editors.global_local.gl_encoder',
                 'models.editors.global_local.gl_decoder',
                 'models.archs.smpatch_disc', 'models.losses.perceptual_loss',
                 'models.editors.aotgan.aot_encoder', 'models.editors.aotgan.aot_decoder',
                 'models.editors.aotgan.aot_neck', 'models.editors.aotgan.aot_encoder_decoder',
                 'models.editors.aotgan.aot_inpaintor'):
        peers._expose(name)
    from mmengine.registry import DefaultScope
    models = sys.modules['mmagic.registry'].MODELS
    # mmcv's build_conv_layer finds MMagic's 'Deconv' (built by AOTEncoderDecoder's parent
    # class and then replaced) only under MMagic's scope
    with DefaultScope.overwrite_default_scope('mmagic'), _vgg19_without_download():
        model = _build_aot(models)
    adam = dict(lr=1e-4, betas=(0.0, 0.9))
    optim = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.Adam(model.generator.parameters(), **adam)),
        disc=OptimWrapper(torch.optim.Adam(model.disc.parameters(), **adam)))
    return model, optim, sys.modules['mmagic.structures'].DataSample


@contextlib.contextmanager
def _vgg19_without_download():
    """MMagic's ``PerceptualVGG`` asks torchvision for VGG19 with ``pretrained=True`` (a
    download); while it is built, torchvision's ``vgg19`` builds random weights instead
    (the driver replaces them with weights shared by both sides)."""
    from torchvision.models import vgg
    original = vgg.vgg19

    def random_vgg19(*args, pretrained=None, weights=None, **kwargs):
        return original(weights=None, **kwargs)
    vgg.vgg19 = random_vgg19
    try:
        yield
    finally:
        vgg.vgg19 = original


def _build_aot(models):
    from mmengine.config import ConfigDict
    return models.build(dict(
        type='AOTInpaintor',
        data_preprocessor=models.build(dict(type='DataPreprocessor', mean=[127.5],
                                            std=[127.5])),
        encdec=dict(type='AOTEncoderDecoder', encoder=dict(type='AOTEncoder'),
                    decoder=dict(type='AOTDecoder'),
                    dilation_neck=dict(type='AOTBlockNeck', dilation_rates=(1, 2, 4, 8),
                                       num_aotblock=8)),
        disc=dict(type='SoftMaskPatchDiscriminator', in_channels=3, base_channels=64,
                  num_conv=3, with_spectral_norm=True),
        loss_gan=dict(type='GANLoss', gan_type='smgan', loss_weight=0.01),
        loss_composed_percep=dict(
            type='PerceptualLoss', vgg_type='vgg19',
            layer_weights={'1': 1., '6': 1., '11': 1., '20': 1., '29': 1.},
            layer_weights_style={'8': 1., '17': 1., '26': 1., '31': 1.},
            perceptual_weight=0.1, style_weight=250),
        loss_out_percep=True,
        loss_l1_valid=dict(type='L1Loss', loss_weight=1.),
        train_cfg=ConfigDict(disc_step=1, start_iter=0))).train()


def _aot_ours_terms(log: Mapping[str, float]) -> dict[str, float]:
    return {'l1': log['loss_L1Loss_output'], 'style': log['loss_StyleLoss_output'],
            'perceptual': log['loss_VGGFeatureMatchingLoss_output'],
            'g_adv': log['loss_g_adv'], 'loss_g': log['loss_g'], 'loss_d': log['loss_d']}


def _aot_mmagic_terms(log: Mapping[str, float]) -> dict[str, float]:
    return {'l1': log['loss_l1_valid'], 'style': log['loss_out_style'],
            'perceptual': log['loss_out_percep'], 'g_adv': log['loss_g_fake'],
            'loss_g': log['loss'], 'loss_d': log['disc_losses']}


#: the perceptual and style losses MMagic trains with, which the ``_mmagic`` config leaves
#: out (they need VGG19's weights file); random VGG19 weights here, shared with MMagic's
AOT_VGG_LOSSES = [
    dict(type='L1Loss', loss_weight=1.0),
    dict(type='StyleLoss', loss_weight=250.0, region='all', pretrained=False),
    dict(type='VGGFeatureMatchingLoss', loss_weight=0.1, composite=False, pretrained=False,
         layer_weights=(1.0, 1.0, 1.0, 1.0, 1.0)),
]


def aotgan_pair(checkout: str, seed: int = 0):
    """``(ours, theirs)``: ``configs/aotgan/places_512_mmagic.py`` with MMagic's perceptual
    and style losses added, and MMagic's ``AOTInpaintor``; MMagic's initial weights on
    both, and one random VGG19 for all their VGG losses."""
    import torchvision
    torch.manual_seed(seed)
    model, optim, sample = mmagic_aotgan_inpaintor(checkout)
    ours, cfg = _build_ours('aotgan/places_512_mmagic.py', lambda losses: AOT_VGG_LOSSES + [
        loss for loss in losses if loss['type'] == 'SoftMaskGANLoss'])
    converter, missing = _load_converted(ours, model, 'mmagic-aotgan')
    _no_gaps(missing, 'AOT-GAN')
    torch.manual_seed(seed + 1)
    vgg = torchvision.models.vgg19(weights=None).features.state_dict()
    for net in (model.loss_percep.vgg, model.loss_percep.vgg_style):
        net.vgg_layers.load_state_dict({k: v for k, v in vgg.items()
                                        if int(k.split('.')[0]) < len(net.vgg_layers)})
    for loss in ours.objective.rec:
        net = loss.__dict__.get('vgg')       # shared by both losses, kept out of the model
        if net is not None:
            net.load_state_dict({k: vgg[k] for k in net.state_dict()})
    return (ToolboxTrainer(ours, _optim(ours, cfg), _aot_ours_terms),
            MMagicTrainer(model, optim, sample, converter, ours, _aot_mmagic_terms))
