"""Shared fixtures. Tests run offline: no pretrained weights are ever downloaded."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

os.environ.setdefault('HF_HUB_OFFLINE', '1')   # timm fails in ~1 s instead of retrying ~50 s
# the model zoo's cache: empty and private to this run, never the user's
os.environ['TOOLBOX_HOME'] = tempfile.mkdtemp(prefix='toolbox-home-')
atexit.register(shutil.rmtree, os.environ['TOOLBOX_HOME'], True)


@pytest.fixture
def empty_caches(tmp_path, monkeypatch):
    """What an offline user without the pretrained files sees, even on a machine that has
    them: every weights cache points into the empty ``tmp_path`` (``TORCH_HOME`` is
    ``tmp_path/torch``, ``HF_HOME`` is ``tmp_path/hf``) and downloads are off through
    ``HF_HUB_OFFLINE``. Returns ``tmp_path``."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    monkeypatch.setenv('HF_HOME', str(tmp_path / 'hf'))
    for var in ('HF_HUB_CACHE', 'TOOLBOX_WEIGHTS', 'TOOLBOX_OFFLINE'):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    return tmp_path


@pytest.fixture(scope='session')
def demo_root(tmp_path_factory) -> str:
    from toolbox.datasets import materialise_demo
    return materialise_demo(str(tmp_path_factory.mktemp('demo')))


@pytest.fixture(scope='module')
def one_thread():
    """torch on one thread for a test module (``pytestmark = usefixtures('one_thread')``).

    On a shared 2-core machine, OpenMP threads spinning against other processes make small
    convolutions many times slower; one thread is fastest and deterministic.
    """
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
