"""Checkpoints load with torch's weights-only unpickler and must fit the model exactly."""
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from torch import nn

from toolbox.engine import (CheckpointLoadError, CheckpointMismatchError, from_safe,
                            load_weights, read_checkpoint, to_safe)
from toolbox.engine.checkpoint import share_like_model


def test_message_hub_round_trips_through_a_weights_only_file(tmp_path):
    hub = MessageHub.get_instance('ckpt_test')
    for v in (1.0, 2.5, 4.0):
        hub.update_scalar('train/loss', v)
    hub.update_info('iter', 3)
    ckpt = dict(meta=dict(seed=np.int64(5), iter=3), message_hub=hub.state_dict(),
                state_dict=OrderedDict(w=torch.ones(2)), arr=np.arange(3.0))
    path = tmp_path / 'c.pth'
    torch.save(to_safe(ckpt), path)
    loaded = from_safe(torch.load(path, weights_only=True))
    buf = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer) and buf.current() == 4.0 and buf.mean() == 2.5
    assert loaded['meta']['seed'] == 5 and np.array_equal(loaded['arr'], np.arange(3.0))


def test_objects_that_need_pickle_are_refused_when_saving():
    with pytest.raises(TypeError, match=r"checkpoint\['meta'\]\['fn'\]: a builtins.function"):
        to_safe(dict(meta=dict(fn=lambda: 0)))


def test_a_pickled_object_checkpoint_is_refused_with_the_reason(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={}, extra=HistoryBuffer()), path)
    with pytest.raises(CheckpointLoadError, match='could run code.*TOOLBOX_ALLOW_UNSAFE_CHECKPOINTS=1'):
        read_checkpoint(str(path))


def test_unsafe_loading_is_an_explicit_opt_in(tmp_path, monkeypatch):
    path = tmp_path / 'trusted.pth'
    torch.save(dict(state_dict={}, extra=HistoryBuffer()), path)
    monkeypatch.setenv('TOOLBOX_ALLOW_UNSAFE_CHECKPOINTS', '1')
    assert isinstance(read_checkpoint(str(path))['extra'], HistoryBuffer)


def test_missing_and_unexpected_keys_are_errors_naming_them():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    state = dict(model.state_dict())
    state.pop('1.bias')
    state['2.weight'] = torch.zeros(1)
    with pytest.raises(CheckpointMismatchError, match=r'missing keys: 1\.bias.*unexpected keys: 2\.weight'):
        load_weights(model, dict(state_dict=state), 'x.pth')


def test_wrapper_prefixes_are_accepted():
    model = nn.Sequential(nn.Linear(2, 2))
    state = {'module.' + k: v + 1 for k, v in model.state_dict().items()}
    load_weights(model, dict(state_dict=state), 'x.pth')
    assert torch.equal(model[0].bias, state['module.0.bias'])


def test_tensors_shared_in_the_model_are_stored_once(tmp_path):
    frozen = nn.Linear(64, 64)
    model = nn.ModuleDict(dict(a=nn.Sequential(frozen, nn.Linear(64, 2)),
                               b=nn.Sequential(frozen, nn.Linear(64, 2))))
    # mmengine copies each entry to the CPU on its own before saving
    copies = OrderedDict((k, v.clone()) for k, v in model.state_dict().items())
    torch.save(copies, tmp_path / 'copies.pth')
    shared = share_like_model(copies, model)
    assert list(shared) == list(copies) and isinstance(shared, OrderedDict)
    torch.save(shared, tmp_path / 'shared.pth')
    sizes = [(tmp_path / n).stat().st_size for n in ('copies.pth', 'shared.pth')]
    assert sizes[1] < 0.6 * sizes[0]               # 2 x 64 x 65 frozen values once, not twice
    loaded = torch.load(tmp_path / 'shared.pth', weights_only=True)
    assert loaded['a.0.weight'].data_ptr() == loaded['b.0.weight'].data_ptr()
    assert loaded['a.1.weight'].data_ptr() != loaded['b.1.weight'].data_ptr()
    fresh = nn.ModuleDict(dict(a=nn.Sequential(nn.Linear(64, 64), nn.Linear(64, 2)),
                               b=nn.Sequential(nn.Linear(64, 64), nn.Linear(64, 2))))
    fresh.load_state_dict(loaded)
    for k, v in model.state_dict().items():
        assert torch.equal(fresh.state_dict()[k], v)


def test_the_hook_is_registered():
    from toolbox.registry import HOOKS
    assert HOOKS.get('SafeCheckpointHook').__name__ == 'SafeCheckpointHook'
