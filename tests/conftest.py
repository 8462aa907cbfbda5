"""Shared fixtures. Tests run offline: no pretrained weights are ever downloaded."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault('HF_HUB_OFFLINE', '1')   # timm fails in ~1 s instead of retrying ~50 s


@pytest.fixture(scope='session')
def demo_root(tmp_path_factory) -> str:
    from toolbox.datasets import materialise_demo
    return materialise_demo(str(tmp_path_factory.mktemp('demo')))
