"""EdgeConnect plugin: networks against the authors' parameter counts, Canny edges, losses,
the phases of training, inference, configs and the command-line tools."""
from __future__ import annotations

import copy
import glob
import os.path as osp

import numpy as np
import pytest
import torch

from toolbox import testing
from toolbox.bases import BaseAdversarialLoss
from toolbox.models import MultiOptimWrapperConstructor, NonFiniteLossError, composite
from toolbox.registry import DISCRIMINATORS, GENERATORS, LOSSES, MODELS, TRANSFORMS
from toolbox_plugins.edgeconnect.edges import known_edges
from toolbox_plugins.edgeconnect.losses import gram_matrix
from toolbox_plugins.edgeconnect.model import EdgeConnectInpaintor
from toolbox_plugins.edgeconnect.networks import rgb_to_grey

from ..utils import REPO, run_python

DEMO = osp.join(REPO, 'configs', 'edgeconnect', 'demo.py')
PAPER_CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'edgeconnect', 'places_256_phase*.py')))
NETWORKS = ('edge_generator', 'edge_discriminator', 'inpaint_generator',
            'inpaint_discriminator')

pytestmark = pytest.mark.usefixtures('one_thread')


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


# -- networks -------------------------------------------------------------------------------

def test_parameter_counts_match_the_authors_code():
    # Counted on the networks of knazeri/edge-connect (src/networks.py) built with torch:
    # EdgeGenerator(use_spectral_norm=True), InpaintGenerator(), Discriminator(2 and 3).
    assert _count(GENERATORS.build(dict(type='EdgeConnectEdgeGenerator'))) == 10_761_089
    assert _count(GENERATORS.build(dict(type='EdgeConnectInpaintGenerator'))) == 10_774_595
    assert _count(DISCRIMINATORS.build(dict(type='EdgeConnectDiscriminator',
                                            in_channels=2))) == 2_762_752
    assert _count(DISCRIMINATORS.build(dict(type='EdgeConnectDiscriminator'))) == 2_763_776


@pytest.mark.parametrize('name', ['EdgeConnectEdgeGenerator', 'EdgeConnectInpaintGenerator'])
def test_generators_meet_the_contract_and_read_the_edges(name):
    gen = testing.check_generator(name).eval()
    batch = testing.tiny_batch(size=32)
    masked, mask = batch['gt'] * (1 - batch['mask']), batch['mask']
    edge = torch.zeros_like(mask)
    with torch.no_grad():
        plain = gen(masked, mask, edge=edge)
        edge[:, :, 16, 8:24] = 1                          # a line through the hole
        guided = gen(masked, mask, edge=edge)
    key = 'edge' if 'edge' in plain else 'output'
    assert not torch.equal(plain[key], guided[key])
    if key == 'edge':
        assert plain['edge'].shape == mask.shape
        assert 0 <= float(plain['edge'].min()) and float(plain['edge'].max()) <= 1
    with pytest.raises(ValueError, match='edge must be'):
        gen(masked, mask, edge=edge[:, :, :16])


def test_discriminators_meet_the_contract_and_return_the_authors_features():
    testing.check_discriminator('EdgeConnectDiscriminator')
    disc = DISCRIMINATORS.build(dict(type='EdgeConnectDiscriminator', in_channels=2,
                                     base_channels=8)).eval()
    x = torch.randn(2, 2, 64, 64)
    logits, feats = disc.forward_with_features(x, None)
    assert logits.shape == (2, 1, 6, 6)                  # 64 / 8 - 2
    assert len(feats) == 5 and feats[-1] is logits
    with pytest.raises(ValueError, match=r'\[B, 2, H, W\]'):
        disc(torch.randn(2, 3, 64, 64), None)


# -- edges ----------------------------------------------------------------------------------

def test_canny_edges_transform():
    img = np.zeros((40, 48, 3), np.uint8)
    img[10:30, 12:36] = 255
    out = TRANSFORMS.build(dict(type='CannyEdges', sigma=2.0))(dict(img=img))
    edges = out['edge']
    assert edges.dtype == np.uint8 and edges.shape == (40, 48)
    assert set(np.unique(edges).tolist()) == {0, 255}
    assert edges[20, 9:14].max() == 255 and edges[20, 18:30].max() == 0
    assert TRANSFORMS.build(dict(type='CannyEdges'))(
        dict(img=np.full_like(img, 90)))['edge'].max() == 0
    with pytest.raises(ValueError, match='sigma'):
        TRANSFORMS.build(dict(type='CannyEdges', sigma=0))


def test_known_edges_ignore_the_hole_content():
    """A bright hole in a dark image would put edges on the known side of its border if
    the detector saw the hole; it must not."""
    image = torch.full((1, 3, 48, 48), -0.4)
    mask = torch.zeros(1, 1, 48, 48)
    mask[..., 12:36, 12:36] = 1
    image[..., 2:8, 2:46] = 0.8                           # a known bar: its edges count
    bright = image.clone()
    bright[..., 12:36, 12:36] = 0.8
    edges = known_edges(image, mask)
    assert edges.shape == mask.shape and edges.sum() > 0
    assert torch.equal(known_edges(bright, mask), edges)
    assert float((edges * mask).sum()) == 0


# -- losses ---------------------------------------------------------------------------------

def test_hole_normalised_l1_and_gram_matrix():
    loss = LOSSES.build(dict(type='HoleNormalizedL1Loss'))
    pred, target = torch.ones(1, 3, 4, 4), torch.zeros(1, 3, 4, 4)
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., :2, :] = 1                                  # half the pixels are holes
    assert float(loss(pred, target, mask)) == pytest.approx(2.0)
    assert float(loss(pred, target, torch.zeros_like(mask))) == pytest.approx(1.0)
    f = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).view(1, 2, 1, 2)   # C=2, H=1, W=2
    assert torch.allclose(gram_matrix(f), torch.tensor([[[5.0, 11.0], [11.0, 25.0]]]) / 4)


def test_style_loss_looks_at_the_hole_only():
    loss = LOSSES.build(dict(type='StyleLoss', pretrained=False, layers=('relu2_2',)))
    testing.check_loss('StyleLoss')
    batch = testing.tiny_batch()
    gt, mask = batch['gt'], batch['mask']
    outside = gt + 0.5 * torch.randn_like(gt) * (1 - mask)
    inside = gt + 0.5 * torch.randn_like(gt) * mask
    assert float(loss(outside, gt, mask)) == 0
    assert float(loss(inside, gt, mask)) > 0


# -- the model ------------------------------------------------------------------------------

def _model(phase, **kw) -> EdgeConnectInpaintor:
    torch.manual_seed(0)
    return MODELS.build(dict(type='EdgeConnectInpaintor',
                             **dict(EdgeConnectInpaintor.tiny_cfg, phase=phase, **kw)))


def _optims(model, names=None):
    adam = dict(optimizer=dict(type='Adam', lr=1e-3, betas=(0.0, 0.9)))
    return MultiOptimWrapperConstructor({n: adam for n in names or model.trained})(model)


def _data(size=32):
    batch = testing.tiny_batch(size=size)
    gt = ((batch['gt'] + 1) * 127.5).round().to(torch.uint8)
    edge = torch.from_numpy(np.stack([
        TRANSFORMS.build(dict(type='CannyEdges'))(dict(img=g.permute(1, 2, 0).numpy()))['edge']
        for g in gt]))[:, None]
    return dict(inputs=dict(gt=gt, mask=batch['mask'].to(torch.uint8), edge=edge))


def _snapshot(model):
    return {name: {k: v.clone() for k, v in getattr(model, name).state_dict().items()}
            for name in NETWORKS}


@pytest.mark.parametrize('phase, joint_edge_gan, trained', [
    (1, True, {'edge_generator', 'edge_discriminator'}),
    (2, True, {'inpaint_generator', 'inpaint_discriminator'}),
    (3, True, {'inpaint_generator', 'inpaint_discriminator'}),
    (4, True, set(NETWORKS)),
    (4, False, {'edge_generator', 'inpaint_generator', 'inpaint_discriminator'}),
])
def test_a_train_step_changes_exactly_the_networks_of_its_phase(phase, joint_edge_gan,
                                                                trained):
    model = _model(phase, joint_edge_gan=joint_edge_gan)
    # optimizers for every network: those of the frozen ones must not move them
    optims = _optims(model, NETWORKS)
    model.train()
    before = _snapshot(model)
    log = model.train_step(_data(), optims)
    after = _snapshot(model)
    changed = {name for name in NETWORKS
               if any(not torch.equal(before[name][k], after[name][k]) for k in before[name])}
    assert changed == trained
    assert all(np.isfinite(v) for v in log.values())
    assert ('loss_d_edge' in log) == ('edge_discriminator' in trained)
    assert ('loss_HoleNormalizedL1Loss_output' in log) == (phase >= 2)
    assert model.last_train_vis['output'].shape == (2, 3, 32, 32)


def test_phase3_trains_on_the_edge_models_prediction_and_phase2_on_canny():
    seen = []

    def record(module, args, kwargs):
        seen.append(kwargs['edge'].detach().clone())

    data = _data()
    edge = data['inputs']['edge'].float() / 255
    mask = data['inputs']['mask'].float()
    for phase in (2, 3):
        model = _model(phase)
        model.train()
        assert model.edge_generator.training is (phase == 1)
        hook = model.inpaint_generator.register_forward_pre_hook(record, with_kwargs=True)
        model.train_step(data, _optims(model))
        hook.remove()
    canny_in, predicted_in = seen
    assert torch.equal(canny_in, edge)
    assert torch.equal(predicted_in * (1 - mask), edge * (1 - mask))
    assert not torch.equal(predicted_in * mask, edge * mask)


def test_phase4_gradients_of_the_image_model_reach_the_edge_model():
    model = _model(4, joint_edge_gan=False)
    model.train()
    optims = _optims(model)
    grads = {}
    step = optims['edge_generator'].step

    def spy():
        grads['g1'] = [p.grad.clone() for p in model.edge_generator.parameters()]
        step()

    optims['edge_generator'].step = spy
    model.train_step(_data(), optims)
    assert any(g.abs().sum() > 0 for g in grads['g1'])


def test_inpaint_keeps_known_pixels_and_uses_the_known_edges():
    model = _model(4).eval()
    batch = testing.tiny_batch(size=32)
    image, mask = batch['gt'], batch['mask']
    with torch.no_grad():
        out = model.inpaint(image, mask)
        edges = model.predict_edges(image, mask)
        other = image.clone()
        other[..., 12:20, 12:20] = 1.0                     # change the hole's content only
        again = model.inpaint(other, mask)
    known = (1 - mask).bool().expand_as(image)
    assert torch.equal(out[known], image[known])
    assert not torch.equal(out[~known], image[~known])
    assert torch.equal(again, out)                        # hole pixels are never read
    assert torch.equal(edges * (1 - mask), known_edges(image, mask))
    with pytest.raises(TypeError, match='unknown option'):
        model.inpaint(image, mask, steps=3)
    with pytest.raises(ValueError, match='multiples of 4'):
        model.inpaint(image[..., :30], mask[..., :30])


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match='phase must be'):
        _model(5)
    model = _model('inpaint')
    assert model.phase == 2
    with pytest.raises(KeyError,
                       match=r"phase 2 trains .*no entry for \['inpaint_discriminator'\]"):
        model.train_step(_data(), _optims(model, ['inpaint_generator']))
    broken = _model(1)
    with torch.no_grad():
        next(broken.edge_discriminator.parameters()).fill_(float('nan'))
    with pytest.raises(NonFiniteLossError, match='iteration 0: loss term loss_d_edge'):
        broken.train_step(_data(), _optims(broken))


def test_skipped_nonfinite_updates_stop_training_after_a_run_of_them():
    """EdgeConnect follows the engine's policy: 'skip' drops a NaN update, but a run of
    max_consecutive_skips such iterations stops training (it used to skip forever)."""
    model = _model(1, nonfinite='skip', max_consecutive_skips=2)
    with torch.no_grad():
        next(model.edge_discriminator.parameters()).fill_(float('nan'))
    optims = _optims(model)
    model.train_step(_data(), optims)                # iteration 0: skipped, goes on
    with pytest.raises(NonFiniteLossError, match=r'iteration 1: .*2 iterations in a row'):
        model.train_step(_data(), optims)


def test_without_the_transform_the_model_computes_the_same_edges():
    seen = []
    hook = lambda module, args, kwargs: seen.append(kwargs['edge'].detach().clone())
    for drop in (False, True):
        model = _model(2)
        model.inpaint_generator.register_forward_pre_hook(hook, with_kwargs=True)
        data = _data()
        if drop:
            del data['inputs']['edge']
        model.train_step(data, _optims(model))
    assert seen[0].sum() > 0 and torch.equal(seen[0], seen[1])


#: every registered adversarial loss: a new one is covered by registering it
ADVERSARIAL = sorted(name for name, cls in LOSSES.module_dict.items()
                     if isinstance(cls, type) and issubclass(cls, BaseAdversarialLoss))


@pytest.mark.parametrize('name', ADVERSARIAL)
def test_every_adversarial_loss_reaches_both_discriminators_with_all_its_terms(name):
    """EdgeConnect trains with each adversarial loss as the engine's objective defines it:
    each discriminator's gradient is that of the loss's own discriminator_terms (an R1 or
    gradient penalty, the mask, the real logits included; loss_d halved as the authors),
    and the generators get the loss's adversarial terms."""
    adv = dict(type=name, **LOSSES.get(name).tiny_cfg)
    model = _model(4, edge_losses=[adv, EdgeConnectInpaintor.tiny_cfg['edge_losses'][1]],
                   inpaint_losses=[dict(type='HoleNormalizedL1Loss'), adv])
    model.train()
    reference = copy.deepcopy(model)           # the same weights and spectral-norm state
    optims = _optims(model)
    seen = {}
    for disc in ('edge_discriminator', 'inpaint_discriminator'):
        def spy(disc=disc, step=optims[disc].step):
            seen[disc] = [p.grad.clone() for p in getattr(model, disc).parameters()]
            step()
        optims[disc].step = spy
    data = _data()
    torch.manual_seed(1)                       # WGAN-GP draws its interpolation weights
    log = model.train_step(data, optims)
    assert set(seen) == {'edge_discriminator', 'inpaint_discriminator'}
    assert all(np.isfinite(v) for v in log.values())
    assert {'loss_g_adv', 'loss_edge_g_adv', 'loss_d', 'loss_d_edge'} <= set(log)

    # the same terms computed directly from the loss, in the step's order
    gt, mask, edge = reference._training_batch(data)
    with torch.no_grad():
        edge_pred = reference._edges(gt, mask, edge)
        output = reference.inpaint_generator(reference._holes_filled(gt, mask), mask,
                                             edge=composite(edge_pred, edge, mask))['output']
    grey = rgb_to_grey(gt)
    pairs = [('edge_discriminator', torch.cat([grey, edge], 1),
              torch.cat([grey, edge_pred], 1), '_edge'),
             ('inpaint_discriminator', gt, output, '')]
    loss = LOSSES.build(adv)
    torch.manual_seed(1)
    for disc_name, real, fake, tag in pairs:
        disc = getattr(reference, disc_name)
        terms, _ = loss.discriminator_terms(lambda x: disc(x, mask), real, fake,
                                            dict(gt=real, mask=mask))
        total = 0.5 * terms['loss_d'] + sum(v for k, v in terms.items() if k != 'loss_d')
        expected = torch.autograd.grad(total, list(disc.parameters()))
        for got, want in zip(seen[disc_name], expected):
            torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-6)
        for key, value in terms.items():           # every term of the loss is logged
            logged = f'{key}{tag}'
            assert logged in log, (logged, sorted(log))
            scale = 0.5 if key == 'loss_d' else 1.0
            assert log[logged] == pytest.approx(scale * float(value.detach()), rel=1e-4,
                                                abs=1e-6)


def test_every_phase_has_the_same_state_dict_keys():
    keys = [set(_model(phase).state_dict()) for phase in (1, 2, 3, 4)]
    assert all(k == keys[0] for k in keys)


# -- configs and tools ----------------------------------------------------------------------

@pytest.mark.parametrize('config', PAPER_CONFIGS + [DEMO], ids=osp.basename)
def test_configs_build_and_name_the_optimizers_their_phase_needs(config):
    from toolbox.apis import load_config
    cfg = load_config(config)
    for loss in cfg.model.inpaint_losses:                 # no VGG19 file offline
        if 'vgg_weights' in loss or loss.type in ('VGGFeatureMatchingLoss', 'StyleLoss'):
            loss.pretrained = False
    model = MODELS.build(cfg.model)
    keys = set(cfg.optim_wrapper) - {'constructor'}
    assert set(model.trained) <= keys
    if config != DEMO:
        assert keys == set(model.trained)
        assert cfg.train_dataloader.batch_size == 8
        lrs = {k: v.optimizer.lr for k, v in cfg.optim_wrapper.items() if k in keys}
        for name in keys:
            assert cfg.optim_wrapper[name].optimizer.betas == (0.0, 0.9)
            if 'discriminator' in name:
                assert lrs[name] == pytest.approx(0.1 * lrs[name.replace('discriminator',
                                                                         'generator')])
        if model.phase > 1:
            previous = f'phase{model.phase - 1}'
            assert previous in cfg.load_from


def test_toolbox_lists_the_model(capsys):
    from toolbox.cli import main
    assert main(['list', 'models']) == 0
    assert 'EdgeConnectInpaintor' in capsys.readouterr().out


@pytest.mark.slow
def test_demo_trains_through_the_cli_and_inpaints_from_its_checkpoint(tmp_path, demo_root):
    import cv2
    work = tmp_path / 'work'
    train = run_python(['tools/train.py', DEMO, '--work-dir', str(work), '--cfg-options',
                        f'train_dataloader.dataset.data_root={demo_root}',
                        f'val_dataloader.dataset.data_root={demo_root}',
                        'train_cfg.max_iters=3', 'train_cfg.val_interval=3',
                        'default_hooks.checkpoint.interval=3',
                        'default_hooks.logger.interval=1'],
                       env={'OMP_NUM_THREADS': '1'}, timeout=400)
    assert train.returncode == 0, train.stderr[-4000:]
    log = train.stdout + train.stderr
    assert 'loss_d_edge' in log and 'loss_StyleLoss_output' in log and 'PSNR' in log
    ckpt = work / 'iter_3.pth'
    state = torch.load(ckpt, weights_only=True)['state_dict']
    assert any(k.startswith('edge_generator.') for k in state)

    # the next phase starts from that checkpoint and keeps the edge model as it was
    phase3 = tmp_path / 'phase3'
    train = run_python(['tools/train.py', DEMO, '--work-dir', str(phase3), '--cfg-options',
                        f'train_dataloader.dataset.data_root={demo_root}',
                        f'val_dataloader.dataset.data_root={demo_root}', 'model.phase=3',
                        f'load_from={ckpt}', 'train_cfg.max_iters=1',
                        'train_cfg.val_interval=10', 'default_hooks.checkpoint.interval=1'],
                       env={'OMP_NUM_THREADS': '1'}, timeout=400)
    assert train.returncode == 0, train.stderr[-4000:]
    after = torch.load(phase3 / 'iter_1.pth', weights_only=True)['state_dict']
    edge_keys = [k for k in state if k.startswith(('edge_generator.', 'edge_discriminator.'))]
    assert edge_keys and all(torch.equal(after[k], state[k]) for k in edge_keys)
    assert not all(torch.equal(after[k], state[k]) for k in state
                   if k.startswith('inpaint_generator.'))
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (38, 50, 3), dtype=np.uint8)   # not multiples of 4
    mask = np.zeros((38, 50), np.uint8)
    mask[10:26, 12:30] = 255
    cv2.imwrite(str(tmp_path / 'img.png'), image)
    cv2.imwrite(str(tmp_path / 'mask.png'), mask)
    out = tmp_path / 'out.png'
    result = run_python(['tools/inpaint.py', '--config', DEMO, '--checkpoint', str(ckpt),
                         '--image', str(tmp_path / 'img.png'),
                         '--mask', str(tmp_path / 'mask.png'), '--out', str(out),
                         '--threads', '1'], timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    written = cv2.imread(str(out))
    assert written.shape == image.shape
    assert np.array_equal(written[mask == 0], image[mask == 0])
    assert not np.array_equal(written[mask > 0], image[mask > 0])
