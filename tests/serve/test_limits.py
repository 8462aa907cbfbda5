"""toolbox serve under load and faults: decoding inside the admission limit, abandoned
requests dropped before the model, a bounded queue (429), models that fail to load (503,
remembered until their files change), and a CUDA device refused at start."""
import shutil
import threading
import time

import httpx
import numpy as np
import pytest

from .conftest import TINY_CONFIG, png_bytes, running

INPAINT = '/api/v1/inpaint'


def _files(size=32):
    image = np.full((size, size, 3), 90, np.uint8)
    mask = np.zeros((size, size), np.uint8)
    mask[8:16, 8:16] = 255
    return {'image': ('p.png', png_bytes(image), 'image/png'),
            'mask': ('m.png', png_bytes(mask), 'image/png')}


def _post(url, timeout=60, **data):
    return httpx.post(url + INPAINT, files=_files(), timeout=timeout,
                      data={'model': 'telea', **data})


class Gate:
    """Stands in for the model call: counts the calls, and holds the first one until
    ``release()``."""

    def __init__(self, real):
        self.real, self.calls = real, 0
        self.entered, self.opened = threading.Event(), threading.Event()

    def __call__(self, *args, **kwargs):
        self.calls += 1
        self.entered.set()
        assert self.opened.wait(60), 'the test never released the model'
        return self.real(*args, **kwargs)

    def release(self):
        self.opened.set()


@pytest.fixture
def gate(monkeypatch):
    import toolbox.serve.app
    g = Gate(toolbox.serve.app.run_strategy)
    monkeypatch.setattr(toolbox.serve.app, 'run_strategy', g)
    yield g
    g.release()


def _in_thread(fn, *args, **kwargs):
    out = {}

    def target():
        try:
            out['answer'] = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 -- the test reads it
            out['error'] = exc
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, out


@pytest.mark.parametrize('cap', [1, 2])
def test_concurrent_decodes_never_exceed_the_cap(monkeypatch, cap):
    # the memory bound: base + cap x (the largest photo's decoded cost)
    import toolbox.serve.app
    from toolbox.serve import Settings, create_app
    real, now, peak = toolbox.serve.app.decode_image, [0], [0]
    lock = threading.Lock()

    def counted(*args, **kwargs):
        with lock:
            now[0] += 1
            peak[0] = max(peak[0], now[0])
        try:
            time.sleep(0.2)            # a decode long enough for the others to overlap it
            return real(*args, **kwargs)
        finally:
            with lock:
                now[0] -= 1
    monkeypatch.setattr(toolbox.serve.app, 'decode_image', counted)
    # cap 1 is the default
    app = create_app(Settings(max_pixels=64 * 64, **({} if cap == 1 else dict(max_decodes=cap))))
    with running(app) as url:
        threads = [_in_thread(_post, url) for _ in range(6)]
        for thread, _ in threads:
            thread.join(120)
    assert [out['answer'].status_code for _, out in threads] == [200] * 6
    assert peak[0] == cap


def test_a_request_whose_client_left_never_reaches_the_model(gate):
    from toolbox.serve import Settings, create_app
    with running(create_app(Settings())) as url:       # the default queue holds 8
        first, out = _in_thread(_post, url)
        assert gate.entered.wait(30)
        for _ in range(5):              # clients that give up while the first one runs
            with pytest.raises(httpx.ReadTimeout):
                _post(url, timeout=0.5)
        time.sleep(0.5)
        gate.release()
        first.join(60)
        assert out['answer'].status_code == 200
        assert _post(url).status_code == 200        # the next real request runs at once
    assert gate.calls == 2


def test_a_full_queue_answers_429_with_retry_after(gate):
    from toolbox.serve import Settings, create_app
    with running(create_app(Settings(max_queue=2))) as url:
        first, out1 = _in_thread(_post, url)
        assert gate.entered.wait(30)
        second, out2 = _in_thread(_post, url)
        time.sleep(1.0)                 # the second one is admitted, waiting
        refused = _post(url, timeout=10)
        assert refused.status_code == 429
        assert int(refused.headers['retry-after']) >= 1
        assert refused.json()['field'] == 'body'
        assert 'limit is 2' in refused.json()['detail']
        gate.release()
        first.join(60)
        second.join(60)
        assert out1['answer'].status_code == out2['answer'].status_code == 200
        assert _post(url).status_code == 200        # admitted again once there is room


@pytest.fixture
def broken_models(models_dir, tmp_path):
    """broken.py with a truncated checkpoint, typo.py with a syntax error."""
    (tmp_path / 'broken.py').write_text(TINY_CONFIG)
    with open(f'{models_dir}/tiny.pth', 'rb') as f:
        whole = f.read()
    (tmp_path / 'broken.pth').write_bytes(whole[:len(whole) // 2])
    (tmp_path / 'typo.py').write_text(TINY_CONFIG.replace('model = dict(', 'model = dict((', 1))
    shutil.copy(f'{models_dir}/tiny.pth', tmp_path / 'typo.pth')
    return tmp_path


def test_a_model_that_fails_to_load_is_a_503_remembered_until_its_file_changes(
        broken_models, models_dir, monkeypatch):
    from toolbox.serve import Settings, create_app
    from toolbox.serve.catalog import Catalog
    builds = []
    real_build = Catalog._build
    monkeypatch.setattr(Catalog, '_build',
                        lambda self, *a: builds.append(a) or real_build(self, *a))
    with running(create_app(Settings(models_dir=str(broken_models)))) as url:
        for _ in range(2):
            answer = _post(url, model='broken')
            assert answer.status_code == 503
            assert answer.headers['content-type'] == 'application/json'
            error = answer.json()
            assert error['field'] == 'model'
            assert "'broken'" in error['detail'] and 'broken.pth' in error['detail']
        assert len(builds) == 1                      # the failure is remembered
        models = {m['name']: m for m in httpx.get(url + '/api/v1/models').json()['models']}
        assert models['broken']['status'] == 'unavailable'
        assert 'broken.pth' in models['broken']['reason']
        assert models['typo']['status'] == 'available'       # not tried yet
        assert models['telea']['status'] == 'available' and models['telea']['reason'] is None

        answer = _post(url, model='typo')
        assert answer.status_code == 503 and 'typo.py' in answer.json()['detail']

        shutil.copy(f'{models_dir}/tiny.pth', broken_models / 'broken.pth')   # fixed
        answer = _post(url, model='broken')
        assert answer.status_code == 200, answer.text
        models = {m['name']: m for m in httpx.get(url + '/api/v1/models').json()['models']}
        assert models['broken']['status'] == 'available'
        assert models['typo']['status'] == 'unavailable'


def test_cuda_without_a_gpu_is_refused_at_start_in_one_line(monkeypatch, capsys):
    import torch

    import toolbox.serve
    from toolbox.cli import main
    started = []
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 0)
    monkeypatch.setattr(toolbox.serve, 'serve', lambda *a, **k: started.append(a))
    assert main(['serve', '--device', 'cuda']) == 2
    err = capsys.readouterr().err.strip()
    assert err.count('\n') == 0 and '--device cuda' in err and 'no CUDA GPU' in err
    assert not started


def test_a_cuda_index_the_machine_lacks_is_refused(monkeypatch):
    import torch

    from toolbox.apis import ConfigError
    from toolbox.serve import Settings, create_app
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 1)
    with pytest.raises(ConfigError, match=r'--device cuda:3: this machine has 1 CUDA GPU'):
        create_app(Settings(device='cuda:3'))


def _configs_folder(folder, marker):
    from ..utils import REPO
    folder.mkdir()
    base = f"_base_ = [{REPO + '/configs/classical/telea.py'!r}]\n"
    (folder / 'plain.py').write_text(base + "model = dict(generator=dict(radius=5))\n")
    (folder / 'code.py').write_text(base + f"import os\nos.system('touch {marker}')\n")
    (folder / 'sum.py').write_text(base + 'radius = 2 + 3\n')
    (folder / 'imports.py').write_text(base + "custom_imports = dict(imports=['os'])\n")
    (folder / 'nobase.py').write_text(TINY_CONFIG)
    (folder / 'outside.py').write_text("_base_ = ['../elsewhere.py']\n")
    return folder


def test_configs_are_code_unless_plain_configs(tmp_path):
    # the documented warning: without --plain-configs the Python in a config runs at start
    from toolbox.serve.catalog import Catalog
    marker = tmp_path / 'ran'
    folder = _configs_folder(tmp_path / 'models', marker)
    with pytest.warns(UserWarning):
        catalog = Catalog(str(folder), plain_configs=True)
    assert not marker.exists()
    assert catalog.names()[:3] == ['plain', 'telea', 'navier-stokes']
    assert catalog.get('plain').generator.radius == 5
    with pytest.warns(UserWarning):
        Catalog(str(folder))
    assert marker.exists()


@pytest.mark.parametrize('name, message', [
    ('code.py', r'code.py:2: only `NAME = value` assignments'),
    ('sum.py', r'sum.py:2: radius must be a plain value'),
    ('imports.py', r'imports.py:2: custom_imports is refused'),
    ('nobase.py', r'must inherit a shipped config'),
    ('outside.py', r"_base_ '../elsewhere.py' is not a config shipped")])
def test_plain_configs_refuse_code_in_one_line(tmp_path, name, message):
    from toolbox.serve.plain_configs import PlainConfigError, check_plain_config
    folder = _configs_folder(tmp_path / 'models', tmp_path / 'ran')
    with pytest.raises(PlainConfigError, match=message) as info:
        check_plain_config(str(folder / name))
    assert '\n' not in str(info.value)


def test_docs_pages_load_nothing_from_elsewhere(server):
    # the browser test renders /docs with the network off; this checks both pages' HTML
    # and that the files they name are served here
    import re
    for page in ('/docs', '/redoc'):
        html = httpx.get(server + page).text
        assert not re.search(r'https?://', html), page
        for path in re.findall(r'(?:src|href)="(/docs-assets/[^"]+)"', html) or ['missing']:
            assert httpx.get(server + path).status_code == 200, path


def test_limits_below_one_are_refused():
    from toolbox.apis import ConfigError
    from toolbox.serve import Settings, create_app
    with pytest.raises(ConfigError, match='max_queue must be at least 1, got 0'):
        create_app(Settings(max_queue=0))
    with pytest.raises(ConfigError, match='max_results must be at least 1, got 0'):
        create_app(Settings(max_results=0))
