"""toolbox.weights and the offline behaviour of the metrics with pretrained networks.

Every test points the caches at an empty temporary folder, so nothing cached on the
machine is found, and sets the offline switches: no test downloads anything.
"""
from __future__ import annotations

import os.path as osp

import pytest
import torch

from toolbox.weights import WeightsNotFoundError, resolve_weights


def _hub(tmp_path) -> str:
    return osp.join(str(tmp_path), 'torch', 'hub', 'checkpoints')


def test_lookup_order(empty_caches):
    tmp = empty_caches
    with pytest.raises(WeightsNotFoundError) as info:
        resolve_weights('Test net', 'net-123.pth', 'https://example.invalid/net-123.pth')
    err = info.value
    assert isinstance(err, FileNotFoundError)
    msg = str(err)
    assert 'net-123.pth' in msg and _hub(tmp) in msg and 'https://example.invalid' in msg
    assert 'HF_HUB_OFFLINE' in msg and err.folder == _hub(tmp)

    # the torch hub cache
    hub = tmp / 'torch' / 'hub' / 'checkpoints'
    hub.mkdir(parents=True)
    (hub / 'net-123.pth').write_bytes(b'x')
    assert resolve_weights('Test net', 'net-123.pth') == str(hub / 'net-123.pth')
    # a TOOLBOX_WEIGHTS folder comes first
    extra = tmp / 'extra'
    extra.mkdir()
    (extra / 'net-123.pth').write_bytes(b'y')
    import os
    os.environ['TOOLBOX_WEIGHTS'] = str(extra)
    try:
        assert resolve_weights('Test net', 'net-123.pth') == str(extra / 'net-123.pth')
    finally:
        del os.environ['TOOLBOX_WEIGHTS']
    # a configured path comes first of all: a file, or a folder holding the file
    assert resolve_weights('Test net', 'net-123.pth', path=str(extra)) == \
        str(extra / 'net-123.pth')
    with pytest.raises(WeightsNotFoundError, match='configured weights .*missing.pth'):
        resolve_weights('Test net', 'net-123.pth', path=str(tmp / 'missing.pth'))


def test_hugging_face_cache(empty_caches):
    snap = empty_caches / 'hf' / 'hub' / 'models--timm--vgg19.tv_in1k' / 'snapshots' / 'abc'
    snap.mkdir(parents=True)
    (snap / 'model.safetensors').write_bytes(b'x')
    found = resolve_weights('VGG19', 'model.safetensors', hf_repo='timm/vgg19.tv_in1k')
    assert found == str(snap / 'model.safetensors')
    with pytest.raises(WeightsNotFoundError):
        resolve_weights('VGG19', 'model.safetensors', hf_repo='timm/other')


def test_unreachable_server_fails_fast_naming_the_file(empty_caches, monkeypatch):
    monkeypatch.delenv('HF_HUB_OFFLINE')
    monkeypatch.delenv('TOOLBOX_OFFLINE', raising=False)
    # Port 9 (discard) on this machine: the connection is refused at once.
    with pytest.raises(WeightsNotFoundError, match='Downloading it failed') as info:
        resolve_weights('Test net', 'net-9.pth', 'http://127.0.0.1:9/net-9.pth')
    assert 'net-9.pth' in str(info.value) and _hub(empty_caches) in str(info.value)


def test_lpips_offline_names_the_backbone_file(empty_caches):
    from toolbox.evaluation.metrics import LPIPS
    for net, filename in (('alex', 'alexnet-owt-7be5be79.pth'), ('vgg', 'vgg16-397923af.pth')):
        with pytest.raises(WeightsNotFoundError) as info:
            LPIPS(net=net)
        assert filename in str(info.value) and _hub(empty_caches) in str(info.value)


def test_fid_offline_names_the_inception_file(empty_caches):
    from toolbox.evaluation.metrics import FID
    with pytest.raises(WeightsNotFoundError) as info:
        FID()
    assert 'pt_inception-2015-12-05-6726825d.pth' in str(info.value)
    assert _hub(empty_caches) in str(info.value)


@pytest.mark.filterwarnings('ignore::UserWarning')   # torchvision on lpips' `pretrained=`
def test_lpips_loads_a_cached_backbone(empty_caches):
    """A torchvision-format AlexNet file in the cache is found and loaded into the lpips
    package's network (random weights here: none can be downloaded)."""
    import torchvision
    from toolbox.evaluation.perceptual import build_lpips
    torch.manual_seed(0)
    alex = torchvision.models.alexnet(weights=None)
    hub = empty_caches / 'torch' / 'hub' / 'checkpoints'
    hub.mkdir(parents=True)
    torch.save(alex.state_dict(), hub / 'alexnet-owt-7be5be79.pth')
    model = build_lpips('alex')
    assert torch.equal(getattr(model.net.slice1, '0').weight, alex.features[0].weight)
    assert torch.equal(getattr(model.net.slice5, '10').bias, alex.features[10].bias)
    # the calibrated linear layers come from the package, not from random init
    import lpips
    ref = lpips.LPIPS(net='alex', pretrained=True, pnet_rand=True, verbose=False)
    assert torch.equal(model.lin0.model[1].weight, ref.lin0.model[1].weight)


def test_torchvision_and_timm_files_are_named_by_their_publishers(tmp_path, monkeypatch):
    import pytest

    from toolbox.weights import (WeightsNotFoundError, timm_weights_file,
                                 torchvision_weights_file)
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    monkeypatch.setenv('HF_HUB_CACHE', str(tmp_path / 'hf'))
    with pytest.raises(WeightsNotFoundError, match='vgg19-dcbb9e9d.pth'):
        torchvision_weights_file('vgg19', 'VGG19 for a test')
    (tmp_path / 'vgg19-dcbb9e9d.pth').write_bytes(b'x')
    assert torchvision_weights_file('vgg19', 'VGG19', path=str(tmp_path)) == \
        str(tmp_path / 'vgg19-dcbb9e9d.pth')
    with pytest.raises(WeightsNotFoundError, match='resnet50.a1_in1k.safetensors'):
        timm_weights_file('resnet50', 'a backbone')
    snap = tmp_path / 'hf' / 'models--timm--resnet50.a1_in1k' / 'snapshots' / 'abc'
    snap.mkdir(parents=True)
    (snap / 'model.safetensors').write_bytes(b'x')
    assert timm_weights_file('resnet50', 'a backbone') == str(snap / 'model.safetensors')
