"""The engine's frozen VGG: named layers are torchvision's, the input is ImageNet-normalised
from [-1, 1], it stays frozen, is shared, and fails fast offline naming the weights file."""
import time

import pytest
import torch
import torchvision
from torch import nn

from toolbox.nn.vgg import IMAGENET_MEAN, IMAGENET_STD, FrozenVGG, shared_vgg, vgg_layers
from toolbox.weights import WeightsNotFoundError

pytestmark = pytest.mark.usefixtures('one_thread')

KINDS = {'conv': nn.Conv2d, 'relu': nn.ReLU, 'pool': nn.MaxPool2d}


def torchvision_features(net, x, indices):
    """torchvision's own ``features`` applied to the ImageNet-normalised ``x``."""
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    h, out = ((x + 1) / 2 - mean) / std, {}
    with torch.no_grad():
        for i, module in enumerate(net.eval()):
            h = module(h)
            out[i] = h.clone()          # torchvision's ReLUs work in place
    return [out[i] for i in indices]


@pytest.mark.parametrize('arch, layers', [
    ('vgg16', ('pool1', 'pool2', 'pool3')),                        # PConv's
    # DMFN's, in any order, names or indices, repeated
    ('vgg19', ('relu5_1', 'relu1_1', 'conv3_4', 'relu2_1', 'relu1_1', 20)),
])
def test_features_are_torchvision_features_of_the_normalised_input(arch, layers):
    names = vgg_layers(arch)
    torch.manual_seed(1)
    reference_net = getattr(torchvision.models, arch)(weights=None).features
    assert len(names) == len(reference_net)
    for name, i in names.items():
        assert isinstance(reference_net[i], KINDS[name[:4]]), (name, i)
    torch.manual_seed(1)
    ours = FrozenVGG(arch, layers, pretrained=False)
    x = torch.rand(2, 3, 40, 36) * 2 - 1
    expected = torchvision_features(reference_net, x, [names.get(n, n) for n in layers])
    got = ours(x)
    assert len(got) == len(layers)
    for g, e in zip(got, expected):
        torch.testing.assert_close(g, e, rtol=0, atol=0)


def test_frozen_in_eval_and_out_of_the_way_of_gradients():
    vgg = FrozenVGG('vgg16', ('relu2_2',), pretrained=False)
    assert not any(p.requires_grad for p in vgg.parameters())
    owner = nn.Sequential(vgg).train()
    assert not vgg.training
    x = (torch.rand(1, 3, 16, 16) * 2 - 1).requires_grad_()
    vgg(x)[0].square().sum().backward()
    assert x.grad.abs().sum() > 0                          # gradients reach the image
    assert all(p.grad is None for p in owner.parameters())
    # cut after the deepest layer it serves; torchvision's keys, no normalisation buffers
    assert list(vgg.state_dict()) == [f'{i}.{p}' for i in (0, 2, 5, 7) for p in ('weight', 'bias')]
    with pytest.raises(ValueError, match='deeper than this network'):
        vgg(x, ('relu3_1',))


def test_unknown_layers_and_archs_name_what_exists():
    with pytest.raises(ValueError, match=r"vgg19: unknown layer 'relu6_1'.*relu5_4"):
        FrozenVGG('vgg19', ('relu6_1',), pretrained=False)
    with pytest.raises(ValueError, match="arch must be one of.*'vgg11'"):
        FrozenVGG('vgg11', pretrained=False)


def test_shared_per_arguments():
    a = shared_vgg('vgg16', ('pool1',), pretrained=False)
    assert shared_vgg('vgg16', ['pool1'], pretrained=False) is a
    assert shared_vgg('vgg16', ('pool2',), pretrained=False) is not a


def test_a_network_built_in_float64_is_not_handed_to_float32_users():
    # a float64 parity run (toolbox compare-training --dtype float64) builds its losses
    # under a float64 default dtype; the same process's float32 losses must not get that
    # network (CI failed: "Input type (float) and bias type (double)" in later VGG tests)
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        wide = shared_vgg('vgg16', ('pool1',), pretrained=False)
    finally:
        torch.set_default_dtype(before)
    narrow = shared_vgg('vgg16', ('pool1',), pretrained=False)
    assert narrow is not wide
    assert next(narrow.parameters()).dtype == torch.float32
    assert narrow(torch.rand(1, 3, 8, 8))[0].dtype == torch.float32


def test_pretrained_weights_load_from_a_file_and_fail_fast_offline(empty_caches):
    tmp_path = empty_caches
    start = time.monotonic()
    with pytest.raises(WeightsNotFoundError, match=r'vgg16-397923af\.pth.*torch/hub/checkpoints'):
        FrozenVGG('vgg16', ('pool1',), name='VGG16 for a test')
    assert time.monotonic() - start < 5
    # torchvision's file layout (features.* keys; the classifier is ignored)
    torch.manual_seed(3)
    source = torchvision.models.vgg16(weights=None)
    state = {k: v for k, v in source.state_dict().items() if k.startswith('features.')}
    state['classifier.6.bias'] = torch.zeros(3)
    torch.save(state, tmp_path / 'vgg16-397923af.pth')
    loaded = FrozenVGG('vgg16', ('relu1_2',), weights=str(tmp_path))
    torch.testing.assert_close(loaded.get_submodule('2').weight, source.features[2].weight)
