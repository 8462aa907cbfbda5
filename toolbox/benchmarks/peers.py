"""Import a peer's model code from a local checkout, for side-by-side timing.

Nothing of the peers lives in this repository: the benchmarks are given the path of a
checkout (``--peer-mmagic /tmp/mmagic``, ``--peer-lama /tmp/lama``) and import the few
files that define the network. The peers' package ``__init__`` files import far more than
the network (MMagic's pulls in diffusers and mmcv's compiled ops, LaMa's pulls in
pytorch-lightning and kornia), so those packages are entered as empty namespaces pointing
at the checkout, and the two third-party names the network files import but the
benchmarked configuration never calls are replaced by stubs that raise if called.
"""
from __future__ import annotations

import importlib
import importlib.util
import os.path as osp
import subprocess
import sys
import types


def commit_of(path: str) -> str:
    """The checkout's git commit, or a note saying it is not a git checkout."""
    marker = osp.join(path, 'PEER_COMMIT')
    if osp.exists(marker):   # an exported tree (git archive) records its commit here
        return open(marker).read().strip()
    try:
        return subprocess.run(['git', '-C', path, 'rev-parse', 'HEAD'], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown (not a git checkout; write the commit into PEER_COMMIT)'


def _namespace(name: str, path: str) -> None:
    """An empty package ``name`` whose submodules are found under ``path``."""
    if name in sys.modules:
        return
    module = types.ModuleType(name)
    module.__path__ = [path]
    sys.modules[name] = module


def _stub(name: str, **attrs) -> None:
    if name in sys.modules:
        return
    module = types.ModuleType(name)
    for key, value in attrs.items():
        setattr(module, key, value)
    sys.modules[name] = module


def _unavailable(what: str):
    def call(*args, **kwargs):
        raise RuntimeError(f'{what} is stubbed out by the benchmark and cannot be called')
    return call


def _check(path: str, inner: str, flag: str) -> str:
    path = osp.abspath(path)
    if not osp.isdir(osp.join(path, inner)):
        print(f'{flag} {path}: no {inner}/ folder there (expected a checkout of the peer '
              f'repository)', file=sys.stderr)
        raise SystemExit(2)
    return path


# -- MMagic -----------------------------------------------------------------------------------

def mmagic_deepfillv2(path: str):
    """MMagic's ``DeepFillEncoderDecoder`` built as its DeepFill v2 config does
    (``configs/_base_/models/base_deepfillv2.py``: gated convolutions, channel factor 0.75,
    reflection padding), in eval mode. Input: (N, 5, H, W) = [masked image, ones, mask]."""
    path = _check(path, 'mmagic/models/editors/deepfillv2', '--peer-mmagic')
    root = osp.join(path, 'mmagic')
    _namespace('mmagic', root)
    for pkg in ('models', 'models/editors', 'models/editors/deepfillv1',
                'models/editors/deepfillv2', 'models/editors/global_local', 'models/archs'):
        _namespace('mmagic.' + pkg.replace('/', '.'), osp.join(root, pkg))
    registry = importlib.import_module('mmagic.registry')
    archs = sys.modules['mmagic.models.archs']
    gated = importlib.import_module('mmagic.models.archs.gated_conv_module')
    archs.SimpleGatedConvModule = gated.SimpleGatedConvModule
    for name in ('deepfillv1.contextual_attention', 'deepfillv1.contextual_attention_neck',
                 'deepfillv1.deepfill_encoder', 'deepfillv1.deepfill_decoder',
                 'deepfillv1.deepfill_refiner', 'global_local.gl_dilation',
                 'global_local.gl_encoder_decoder', 'deepfillv2.two_stage_encoder_decoder'):
        importlib.import_module('mmagic.models.editors.' + name)
    return registry.MODELS.build(mmagic_deepfillv2_cfg()).eval()


def mmagic_deepfillv2_cfg() -> dict:
    def enc(**kw):
        return dict(type='DeepFillEncoder', conv_type='gated_conv', channel_factor=0.75,
                    padding_mode='reflect', **kw)

    def neck():
        return dict(type='GLDilationNeck', in_channels=96, conv_type='gated_conv',
                    act_cfg=dict(type='ELU'), padding_mode='reflect')

    def dec(in_channels, **kw):
        return dict(type='DeepFillDecoder', conv_type='gated_conv', in_channels=in_channels,
                    out_act_cfg=dict(type='Tanh'), padding_mode='reflect', **kw)
    return dict(
        type='DeepFillEncoderDecoder',
        stage1=dict(type='GLEncoderDecoder', encoder=enc(), decoder=dec(96, channel_factor=0.75),
                    dilation_neck=neck()),
        stage2=dict(type='DeepFillRefiner',
                    encoder_attention=enc(encoder_type='stage2_attention'),
                    encoder_conv=enc(encoder_type='stage2_conv'), dilation_neck=neck(),
                    contextual_attention=dict(type='ContextualAttentionNeck', in_channels=96,
                                              conv_type='gated_conv', padding_mode='reflect'),
                    decoder=dec(192)))


def _expose(name: str) -> None:
    """Import ``mmagic.<name>`` and give its public names to its (empty) parent package, as
    the parent's real ``__init__`` would, for ``from mmagic.x import Y`` in other files."""
    module = importlib.import_module('mmagic.' + name)
    parent = sys.modules['mmagic.' + name.rsplit('.', 1)[0]]
    for key, value in vars(module).items():
        if not key.startswith('_') and not hasattr(parent, key):
            setattr(parent, key, value)


def mmagic_deepfillv2_inpaintor(path: str):
    """MMagic's ``TwoStageInpaintor`` as its DeepFill v2 config builds it (DeepFill v2
    generator, 6-layer spectral-norm ``MultiLayerDiscriminator`` on image + mask, L1 hole +
    valid on both stages, hinge GAN 0.1 on stage 2, one D step per G step), in train mode,
    with its Adam optimizers (lr 1e-4) in an ``OptimWrapperDict``; and the ``DataSample``
    class its ``train_step`` reads."""
    import torch
    from mmengine.config import ConfigDict
    from mmengine.optim import OptimWrapper, OptimWrapperDict
    mmagic_deepfillv2(path)
    root = osp.join(osp.abspath(path), 'mmagic')
    for pkg in ('models/base_models', 'models/losses', 'models/data_preprocessors',
                'models/utils', 'utils', 'structures'):
        _namespace('mmagic.' + pkg.replace('/', '.'), osp.join(root, pkg))
    for name in ('utils.typing', 'utils.img_utils', 'structures.data_sample',
                 'models.utils.model_utils', 'models.losses.loss_wrapper',
                 'models.losses.gan_loss', 'models.losses.pixelwise_loss',
                 'models.data_preprocessors.data_preprocessor', 'models.archs.linear_module',
                 'models.archs.multi_layer_disc', 'models.base_models.one_stage',
                 'models.base_models.two_stage'):
        _expose(name)
    models = sys.modules['mmagic.registry'].MODELS
    leaky = dict(type='LeakyReLU', negative_slope=0.2)
    model = models.build(dict(
        type='TwoStageInpaintor', disc_input_with_mask=True,
        # built here: BaseModel would look the type up in mmengine's registry, not MMagic's
        data_preprocessor=models.build(dict(type='DataPreprocessor', mean=[127.5],
                                            std=[127.5])),
        encdec=mmagic_deepfillv2_cfg(),
        disc=dict(type='MultiLayerDiscriminator', in_channels=4, max_channels=256,
                  fc_in_channels=None, num_convs=6, norm_cfg=None, act_cfg=leaky,
                  out_act_cfg=leaky, with_spectral_norm=True),
        stage1_loss_type=('loss_l1_hole', 'loss_l1_valid'),
        stage2_loss_type=('loss_l1_hole', 'loss_l1_valid', 'loss_gan'),
        loss_gan=dict(type='GANLoss', gan_type='hinge', loss_weight=0.1),
        loss_l1_hole=dict(type='L1Loss', loss_weight=1.0),
        loss_l1_valid=dict(type='L1Loss', loss_weight=1.0),
        train_cfg=ConfigDict(disc_step=1, start_iter=0))).train()
    optim = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.Adam(model.generator.parameters(), lr=1e-4)),
        disc=OptimWrapper(torch.optim.Adam(model.disc.parameters(), lr=1e-4)))
    return model, optim, sys.modules['mmagic.structures'].DataSample


def mmagic_input(image, mask):
    """MMagic's generator input: [masked image, ones, mask] on the channel axis."""
    import torch
    return torch.cat([image * (1 - mask), torch.ones_like(mask), mask], dim=1)


# -- LaMa -------------------------------------------------------------------------------------

def lama_big(path: str):
    """LaMa's ``FFCResNetGenerator`` as ``configs/training/big-lama.yaml`` builds it (18
    blocks, ratio 0.75, no LFU, sigmoid output), in eval mode. Input: (N, 4, H, W) =
    [masked image in [0, 1], mask]."""
    path = _check(path, 'saicinpainting/training/modules', '--peer-lama')
    _namespace('saicinpainting', osp.join(path, 'saicinpainting'))
    _namespace('saicinpainting.training', osp.join(path, 'saicinpainting/training'))
    _namespace('saicinpainting.training.modules',
               osp.join(path, 'saicinpainting/training/modules'))
    # saicinpainting.utils imports seed_everything; ffc.py's spatial transform imports
    # kornia's rotate. big-lama uses neither.
    if importlib.util.find_spec('pytorch_lightning') is None:
        _stub('pytorch_lightning',
              seed_everything=_unavailable('pytorch_lightning.seed_everything'))
    try:
        importlib.import_module('kornia.geometry.transform')
    except ImportError:
        _stub('kornia')
        _stub('kornia.geometry')
        _stub('kornia.geometry.transform', rotate=_unavailable('kornia rotate'))
    ffc = importlib.import_module('saicinpainting.training.modules.ffc')
    no_lfu = dict(ratio_gin=0, ratio_gout=0, enable_lfu=False)
    return ffc.FFCResNetGenerator(
        input_nc=4, output_nc=3, ngf=64, n_downsampling=3, n_blocks=18, add_out_act='sigmoid',
        init_conv_kwargs=no_lfu, downsample_conv_kwargs=no_lfu,
        resnet_conv_kwargs=dict(ratio_gin=0.75, ratio_gout=0.75, enable_lfu=False)).eval()


# -- CSA --------------------------------------------------------------------------------------

class _NoCuda:
    """Stands for ``torch.cuda.is_available`` while the official CSA layer runs: its code
    tests the function itself (``if torch.cuda.is_available:``, always true) and then
    moves tensors to CUDA; this object is false, and false when called."""

    def __bool__(self) -> bool:
        return False

    def __call__(self) -> bool:
        return False


def csa_layer(path: str):
    """The official Coherent Semantic Attention layer (``models/CSA_model.py``, its Python
    loop in ``CSAFunction``) with 1x1 patches, as the official generator builds it. Returns
    ``run(x [1, C, H, W], hole [H, W] bool) -> output``, run on the CPU, without gradients.
    Its ``util`` package is entered as the top-level name ``util``, as it imports itself."""
    import contextlib

    import torch
    path = _check(path, 'models', '--peer-csa')
    if not osp.isfile(osp.join(path, 'models', 'CSAFunction.py')):
        print(f'--peer-csa {path}: no models/CSAFunction.py there (expected a checkout of '
              'KumapowerLIU/CSA-inpainting)', file=sys.stderr)
        raise SystemExit(2)
    _namespace('util', osp.join(path, 'util'))
    _namespace('csa_official_models', osp.join(path, 'models'))
    layer = importlib.import_module('csa_official_models.CSA_model').CSA_model(5 / 16, 1)

    @contextlib.contextmanager
    def cpu_only():
        real = torch.cuda.is_available
        torch.cuda.is_available = _NoCuda()
        try:
            yield
        finally:
            torch.cuda.is_available = real

    def run(x, hole):
        layer.mask = hole.to(torch.uint8)
        layer.cal_fixed_flag = True          # the hole may differ from the last call's
        with cpu_only(), torch.no_grad():
            return layer(x)
    return run
