"""LaMa's own training module, stepped side by side with ``configs/lama/fourier_places_256_lama.py``.

LaMa's ``DefaultInpaintingTrainingModule`` (``saicinpainting/training/trainers/default.py``)
is built from a checkout as ``configs/training/lama-fourier.yaml`` configures it (L1 known 10
/ missing 0, ``NonSaturatingWithR1`` weight 10 with R1 0.001, mask as fake target, the
mask scaled to the logits; feature matching 100; ResNet-PL 30 on its ADE20k
``resnet50dilated`` encoder; perceptual 0; Adam G 1e-3, D 1e-4; the trainer config's
gradient clipping at norm 1), without its evaluators and visualizers (they need Inception
and LPIPS weights, and change no weight).

It is written for pytorch-lightning 1.x, which is not installed here: :class:`LightningStep`
steps it as Lightning 1.x's automatic optimisation with two optimisers does, per batch
optimiser 0 (the generator) then 1 (the discriminator), each ``toggle_optimizer``,
``training_step(batch, batch_idx, optimizer_idx)`` (which runs the generator forward
again), ``training_step_end``, ``zero_grad``, backward, gradient clipping, step,
``untoggle_optimizer``. A minimal ``pytorch_lightning.LightningModule`` stands in for
Lightning's while the checkout's modules are imported (as ``toolbox.benchmarks.peers``
stubs kornia); that this order is the real trainer's was checked once against Lightning
1.9.5's ``Trainer`` (docs/training-parity.md).

The ADE20k encoder weights (``encoder_epoch_20.pth``) are not available offline: one set of
random weights is written in that file's layout to a temporary folder, and both LaMa's
``ResNetPL`` and the toolbox's ``HRFPerceptualLoss(backbone='ade20k:resnet50dilated')``
load it from there, each through its own loader.
"""
from __future__ import annotations

import contextlib
import copy
import importlib
import importlib.machinery
import importlib.util
import os
import os.path as osp
import sys
import tempfile
import types

import torch
from torch import Tensor, nn

from .drivers import ToolboxTrainer

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: ``configs/training/lama-fourier.yaml`` with its defaults (generator ffc_resnet_075,
#: discriminator pix2pixhd_nlayer, optimizers default_optimizers), as Hydra composes it
def lama_fourier_config(weights_path: str) -> dict:
    no_lfu = dict(ratio_gin=0, ratio_gout=0, enable_lfu=False)
    return dict(
        training_model=dict(kind='default', visualize_each_iters=1000, concat_mask=True,
                            store_discr_outputs_for_vis=True),
        losses=dict(
            l1=dict(weight_missing=0, weight_known=10),
            perceptual=dict(weight=0),
            adversarial=dict(kind='r1', weight=10, gp_coef=0.001, mask_as_fake_target=True,
                             allow_scale_mask=True),
            feature_matching=dict(weight=100),
            resnet_pl=dict(weight=30, weights_path=weights_path)),
        generator=dict(kind='ffc_resnet', input_nc=4, output_nc=3, ngf=64, n_downsampling=3,
                       n_blocks=9, add_out_act='sigmoid', init_conv_kwargs=no_lfu,
                       downsample_conv_kwargs=no_lfu,
                       resnet_conv_kwargs=dict(ratio_gin=0.75, ratio_gout=0.75,
                                               enable_lfu=False)),
        discriminator=dict(kind='pix2pixhd_nlayer', input_nc=3, ndf=64, n_layers=4),
        optimizers=dict(generator=dict(kind='adam', lr=0.001),
                        discriminator=dict(kind='adam', lr=0.0001)),
        visualizer=dict(kind='noop'),
        evaluator=dict(kind='default'),
        data=dict(),
    )


#: ``configs/training/trainer/any_gpu_large_ssim_ddp_final.yaml``: ``gradient_clip_val: 1``
#: (Lightning's default algorithm: the 2-norm of all the optimiser's gradients)
GRADIENT_CLIP_VAL = 1.0
#: where ``models.ade20k.ModelBuilder.get_encoder`` looks for the encoder under its
#: ``weights_path`` (LaMa's ``resnet_pl.weights_path``, ``$TORCH_HOME`` in its configs)
ADE20K_ENCODER = 'ade20k/ade20k-resnet50dilated-ppm_deepsup/encoder_epoch_20.pth'


class AttrDict(dict):
    """The part of OmegaConf's ``DictConfig`` LaMa's module reads: items as attributes."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError as exc:
            raise AttributeError(key) from exc

    @classmethod
    def of(cls, value):
        if isinstance(value, dict):
            return cls({k: cls.of(v) for k, v in value.items()})
        return value


def _stub_module(name: str, **attrs) -> types.ModuleType:
    module = types.ModuleType(name)
    # a spec without origin: importlib.util.find_spec (torch._dynamo asks it about pandas
    # while torchvision is imported) then answers instead of raising
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    return module


class _LightningModule(nn.Module):
    """What LaMa's module uses of ``pytorch_lightning.LightningModule`` (1.x): its
    ``trainer``, ``global_step``, ``current_epoch``, ``log_dict`` and
    ``save_hyperparameters``."""

    def __init__(self) -> None:     # Lightning's passes what it gets on to nn.Module
        super().__init__()
        self.global_step = 0
        self.current_epoch = 0
        self.logged: dict[str, float] = {}

    def save_hyperparameters(self, *args, **kwargs) -> None:
        pass

    def log_dict(self, values, **kwargs) -> None:
        self.logged.update({k: float(v.detach()) if torch.is_tensor(v) else float(v)
                            for k, v in values.items()})


class _Trainer:
    """The attributes of Lightning's trainer LaMa's module reads: one process."""
    num_nodes = num_processes = 1
    global_rank = 0


def import_lama(checkout: str, lightning: str = 'stub'):
    """LaMa's ``DefaultInpaintingTrainingModule`` class from ``checkout``.

    ``lightning='stub'`` enters :class:`_LightningModule` as ``pytorch_lightning`` (the
    toolbox's environment has no Lightning); ``'real'`` imports the installed one. Modules
    the training step never calls are stubbed when their third-party imports are missing:
    the evaluators and dataloaders (LaMa's ``evaluation`` and ``training.data``
    packages), kornia (the fake-fakes generator and the spatial transform, both unused by
    lama-fourier), pandas (read at import by ``models.ade20k`` for class names) and
    OmegaConf (its configs are given as :class:`AttrDict`)."""
    path = osp.abspath(checkout)
    if (path, lightning) in _IMPORTED:
        return _IMPORTED[path, lightning]
    if not osp.isfile(osp.join(path, 'saicinpainting/training/trainers/default.py')):
        raise FileNotFoundError(f'--peer-lama {checkout}: no saicinpainting/training/trainers/'
                                'default.py there (expected a checkout of advimman/lama)')
    # third-party names stubbed only while LaMa's files are imported (they keep what they
    # bound): afterwards other code in this process sees the real packages or none
    third_party = ('pytorch_lightning', 'kornia', 'kornia.constants', 'kornia.augmentation',
                   'kornia.geometry', 'kornia.geometry.transform', 'pandas', 'omegaconf')
    saved = {name: sys.modules.get(name) for name in third_party}
    try:
        return _import_default(path, lightning)
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def _import_default(path: str, lightning: str):
    if lightning == 'stub':
        _stub_module('pytorch_lightning', LightningModule=_LightningModule,
                     seed_everything=lambda *a, **k: None)
    for name, folder in (('saicinpainting', 'saicinpainting'),
                         ('saicinpainting.training', 'saicinpainting/training'),
                         ('saicinpainting.training.trainers', 'saicinpainting/training/trainers'),
                         ('saicinpainting.training.losses', 'saicinpainting/training/losses'),
                         ('models', 'models')):
        module = types.ModuleType(name)
        module.__path__ = [osp.join(path, folder)]
        sys.modules[name] = module
    _stub_module('saicinpainting.evaluation', make_evaluator=lambda **kwargs: None)
    _stub_module('saicinpainting.training.data', __path__=[])
    _stub_module('saicinpainting.training.data.datasets',
                 make_constant_area_crop_params=None, make_default_train_dataloader=None,
                 make_default_val_dataloader=None)
    if _missing('kornia'):
        _stub_module('kornia', __path__=[])
        _stub_module('kornia.constants', SamplePadding=None)
        _stub_module('kornia.augmentation', RandomAffine=None, CenterCrop=None)
        _stub_module('kornia.geometry', __path__=[])
        _stub_module('kornia.geometry.transform', rotate=None)
    if _missing('pandas'):
        _stub_module('pandas', read_csv=lambda *a, **k: None, DataFrame=None,
                     set_option=lambda *a, **k: None)
    if _missing('omegaconf'):
        _stub_module('omegaconf', OmegaConf=types.SimpleNamespace(
            to_container=lambda cfg: copy.deepcopy(dict(cfg))))
    default = importlib.import_module('saicinpainting.training.trainers.default')
    _IMPORTED[path, lightning] = default.DefaultInpaintingTrainingModule
    return default.DefaultInpaintingTrainingModule


_IMPORTED: dict = {}


def _missing(name: str) -> bool:
    return name not in sys.modules and importlib.util.find_spec(name) is None


def ade20k_state(seed: int) -> dict[str, Tensor]:
    """Random weights (seeded) of LaMa's ADE20k ``resnet50dilated`` encoder under the
    names of its file: the toolbox's ``HRFPerceptualLoss(backbone='ade20k:resnet50dilated',
    pretrained=False)`` built through the registry (the engine imports no plugin)."""
    from toolbox.plugins import load_plugins
    from toolbox.registry import LOSSES
    load_plugins()
    torch.manual_seed(seed)
    loss = LOSSES.build(dict(type='HRFPerceptualLoss', backbone='ade20k:resnet50dilated',
                             pretrained=False))
    return loss.ade20k_state_dict()


class LightningStep:
    """LaMa's module stepped as Lightning 1.x's automatic optimisation steps a module with
    two optimisers (``configure_optimizers`` order: generator, discriminator)."""

    def __init__(self, module, converter, ours, clip: float = GRADIENT_CLIP_VAL,
                 terms=None) -> None:
        self.module, self.converter, self.ours, self.clip = module, converter, ours, clip
        self.terms = terms or lama_terms
        module.trainer = _Trainer()
        self.optims = [o['optimizer'] for o in module.configure_optimizers()]
        module.train()                    # Lightning's fit loop: the whole module, losses too
        self.batch_idx = 0

    def _toggle(self, index: int) -> dict:
        # LightningModule.toggle_optimizer: every parameter of the other optimisers off
        state = {}
        for optim in self.optims:
            for group in optim.param_groups:
                for p in group['params']:
                    if p not in state:
                        state[p] = p.requires_grad
                        p.requires_grad = False
        for group in self.optims[index].param_groups:
            for p in group['params']:
                p.requires_grad = state[p]
        return state

    def _untoggle(self, index: int, state: dict) -> None:
        for i, optim in enumerate(self.optims):
            if i != index:
                for group in optim.param_groups:
                    for p in group['params']:
                        if p in state:
                            p.requires_grad = state[p]

    def step(self, batch: dict) -> dict[str, float]:
        # LaMa's dataset gives float images in [0, 1] and float masks (1 = hole)
        dtype = torch.get_default_dtype()          # float32 unless --dtype float64
        lama_batch = {'image': batch['gt'].to(dtype) / 255, 'mask': batch['mask'].to(dtype)}
        with constants_follow_default():
            return self._step(lama_batch)

    def _step(self, lama_batch: dict) -> dict[str, float]:
        logged: dict[str, float] = {}
        for index, optim in enumerate(self.optims):
            state = self._toggle(index)
            result = self.module.training_step(lama_batch, self.batch_idx, index)
            loss = self.module.training_step_end(result)
            optim.zero_grad()
            loss.backward()
            params = [p for g in optim.param_groups for p in g['params']]
            torch.nn.utils.clip_grad_norm_(params, self.clip)
            optim.step()
            # Lightning >= 1.6 counts every optimiser's step (two per batch here)
            self.module.global_step += 1
            self._untoggle(index, state)
            logged.update({k: float(v) for k, v in result['log_info'].items()})
            logged[f'loss_{index}'] = float(loss.detach())
        self.batch_idx += 1
        return self.terms(logged)

    def parameters(self) -> dict[str, Tensor]:
        return {k: v for k, v in self.converter.convert(self.module.state_dict(),
                                                        self.ours).items()
                if v.is_floating_point()}


@contextlib.contextmanager
def constants_follow_default():
    """Inside, LaMa's ResNet-PL normalises with ImageNet's mean and std in torch's default
    dtype. Its ``losses/perceptual.py`` holds them as float32 tensors (``FloatTensor``)
    cast to the image's dtype, so in float64 they keep float32's rounding (1e-8 relative:
    ResNet-PL 1.8e-9 apart from the toolbox's on the first step of ``--dtype float64``).
    Nothing changes while the default is float32; the checkout's file is not touched."""
    perceptual = sys.modules.get('saicinpainting.training.losses.perceptual')
    dtype = torch.get_default_dtype()
    if perceptual is None or dtype == torch.float32:
        yield
        return
    saved = perceptual.IMAGENET_MEAN, perceptual.IMAGENET_STD
    # LaMa's numbers, as its file writes them
    perceptual.IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406], dtype=dtype).view(1, 3, 1, 1)
    perceptual.IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225], dtype=dtype).view(1, 3, 1, 1)
    try:
        yield
    finally:
        perceptual.IMAGENET_MEAN, perceptual.IMAGENET_STD = saved


def lama_terms(log) -> dict[str, float]:
    return {'l1': log['train_gen_l1'], 'g_adv': log['train_gen_adv'],
            'fm': log['train_gen_fm'], 'resnet_pl': log['train_gen_resnet_pl'],
            'loss_g': log['loss_0'], 'loss_d': log['train_discr_adv'],
            'r1': log['train_adv_discr_real_gp'], 'd_real': log['train_adv_discr_real_out'],
            'd_fake': log['train_adv_discr_fake_out']}


def ours_terms(log) -> dict[str, float]:
    return {'l1': log['loss_L1Loss_output'], 'g_adv': log['loss_g_adv'],
            'fm': log['loss_DiscriminatorFeatureMatchingLoss'],
            'resnet_pl': log['loss_HRFPerceptualLoss_output'], 'loss_g': log['loss_g'],
            'loss_d': log['loss_d'], 'r1': log['loss_d_penalty'],
            'd_real': log['d_real'], 'd_fake': log['d_fake']}


class _TrainedOnly(ToolboxTrainer):
    """The toolbox's trainer, its generator and discriminator only (the frozen loss
    network is no trained tensor and LaMa's converter does not map it)."""

    def parameters(self) -> dict[str, Tensor]:
        return {k: v for k, v in super().parameters().items()
                if k.startswith(('generator.', 'discriminator.'))}


def build_lama(checkout: str, seed: int, weights_dir: str, lightning: str = 'stub'):
    """LaMa's module with its own initial weights (seeded), its ResNet-PL loading the
    encoder file under ``weights_dir``."""
    module_cls = import_lama(checkout, lightning)
    torch.manual_seed(seed)
    config = AttrDict.of(lama_fourier_config(weights_dir))
    if lightning == 'real':
        from omegaconf import OmegaConf
        config = OmegaConf.create(lama_fourier_config(weights_dir))
    # as saicinpainting.training.trainers.make_training_model: 'kind' picks the class
    kwargs = {k: v for k, v in dict(config.training_model).items() if k != 'kind'}
    return module_cls(config, use_ddp=False, **kwargs)


def write_encoder(weights_dir: str, seed: int) -> str:
    path = osp.join(weights_dir, ADE20K_ENCODER)
    os.makedirs(osp.dirname(path), exist_ok=True)
    torch.save(ade20k_state(seed), path)
    return path


def lama_pair(checkout: str, seed: int = 0, config: str = 'lama/fourier_places_256_lama.py'):
    """``(ours, theirs)``: ``configs/lama/fourier_places_256_lama.py`` and LaMa's module,
    both from LaMa's initial weights (seeded) through the registered converter, both
    ResNet-PL networks from one random encoder file."""
    from .mmagic import _build_ours, _load_converted, _no_gaps, _optim
    # both sides load the encoder file while they are built, so it lives only that long
    # (181 MB a pair: CI ran out of disk when every run left one behind)
    with tempfile.TemporaryDirectory(prefix='lama-parity-') as weights_dir:
        encoder = write_encoder(weights_dir, seed + 1)
        module = build_lama(checkout, seed, weights_dir)

        def losses(cfg_losses):
            return [dict(loss, weights=encoder) if loss['type'] == 'HRFPerceptualLoss'
                    else loss for loss in cfg_losses]
        ours, cfg = _build_ours(config, losses)
    converter, missing = _load_converted(ours, module, 'lama-fourier')
    _no_gaps([k for k in missing if '.net.' not in k], 'LaMa-Fourier')
    return (_TrainedOnly(ours, _optim(ours, cfg), ours_terms),
            LightningStep(module, converter, ours))
