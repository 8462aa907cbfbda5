"""Finding pretrained weights on disk, with a fast and clear error when they are missing.

Every pretrained network of the toolbox (AlexNet/VGG for LPIPS, Inception for FID, VGG19
for perceptual losses, timm backbones for discriminators) asks :func:`resolve_weights` for
its file. The file is looked up, in this order:

1. ``path`` -- a path from the config (a file, or a folder holding ``filename``);
   when it is given and wrong, that is the error: nothing else is searched;
2. every folder in the environment variable ``TOOLBOX_WEIGHTS`` (``os.pathsep``-separated);
3. torch's hub cache, where torchvision and ``torch.hub`` keep downloads:
   ``$TORCH_HOME/hub/checkpoints`` (default ``~/.cache/torch/hub/checkpoints``);
4. the Hugging Face hub cache used by timm (``$HF_HUB_CACHE``, ``$HF_HOME/hub`` or
   ``~/.cache/huggingface/hub``), in ``models--*/snapshots/*/``;
5. a download from ``url`` into the torch hub cache -- unless the machine is declared
   offline (``TOOLBOX_OFFLINE=1`` or ``HF_HUB_OFFLINE=1``) or the server cannot be
   reached within a second.

When all of that fails, :class:`WeightsNotFoundError` names the file, the folder to put it
in and where to download it. It is a ``FileNotFoundError``, so the command-line tools
report it as one line.
"""
from __future__ import annotations

import glob
import os
import os.path as osp
import socket
import time
import urllib.parse

__all__ = ['WeightsNotFoundError', 'resolve_weights', 'load_state_dict_file', 'torch_hub_dir',
           'torchvision_weights_file', 'timm_weights_file',
           'hf_hub_cache_dir', 'is_offline', 'ENV_WEIGHTS', 'ENV_OFFLINE']

#: Folders searched for weight files, before the standard caches.
ENV_WEIGHTS = 'TOOLBOX_WEIGHTS'
#: Set to 1 to never try a download.
ENV_OFFLINE = 'TOOLBOX_OFFLINE'
#: Seconds to wait for the download server to accept a connection.
CONNECT_TIMEOUT = 1.0


class WeightsNotFoundError(FileNotFoundError):
    """A pretrained weight file that is neither configured, nor cached, nor downloadable.

    Attributes: ``filename`` (the file's exact name), ``folder`` (where to put it),
    ``url`` (where to get it, or ``None``), ``searched`` (the places looked at).
    """

    def __init__(self, message: str, *, filename: str, folder: str, url: str | None,
                 searched: list[str]) -> None:
        super().__init__(message)
        self.message = message
        self.filename = filename
        self.folder = folder
        self.url = url
        self.searched = searched

    def __str__(self) -> str:  # FileNotFoundError would format (errno, strerror)
        return self.message


def _truthy(value: str | None) -> bool:
    return (value or '').strip().lower() not in ('', '0', 'false', 'no', 'off')


def is_offline() -> bool:
    """Whether downloads are switched off (``TOOLBOX_OFFLINE`` or ``HF_HUB_OFFLINE``)."""
    return _truthy(os.environ.get(ENV_OFFLINE)) or _truthy(os.environ.get('HF_HUB_OFFLINE'))


def torch_hub_dir() -> str:
    """torch's download cache for weight files: ``$TORCH_HOME/hub/checkpoints``."""
    import torch
    return osp.join(torch.hub.get_dir(), 'checkpoints')


def hf_hub_cache_dir() -> str:
    """The Hugging Face hub cache that timm downloads into."""
    if os.environ.get('HF_HUB_CACHE'):
        return os.environ['HF_HUB_CACHE']
    home = os.environ.get('HF_HOME') or osp.join(
        os.environ.get('XDG_CACHE_HOME') or osp.expanduser('~/.cache'), 'huggingface')
    return osp.join(home, 'hub')


def _download(url: str, folder: str, filename: str) -> str:
    """Download ``url`` to ``folder/filename``; fails within about a second when offline."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == 'https' else 80)
    # Probe first: torch's downloader has no timeout, and an unreachable host must not
    # hang the first use of a metric.
    with socket.create_connection((parts.hostname, port), timeout=CONNECT_TIMEOUT):
        pass
    import torch
    os.makedirs(folder, exist_ok=True)
    dst = osp.join(folder, filename)
    tmp = f'{dst}.{os.getpid()}.partial'
    try:
        torch.hub.download_url_to_file(url, tmp, progress=True)
        os.replace(tmp, dst)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return dst


def resolve_weights(name: str, filename: str, url: str | None = None, path: str | None = None,
                    *, hf_repo: str | None = None, option: str | None = None,
                    download: bool = True) -> str:
    """The local path of the weight file ``filename`` of ``name`` (see the module docstring).

    Args:
        name: what the weights are for, for messages (``'LPIPS AlexNet backbone'``).
        filename: the file's exact name as its publisher names it
            (``'alexnet-owt-7be5be79.pth'``).
        url: where it can be downloaded; ``None`` when it cannot.
        path: a file or folder from the config; if given it must exist.
        hf_repo: a Hugging Face repository (``'timm/vgg19.tv_in1k'``) to narrow the hub
            cache search to; ``None`` searches every cached repository for ``filename``.
        option: how a user passes ``path``, for the message (``"LPIPS(weights=...)"``).
        download: try ``url`` when the file is not found (still not when offline).

    Raises:
        WeightsNotFoundError: naming ``filename``, the folder to put it in and ``url``.
    """
    hub = torch_hub_dir()
    searched: list[str] = []
    how = f' (or pass its path with {option})' if option else ''
    if path:
        path = osp.expanduser(str(path))
        candidate = osp.join(path, filename) if osp.isdir(path) else path
        if osp.isfile(candidate):
            return candidate
        raise WeightsNotFoundError(
            f'{name}: the configured weights {candidate} do not exist; the expected file '
            f'is {filename}' + (f', downloadable from {url}' if url else '') + '.',
            filename=filename, folder=osp.dirname(candidate) or '.', url=url,
            searched=[candidate])

    folders = [f for f in os.environ.get(ENV_WEIGHTS, '').split(os.pathsep) if f]
    folders.append(hub)
    for folder in folders:
        candidate = osp.join(osp.expanduser(folder), filename)
        searched.append(candidate)
        if osp.isfile(candidate):
            return candidate

    hf = hf_hub_cache_dir()
    repo_dir = 'models--' + hf_repo.replace('/', '--') if hf_repo else 'models--*'
    pattern = osp.join(hf, repo_dir, 'snapshots', '*', filename)
    searched.append(pattern)
    found = sorted(glob.glob(pattern), key=osp.getmtime)
    if found:
        return found[-1]

    why = ''
    if url and download:
        if is_offline():
            var = ENV_OFFLINE if _truthy(os.environ.get(ENV_OFFLINE)) else 'HF_HUB_OFFLINE'
            why = f' Not downloaded: {var} is set.'
        else:
            start = time.monotonic()
            try:
                return _download(url, hub, filename)
            except Exception as exc:  # noqa: BLE001 - reported in the error below
                why = (f' Downloading it failed after {time.monotonic() - start:.1f} s '
                       f'({type(exc).__name__}: {exc}).')
    where = f' Download it from {url}.' if url else ''
    raise WeightsNotFoundError(
        f'{name}: weights file {filename} not found. Put it in {hub}/ (the torch hub '
        f'cache, $TORCH_HOME/hub/checkpoints) or in a folder named by ${ENV_WEIGHTS}'
        f'{how}.{where}{why}',
        filename=filename, folder=hub, url=url, searched=searched)


def load_state_dict_file(path: str) -> dict:
    """Read a weight file weights-only (no pickled code) on the CPU."""
    import torch
    state = torch.load(path, map_location='cpu', weights_only=True)
    if isinstance(state, dict) and 'state_dict' in state and isinstance(state['state_dict'], dict):
        state = state['state_dict']
    if not isinstance(state, dict):
        raise ValueError(f'weights file {path} does not hold a state dict '
                         f'(found {type(state).__name__})')
    return state


def torchvision_weights_file(arch: str, name: str, path: str | None = None,
                             option: str | None = None) -> str:
    """The local file of torchvision's default pretrained weights for ``arch`` (``'vgg19'``),
    by the file name and address torchvision itself records; see :func:`resolve_weights`."""
    import torchvision
    url = torchvision.models.get_model_weights(arch).DEFAULT.url
    return resolve_weights(name, url.rsplit('/', 1)[-1], url=url, path=path, option=option)


def timm_weights_file(model_name: str, name: str, path: str | None = None,
                      option: str | None = None) -> str:
    """The local file of timm's default pretrained weights for ``model_name``.

    timm's own Hugging Face cache is searched first; otherwise the file goes by a name that
    says which model it is (``resnet50.a1_in1k.safetensors``) through
    :func:`resolve_weights`. Load it with ``timm.create_model(model_name, pretrained=True,
    pretrained_cfg_overlay=dict(file=PATH))``.
    """
    import timm
    cfg = timm.models.get_pretrained_cfg(model_name)
    if cfg is None:
        raise ValueError(f'{name}: timm has no pretrained weights for {model_name!r}')
    if cfg.hf_hub_id:
        if not path:
            repo = 'models--' + cfg.hf_hub_id.replace('/', '--')
            cached = sorted(glob.glob(osp.join(hf_hub_cache_dir(), repo, 'snapshots', '*',
                                               'model.safetensors')))
            if cached:
                return cached[-1]
        filename = cfg.hf_hub_id.split('/')[-1] + '.safetensors'
        url = f'https://huggingface.co/{cfg.hf_hub_id}/resolve/main/model.safetensors'
    else:
        filename, url = cfg.url.rsplit('/', 1)[-1], cfg.url
    return resolve_weights(name, filename, url=url, path=path, option=option)
