"""A server on 127.0.0.1 (a free port) for the tests of toolbox serve."""
from __future__ import annotations

import io
import socket
import threading
import time
from contextlib import contextmanager

import numpy as np
import pytest

TINY_CONFIG = """\
model = dict(
    type='GANInpaintor',
    generator=dict(type='EncoderDecoderGenerator', base_channels=4, num_downsamples=2,
                   num_bottleneck=1),
    losses=[dict(type='L1Loss')])
"""

# Pluralistic at its contract-test size: a model that samples (``stochastic``)
SAMPLING_CONFIG = """\
model = dict(
    type='PluralisticInpaintor',
    generator=dict(type='PluralisticGenerator', base_channels=4, max_channels=8, layers=4,
                   z_channels=4, infer_blocks=1, output_scales=2),
    discriminator=dict(type='PluralisticDiscriminator', base_channels=4, max_channels=8,
                       num_layers=3, attention=False))
"""


@contextmanager
def running(app):
    """``app`` served by uvicorn in a thread; yields its base URL."""
    import uvicorn
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level='warning', lifespan='off'))
    thread = threading.Thread(target=server.run, kwargs=dict(sockets=[sock]), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError('the test server did not start')
        time.sleep(0.05)
    try:
        yield f'http://127.0.0.1:{port}'
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def png_bytes(array: np.ndarray) -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format='PNG')
    return buf.getvalue()


def decode_png(content: bytes) -> np.ndarray:
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(content)).convert('RGB'))


@pytest.fixture(scope='session')
def models_dir(tmp_path_factory):
    """tiny.py + tiny.pth (random weights), untrained.py without weights (skipped), and
    mytelea.py: a classical config without weights (offered)."""
    import torch

    from toolbox.apis import init_inpaintor
    from toolbox.engine import to_safe

    from ..utils import REPO
    folder = tmp_path_factory.mktemp('models')
    (folder / 'tiny.py').write_text(TINY_CONFIG)
    (folder / 'untrained.py').write_text(TINY_CONFIG)
    (folder / 'mytelea.py').write_text(f"_base_ = [{REPO + '/configs/classical/telea.py'!r}]\n")
    torch.manual_seed(0)
    model = init_inpaintor(str(folder / 'tiny.py'), random_weights=True)
    torch.save(to_safe(dict(state_dict=model.state_dict())), folder / 'tiny.pth')
    return str(folder)


@pytest.fixture(scope='module')
def server(models_dir):
    """The application with the models folder and small limits, in a thread."""
    from toolbox.serve import Settings, create_app
    settings = Settings(models_dir=models_dir, max_pixels=2_000_000,
                        max_upload_bytes=3 * 2 ** 20)
    with pytest.warns(UserWarning, match='untrained.py: CheckpointRequiredError'):
        app = create_app(settings)
    with running(app) as url:
        yield url


@pytest.fixture(scope='session')
def sampling_models_dir(tmp_path_factory):
    """plural.py + plural.pth: a tiny Pluralistic with random weights (it samples), and
    tiny.py + tiny.pth: a GAN generator (it does not)."""
    import torch

    from toolbox.apis import init_inpaintor
    from toolbox.engine import to_safe
    folder = tmp_path_factory.mktemp('sampling-models')
    for name, text in (('plural', SAMPLING_CONFIG), ('tiny', TINY_CONFIG)):
        (folder / f'{name}.py').write_text(text)
        torch.manual_seed(0)
        model = init_inpaintor(str(folder / f'{name}.py'), random_weights=True)
        torch.save(to_safe(dict(state_dict=model.state_dict())), folder / f'{name}.pth')
    return str(folder)
