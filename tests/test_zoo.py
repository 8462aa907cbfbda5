"""The model zoo: entries declared by plugins, download -> verify -> convert -> inpaint by
name, a corrupted file refused, an interrupted download resumed, trust on first use, and
the offline message. Every download comes from a server on 127.0.0.1 (tests/zoo_server.py)
serving random weights in each source's real layout (the key layouts of
tests/fixtures/weights/, as in tests/apis/test_convert.py) under the source's real URL
path; ``TOOLBOX_ZOO_MIRROR`` points the zoo at it. No test touches the internet.
"""
from __future__ import annotations

import hashlib
import io
import os.path as osp
import re
import zipfile

import numpy as np
import pytest
import torch

from toolbox import hookimpl
from toolbox.apis import init_inpaintor, inpaint
from toolbox.config_names import shipped_configs
from toolbox.plugins import plugin_manager
from toolbox.zoo import (DownloadNotAllowed, HashMismatch, converted_path, ensure_weights,
                         source_path, zoo_entries)

from .apis.test_convert import _lightning_checkpoint, random_state, recorded_shapes, small_config
from .zoo_server import ZooServer

pytestmark = pytest.mark.usefixtures('one_thread')

MMAGIC = 'https://download.openmmlab.com/mmediting/inpainting/deepfillv2/'


def _mmagic_file() -> bytes:
    """An MMagic DeepFill v2 checkpoint (random weights, MMagic's keys and meta)."""
    buf = io.BytesIO()
    torch.save({'meta': {'mmedit_version': '0.4.0'},
                'state_dict': random_state(recorded_shapes('mmagic_deepfillv2_keys.txt'))}, buf)
    return buf.getvalue()


@pytest.fixture(scope='module')
def mmagic_bytes():
    return _mmagic_file()


class FixturePlugin:
    """Declares zoo entries through the real hook, as a plugin does."""

    def __init__(self, entries):
        self.entries = entries

    @hookimpl
    def toolbox_model_zoo(self):
        return self.entries


@pytest.fixture
def zoo(tmp_path, monkeypatch):
    """A fresh $TOOLBOX_HOME, the loopback server as mirror, and a way to add entries."""
    server = ZooServer()
    monkeypatch.setenv('TOOLBOX_HOME', str(tmp_path / 'home'))
    monkeypatch.setenv('TOOLBOX_ZOO_MIRROR', server.url)
    monkeypatch.delenv('TOOLBOX_OFFLINE', raising=False)
    monkeypatch.delenv('HF_HUB_OFFLINE', raising=False)      # set by conftest for timm
    monkeypatch.delenv('TOOLBOX_DOWNLOAD', raising=False)
    plugins = []

    def add(*entries):
        plugin = FixturePlugin(list(entries))
        plugin_manager().register(plugin, name=f'zoo-fixture-{len(plugins)}')
        plugins.append(plugin)

    server.add = add
    yield server
    for plugin in plugins:
        if plugin_manager().is_registered(plugin):
            plugin_manager().unregister(plugin)
    server.close()


def mmagic_entry(data: bytes, name='fixture-deepfillv2', sha256=None):
    """An entry in MMagic's layout: the sha256 prefix in the file name."""
    prefix = hashlib.sha256(data).hexdigest()[:8]
    filename = f'deepfillv2_256x256_8x2_places_20200619-{prefix}.pth'
    return dict(name=name, title='DeepFill v2 fixture', url=MMAGIC + filename, page=MMAGIC,
                filename=filename, sha256=sha256 or prefix, member=None, licence='Apache-2.0',
                source='fixture', format='mmagic-deepfillv2',
                config='deepfillv2/places_256_mmagic', plugin='fixture')


def serve(server, entry, data):
    server.files['/mmediting/inpainting/deepfillv2/' + entry['filename']] = data


# -- the declared entries ----------------------------------------------------------------------

def test_every_release_is_declared_once_with_a_shipped_config_and_a_converter():
    from toolbox.apis.convert import weight_formats
    entries = zoo_entries()
    assert {'deepfillv2-places-256', 'deepfillv2-celeba-256', 'aotgan-places-512', 'big-lama',
            'lama-fourier'} <= set(entries)
    configs = shipped_configs()
    assert not set(entries) & set(configs), 'zoo names and config names are one namespace'
    for name, entry in entries.items():
        assert '/' not in name
        assert entry['config'] in configs, name
        assert entry['format'] in weight_formats(), name
        if 'openmmlab' in (entry['url'] or ''):
            # MMagic's published hash is the sha256 prefix in the file name
            assert re.search(r'-([0-9a-f]{8})\.pth$', entry['filename']).group(1) == \
                entry['sha256']
            assert entry['url'].endswith('/' + entry['filename'])
    assert entries['big-lama']['sha256'] is None          # LaMa publishes none: TOFU


def test_a_zoo_name_with_a_slash_or_declared_twice_is_refused(zoo, mmagic_bytes):
    zoo.add(dict(mmagic_entry(mmagic_bytes), name='bad/name'))
    with pytest.raises(ValueError, match="zoo name 'bad/name' contains"):
        zoo_entries()
    plugin_manager().unregister(name='zoo-fixture-0')
    zoo.add(dict(mmagic_entry(mmagic_bytes), name='big-lama', plugin='other'))
    with pytest.raises(ValueError, match="zoo name 'big-lama' is also declared by plugin"):
        zoo_entries()


# -- download -> verify -> convert -> inpaint by name -----------------------------------------

def test_download_verify_convert_and_inpaint_by_name(zoo, mmagic_bytes, capsys):
    from toolbox.cli import main
    entry = mmagic_entry(mmagic_bytes)
    zoo.add(entry)
    serve(zoo, entry, mmagic_bytes)

    # first use by name without permission: one line naming what to do, nothing fetched
    with pytest.raises(DownloadNotAllowed) as info:
        init_inpaintor('fixture-deepfillv2')
    msg = str(info.value)
    assert '\n' not in msg and 'toolbox download fixture-deepfillv2' in msg
    assert entry['url'] in msg and osp.dirname(source_path(entry)) in msg
    assert zoo.requests == []

    assert main(['download', 'fixture-deepfillv2']) == 0
    out = capsys.readouterr().out
    assert 'model-zoo entry' in out and 'verified' in out and 'ready' in out
    converted = converted_path(entry)
    meta = torch.load(converted, map_location='cpu', weights_only=True)['meta']
    assert meta['zoo']['url'] == entry['url']
    assert meta['zoo']['sha256'] == hashlib.sha256(mmagic_bytes).hexdigest()
    assert meta['zoo']['converter_version'] == 1 and meta['zoo']['format'] == 'mmagic-deepfillv2'

    # by name: the cached checkpoint, no second download or conversion
    mtime = osp.getmtime(converted)
    model = init_inpaintor('fixture-deepfillv2')
    assert model.resolved.kind == 'zoo' and 'model-zoo entry fixture-deepfillv2' in \
        model.resolved.describe()
    assert len(zoo.requests) == 1 and osp.getmtime(converted) == mtime
    state = random_state(recorded_shapes('mmagic_deepfillv2_keys.txt'))
    assert torch.equal(model.state_dict()['generator.refine_dec.0.conv.weight'],
                       state['generator.stage2.decoder.dec1.conv.conv.weight'])
    image = np.random.default_rng(0).integers(0, 256, (128, 128, 3), dtype=np.uint8)
    mask = np.zeros((128, 128), np.uint8)
    mask[40:90, 30:80] = 1
    out = inpaint(model, image, mask)
    assert out.shape == image.shape and np.array_equal(out[mask == 0], image[mask == 0])
    assert main(['download', 'fixture-deepfillv2']) == 0
    assert 'already cached' in capsys.readouterr().out and len(zoo.requests) == 1


def test_first_use_downloads_when_the_environment_allows(zoo, mmagic_bytes, monkeypatch):
    entry = mmagic_entry(mmagic_bytes)
    zoo.add(entry)
    serve(zoo, entry, mmagic_bytes)
    monkeypatch.setenv('TOOLBOX_DOWNLOAD', '1')
    model = init_inpaintor('fixture-deepfillv2')
    assert model.resolved.name == 'fixture-deepfillv2' and len(zoo.requests) == 1


# -- a corrupted file, an interrupted download, offline ----------------------------------------

def test_a_corrupted_download_is_refused_and_deleted(zoo, mmagic_bytes):
    entry = mmagic_entry(mmagic_bytes)
    zoo.add(entry)
    bad = bytearray(mmagic_bytes)
    bad[len(bad) // 2] ^= 0xFF
    serve(zoo, entry, bytes(bad))
    with pytest.raises(HashMismatch, match=f'not the published {entry["sha256"]}.*deleted'):
        ensure_weights('fixture-deepfillv2', allow_download=True)
    assert not osp.exists(source_path(entry)) and not osp.exists(converted_path(entry))


def test_an_interrupted_download_resumes_where_it_stopped(zoo, mmagic_bytes):
    entry = mmagic_entry(mmagic_bytes)
    zoo.add(entry)
    serve(zoo, entry, mmagic_bytes)
    half = len(mmagic_bytes) // 2
    zoo.cut_after['/mmediting/inpainting/deepfillv2/' + entry['filename']] = half
    with pytest.raises(DownloadNotAllowed, match='run again to resume'):
        ensure_weights('fixture-deepfillv2', allow_download=True)
    assert osp.getsize(source_path(entry) + '.partial') == half
    path = ensure_weights('fixture-deepfillv2', allow_download=True)
    assert zoo.requests[-1][1] == f'bytes={half}-'          # only the rest was asked for
    with open(source_path(entry), 'rb') as f:
        assert f.read() == mmagic_bytes
    assert osp.isfile(path)


def test_offline_the_error_names_url_file_and_folder(zoo, mmagic_bytes, monkeypatch, capsys):
    from toolbox.cli import main
    entry = mmagic_entry(mmagic_bytes)
    zoo.add(entry)
    monkeypatch.setenv('TOOLBOX_OFFLINE', '1')
    assert main(['download', 'fixture-deepfillv2']) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'TOOLBOX_OFFLINE is set' in err[0]
    assert entry['url'] in err[0] and entry['filename'] in err[0]
    assert osp.dirname(source_path(entry)) + '/' in err[0]
    assert zoo.requests == []
    # put there by hand, the file is verified and converted offline
    import os
    os.makedirs(osp.dirname(source_path(entry)))
    with open(source_path(entry), 'wb') as f:
        f.write(mmagic_bytes)
    assert osp.isfile(ensure_weights('fixture-deepfillv2'))


def test_an_unreachable_server_fails_in_one_line(zoo, mmagic_bytes, monkeypatch):
    entry = mmagic_entry(mmagic_bytes)
    zoo.add(entry)
    with pytest.raises(DownloadNotAllowed) as info:         # 404 from the mirror
        ensure_weights('fixture-deepfillv2', allow_download=True)
    assert 'failed' in str(info.value) and entry['filename'] in str(info.value)


# -- trust on first use, in LaMa's zip layout ---------------------------------------------------

def _lama_zip(tmp_path, seed: int) -> bytes:
    state = random_state(recorded_shapes('lama_fourier_ngf8_keys.txt'), seed=seed)
    ckpt = tmp_path / f'best{seed}.ckpt'
    _lightning_checkpoint(state, ckpt)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as archive:
        archive.writestr('small-lama/config.yaml', 'generator: {}\n')
        archive.write(ckpt, 'small-lama/models/best.ckpt')
    return buf.getvalue()


def test_lama_without_a_published_hash_is_trusted_on_first_use(zoo, tmp_path):
    config = small_config(tmp_path, 'lama/fourier_places_256_released.py',
                          generator=dict(base_channels=8), discriminator=dict(base_channels=8))
    url = 'https://huggingface.co/smartywu/small-lama/resolve/main/small-lama.zip'
    entry = dict(name='fixture-lama', title='LaMa fixture', url=url, page=url,
                 filename='small-lama.zip', sha256=None, member='small-lama/models/best.ckpt',
                 licence='Apache-2.0', source='fixture', format='lama-fourier', config=config,
                 plugin='fixture')
    zoo.add(entry)
    first = _lama_zip(tmp_path, 0)
    zoo.files['/smartywu/small-lama/resolve/main/small-lama.zip'] = first
    path = ensure_weights('fixture-lama', allow_download=True)
    model = init_inpaintor('fixture-lama')
    assert model.resolved.kind == 'zoo'
    recorded = hashlib.sha256(first).hexdigest()
    meta = torch.load(path, map_location='cpu', weights_only=True)['meta']['zoo']
    assert meta['sha256'] == recorded and meta['member'] == 'small-lama/models/best.ckpt'
    import json
    import os
    with open(osp.join(os.environ['TOOLBOX_HOME'], 'trusted-sha256.json')) as f:
        assert json.load(f) == {url: recorded}

    # the file changes on the server: a fresh download no longer matches what was trusted
    os.remove(path)
    os.remove(source_path(entry))
    zoo.files['/smartywu/small-lama/resolve/main/small-lama.zip'] = _lama_zip(tmp_path, 1)
    with pytest.raises(HashMismatch, match='recorded at the first download'):
        ensure_weights('fixture-lama', allow_download=True)
    assert not osp.exists(source_path(entry))


# -- one namespace --------------------------------------------------------------------------------

def test_names_say_what_they_are_and_suggest_both_kinds(zoo, mmagic_bytes):
    from toolbox.config_names import UnknownNameError
    from toolbox.zoo import resolve_model_name
    zoo.add(mmagic_entry(mmagic_bytes))
    assert resolve_model_name('classical/telea').kind == 'config'
    assert resolve_model_name('configs/classical/telea.py').kind in ('file', 'config')
    assert resolve_model_name('fixture-deepfillv2').kind == 'zoo'
    with pytest.raises(UnknownNameError, match="did you mean 'fixture-deepfillv2'"):
        resolve_model_name('fixture-deepfilv2')
    with pytest.raises(UnknownNameError, match="did you mean 'deepfillv2/places_256'"):
        resolve_model_name('deepfillv2_places_256')


# -- toolbox serve ---------------------------------------------------------------------------------

def test_serve_offers_cached_zoo_models_and_marks_the_others_downloadable(zoo, mmagic_bytes):
    from toolbox.serve.catalog import Catalog, ModelUnavailable
    entry = mmagic_entry(mmagic_bytes)
    zoo.add(entry)
    serve(zoo, entry, mmagic_bytes)
    catalog = Catalog()
    status = {m['name']: m for m in catalog.as_json()}
    assert status['fixture-deepfillv2']['status'] == 'downloadable'
    assert status['big-lama']['status'] == 'downloadable'
    with pytest.raises(ModelUnavailable, match='toolbox download fixture-deepfillv2'):
        catalog.get('fixture-deepfillv2')
    # --model NAME --download: fetched at start, offered first, loads
    catalog = Catalog(models=('fixture-deepfillv2',), download=True)
    assert catalog.names()[0] == 'fixture-deepfillv2'
    status = {m['name']: m['status'] for m in catalog.as_json()}
    assert status['fixture-deepfillv2'] == 'available' and status['big-lama'] == 'downloadable'
    assert catalog.entries['fixture-deepfillv2'].checkpoint == converted_path(entry)
    assert catalog.get('fixture-deepfillv2') is not None
    # without --download, a zoo name whose weights are missing stops the start in one line
    with pytest.raises(DownloadNotAllowed, match='toolbox download big-lama'):
        Catalog(models=('big-lama',))
