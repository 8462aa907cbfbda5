"""The package as a user installs it: every tool is a `toolbox` command, and a built wheel,
installed with only [serve] into a fresh environment outside the checkout, runs from a
temporary folder (components, Telea on a photo, 2 training iterations of a demo config,
`toolbox serve` answering a request, the missing-extra messages).

The fresh environment has no network: its third-party packages are exactly those that
``inpainting-toolbox[serve]`` requires, transitively (read from the installed packages'
metadata), made visible to a venv *without* the system site-packages through a folder of
links named in a ``.pth`` file; pip then installs the wheel ``--no-index`` with
``-c requirements/constraints.txt`` and must find every requirement satisfied. Packages
of the other extras (onnx, matplotlib, ...) are absent, as after ``pip install
"inpainting-toolbox[serve]"``.
"""
from __future__ import annotations

import glob
import importlib.metadata as md
import json
import os
import os.path as osp
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from .utils import REPO


# -- the wheel in a fresh environment ---------------------------------------------------------

def _closure(requirements: list[str], extras=('serve',)) -> dict:
    """Distribution names needed by ``requirements`` (with ``extras``), transitively."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    todo = [(Requirement(r), tuple(extras)) for r in requirements]
    found: dict = {}
    while todo:
        req, active = todo.pop()
        env = [{'extra': e} for e in active] or [{'extra': ''}]
        if req.marker is not None and not any(req.marker.evaluate(e) for e in env):
            continue
        name = canonicalize_name(req.name)
        if name in found:
            continue
        dist = _installed(req)
        found[name] = dist
        todo += [(Requirement(r), tuple(req.extras)) for r in dist.requires or []]
    return found


def _installed(req):
    """The first installed distribution on sys.path that satisfies ``req`` (a venv may
    hold an older copy, e.g. ensurepip's setuptools, before the base one)."""
    candidates = list(md.distributions(name=req.name))
    for dist in candidates:
        if req.specifier.contains(dist.version, prereleases=True):
            return dist
    raise AssertionError(f'{req} is not installed ({[d.version for d in candidates]})')


def _view(tmp_path) -> str:
    """A folder of links to the installed files of the [serve] closure only."""
    own = md.distribution('inpainting-toolbox')
    view = tmp_path / 'serve-closure'
    view.mkdir()
    for name, dist in sorted(_closure(own.requires or []).items()):
        root = str(dist.locate_file(''))
        tops = {str(f).split('/')[0] for f in dist.files or [] if not str(f).startswith('..')}
        # its own metadata folder only (a stale one of an older version may share a name)
        tops = {t for t in tops if not t.endswith('.dist-info')} | {dist._path.name}
        for top in tops - {'__pycache__'}:
            src, dst = osp.join(root, top), view / top
            if osp.exists(src) and not dst.exists() and not top.endswith('.pth'):
                dst.symlink_to(src)
    return str(view)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_wheel_installed_with_only_serve_runs_outside_the_checkout(tmp_path):
    def run(cmd, cwd, **kw):
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env,
                              timeout=600, **kw)
        return proc

    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'VIRTUAL_ENV')}
    env.update(OMP_NUM_THREADS='1', HF_HUB_OFFLINE='1', PIP_DISABLE_PIP_VERSION_CHECK='1',
               TOOLBOX_HOME=str(tmp_path / 'home'))
    wheels = tmp_path / 'wheels'
    proc = run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation',
                '-q', '-w', str(wheels), REPO], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    wheel, = glob.glob(str(wheels / '*.whl'))

    venv = tmp_path / 'venv'
    # no pip or setuptools of its own: this pip installs into it (--python)
    proc = run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    py = str(venv / 'bin' / 'python')
    site = run([py, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
               cwd=tmp_path).stdout.strip()
    with open(osp.join(site, 'serve_closure.pth'), 'w') as f:
        f.write(_view(tmp_path) + '\n')
    proc = run([sys.executable, '-m', 'pip', '--python', py, 'install', '-q', '--no-index',
                f'{wheel}[serve]',
                '-c', osp.join(REPO, 'requirements', 'constraints.txt')], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr       # every requirement found installed

    work = tmp_path / 'elsewhere'
    work.mkdir()
    toolbox = str(venv / 'bin' / 'toolbox')
    proc = run([py, '-c', 'import toolbox, toolbox_configs; print(toolbox.__file__)'], cwd=work)
    assert proc.stdout.startswith(site), proc.stdout + proc.stderr     # not the checkout

    # components
    proc = run([toolbox, 'list', 'generators'], cwd=work)
    assert proc.returncode == 0 and 'TeleaInpaint' in proc.stdout, proc.stderr
    proc = run([toolbox, 'configs'], cwd=work)
    assert 'deepfillv2/places_256  config' in proc.stdout and 'big-lama  zoo' in proc.stdout

    # Telea on a photo, the config named as in the package
    proc = run([py, '-c', 'import cv2, numpy as np; from skimage import data; '
                'cv2.imwrite("photo.png", data.astronaut()[..., ::-1]); '
                'm = np.zeros((512, 512), np.uint8); m[200:260, 180:300] = 255; '
                'cv2.imwrite("mask.png", m)'], cwd=work)
    assert proc.returncode == 0, proc.stderr
    proc = run([toolbox, 'inpaint', '--model', 'classical/telea', '--image', 'photo.png',
                '--mask', 'mask.png', '--out', 'out.png'], cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert 'shipped config classical/telea' in proc.stderr and (work / 'out.png').is_file()

    # a user's config inheriting a shipped one by name; 2 iterations of training
    (work / 'mine.py').write_text("_base_ = ['basic/demo.py']\n"
                                  "train_cfg = dict(max_iters=2, val_interval=2)\n"
                                  "default_hooks = dict(checkpoint=dict(interval=2))\n")
    proc = run([toolbox, 'train', 'mine.py', '--work-dir', 'run'], cwd=work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (work / 'run' / 'iter_2.pth').is_file()

    # the missing extras: one line naming the extra, exit 2
    proc = run([toolbox, 'export', 'classical/telea', 'none', '--out', 'm.onnx'], cwd=work)
    assert proc.returncode == 2 and 'inpainting-toolbox[onnx]' in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    # (no check of [plot]: matplotlib comes with mmengine, a requirement of the toolbox)

    # toolbox serve answers one request
    port = _free_port()
    server = subprocess.Popen([toolbox, 'serve', '--port', str(port), '--log-level', 'warning'],
                              cwd=work, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        base = f'http://127.0.0.1:{port}'
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(base + '/api/v1/models', timeout=5) as r:
                    models = json.load(r)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, \
                    server.stdout.read() if server.poll() is not None else 'no answer'
                time.sleep(1)
        status = {m['name']: m['status'] for m in models['models']}
        assert status['telea'] == 'available' and status['big-lama'] == 'downloadable'
        import httpx
        answer = httpx.post(base + '/api/v1/inpaint', timeout=120, files={
            'image': ('photo.png', (work / 'photo.png').read_bytes(), 'image/png'),
            'mask': ('mask.png', (work / 'mask.png').read_bytes(), 'image/png')},
            data={'model': 'telea'})
        assert answer.status_code == 200 and answer.content[:8] == b'\x89PNG\r\n\x1a\n'
    finally:
        server.terminate()
        server.wait(30)
