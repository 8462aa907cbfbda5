"""DeepFill v2's lean-training option: activation checkpointing gives the same outputs,
losses and gradients as the plain path, and holds fewer activations."""
from __future__ import annotations

import pytest
import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict

from toolbox.registry import GENERATORS, MODELS

pytestmark = pytest.mark.usefixtures('one_thread')


def _pair(**kw):
    torch.manual_seed(0)
    plain = GENERATORS.build(dict(type='DeepFillv2Generator', cnum=8, **kw))
    lean = GENERATORS.build(dict(type='DeepFillv2Generator', cnum=8, checkpointing=True, **kw))
    lean.load_state_dict(plain.state_dict())
    return plain, lean


def _inputs(batch=2, h=48, w=64):
    g = torch.Generator().manual_seed(1)
    x = torch.rand(batch, 3, h, w, generator=g) * 2 - 1
    mask = torch.zeros(batch, 1, h, w)
    mask[..., 12:36, 16:44] = 1
    return x * (1 - mask), mask, x


@pytest.mark.parametrize('attention', ['toolbox', 'mmagic'])
def test_checkpointing_gives_the_same_loss_and_gradients(attention):
    plain, lean = _pair(attention=attention)
    masked, mask, gt = _inputs()
    results = []
    for gen in (plain, lean):
        out = gen(masked, mask)
        loss = (out['coarse'] - gt).abs().mean() + (out['output'] - gt).abs().mean()
        loss.backward()
        results.append((out, loss, {n: p.grad for n, p in gen.named_parameters()}))
    (o1, l1, g1), (o2, l2, g2) = results
    for k in o1:
        torch.testing.assert_close(o2[k], o1[k], atol=1e-6, rtol=0)
    assert abs(float((l1 - l2).detach())) <= 1e-6
    assert g1.keys() == g2.keys()
    for name in g1:
        torch.testing.assert_close(g2[name], g1[name], atol=1e-6, rtol=0, msg=name)


def _saved_bytes(gen, masked, mask) -> int:
    """Bytes of the tensors autograd keeps for backward outside checkpointed segments."""
    total, seen = [0], set()

    def pack(t):
        if t.untyped_storage().data_ptr() not in seen:
            seen.add(t.untyped_storage().data_ptr())
            total[0] += t.untyped_storage().nbytes()
        return t
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        gen(masked, mask)
    return total[0]


def test_checkpointing_keeps_fewer_activations_and_nothing_changes_at_inference():
    plain, lean = _pair()
    masked, mask, _ = _inputs(batch=2, h=64, w=64)
    params = sum(p.numel() * p.element_size() for p in plain.parameters())
    full = _saved_bytes(plain, masked, mask) - params
    kept = _saved_bytes(lean, masked, mask) - params
    assert kept < 0.5 * full, (kept, full)
    with torch.no_grad():
        a, b = plain(masked, mask), lean(masked, mask)
    assert torch.equal(a['output'], b['output'])


def _gan(checkpointing: bool):
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='GANInpaintor',
        generator=dict(type='DeepFillv2Generator', cnum=8, checkpointing=checkpointing),
        discriminator=dict(type='SNPatchGANDiscriminator', base_channels=8, num_layers=3),
        losses=[dict(type='L1Loss', outputs=('coarse', 'output')),
                dict(type='HingeGANLoss', loss_weight=0.1)])).train()
    # SGD: Adam's first steps are about lr * sign(gradient), which turns a rounding-level
    # difference of a near-zero gradient into a difference of 2 lr
    optim = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.SGD(model.generator.parameters(), lr=1e-2)),
        discriminator=OptimWrapper(torch.optim.SGD(model.discriminator.parameters(),
                                                   lr=1e-2)))
    return model, optim


def test_checkpointing_leaves_the_gan_training_step_unchanged():
    _, mask, gt = _inputs(batch=2, h=32, w=32)
    data = dict(inputs=dict(gt=list(((gt + 1) * 127.5).round().byte()),
                            mask=list(mask.byte())))
    runs = []
    for on in (False, True):
        model, optim = _gan(on)
        logs = [model.train_step(data, optim) for _ in range(2)]
        runs.append((logs, model.state_dict()))
    (logs1, sd1), (logs2, sd2) = runs
    for a, b in zip(logs1, logs2):
        assert a.keys() == b.keys()
        for k in a:
            assert abs(a[k] - b[k]) <= 1e-6, (k, a[k], b[k])
    for k in sd1:
        torch.testing.assert_close(sd2[k], sd1[k], atol=1e-6, rtol=0, msg=k)
