"""The model zoo: released weights, fetched, verified and converted on demand.

Each plugin declares the weights released for its method through the hook
``toolbox_model_zoo`` (:class:`toolbox.hookspecs.ZooEntry`: name, URL, published hash,
licence, source format, converter, config); :func:`zoo_entries` collects them. A zoo name
(``big-lama``) has no ``/``, which keeps it apart from config names
(:mod:`toolbox.config_names`).

:func:`ensure_weights` gives the converted checkpoint of an entry. Everything lives under
:func:`toolbox_home` (``$TOOLBOX_HOME``, default ``~/.cache/inpainting-toolbox``):

* ``downloads/FILE``: the file as published (``FILE.partial`` while it downloads; an
  interrupted download resumes from where it stopped, with an HTTP ``Range`` request);
* ``models/NAME.pth``: the converted checkpoint, written once and atomically, holding its
  provenance in ``meta['zoo']`` (source URL, sha256, converter format and version);
* ``trusted-sha256.json``: the sha256 recorded at the first verified download of a file
  whose source publishes no hash (trust on first use; LaMa).

A download is made only when the caller allows it (``toolbox download NAME``, ``--download``,
or ``TOOLBOX_DOWNLOAD=1``) and the machine is not declared offline (``TOOLBOX_OFFLINE=1`` or
``HF_HUB_OFFLINE=1``). Otherwise, and when the server cannot be reached, the error is one
line naming the URL, the file and the folder to put it in by hand. A file whose sha256 does
not match is deleted and refused. ``TOOLBOX_ZOO_MIRROR=http://host:port`` fetches every URL
from that host instead, with the same path (a local mirror; the tests' loopback server).
"""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import os.path as osp
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile

__all__ = ['zoo_entries', 'ensure_weights', 'download', 'toolbox_home', 'weights_present',
           'ZooError', 'DownloadNotAllowed', 'HashMismatch', 'ENV_HOME', 'ENV_DOWNLOAD',
           'ENV_MIRROR', 'source_path', 'converted_path', 'download_allowed', 'resolve_model',
           'resolve_model_name']

ENV_HOME = 'TOOLBOX_HOME'
#: set to 1 to allow downloads at first use by name (as ``--download`` does)
ENV_DOWNLOAD = 'TOOLBOX_DOWNLOAD'
ENV_MIRROR = 'TOOLBOX_ZOO_MIRROR'
#: seconds without an answer from the server before a download fails
TIMEOUT = 20.0
CHUNK = 1 << 20


class ZooError(RuntimeError):
    """A zoo entry whose weights cannot be had; the message is one line."""


class DownloadNotAllowed(ZooError, FileNotFoundError):
    """The weights are not in the cache and may not (or cannot) be downloaded."""

    def __str__(self) -> str:
        return self.args[0]


class HashMismatch(ZooError):
    """A downloaded file whose sha256 is not the published (or first recorded) one."""


def _truthy(value: str | None) -> bool:
    return (value or '').strip().lower() not in ('', '0', 'false', 'no', 'off')


def toolbox_home() -> str:
    """``$TOOLBOX_HOME``, default ``$XDG_CACHE_HOME/inpainting-toolbox`` (``~/.cache/...``)."""
    if os.environ.get(ENV_HOME):
        return osp.abspath(osp.expanduser(os.environ[ENV_HOME]))
    cache = os.environ.get('XDG_CACHE_HOME') or osp.expanduser('~/.cache')
    return osp.join(cache, 'inpainting-toolbox')


def download_allowed(flag: bool | None = None) -> bool:
    """``flag`` if given, else ``$TOOLBOX_DOWNLOAD``."""
    return bool(flag) if flag is not None else _truthy(os.environ.get(ENV_DOWNLOAD))


def zoo_entries() -> dict:
    """``{name: entry}`` of every entry the loaded plugins declare (``toolbox_model_zoo``).

    An entry without exactly the keys of :class:`toolbox.hookspecs.ZooEntry`, a name with a
    ``/``, and a name declared twice are errors naming the plugin."""
    from toolbox.hookspecs import ZooEntry
    from toolbox.plugins import ensure_loaded, plugin_manager
    ensure_loaded()
    keys = set(ZooEntry.__annotations__)
    found: dict = {}
    for per_plugin in plugin_manager().hook.toolbox_model_zoo():
        for entry in per_plugin:
            where = f'toolbox_model_zoo() of plugin {entry.get("plugin")!r}'
            if set(entry) != keys:
                raise ValueError(f'{where}: entry {entry.get("name")!r} has the keys '
                                 f'{sorted(entry)}; expected {sorted(keys)}')
            if '/' in entry['name']:
                raise ValueError(f'{where}: zoo name {entry["name"]!r} contains "/" '
                                 '(reserved for config names)')
            if entry['name'] in found:
                raise ValueError(f'{where}: zoo name {entry["name"]!r} is also declared by '
                                 f'plugin {found[entry["name"]]["plugin"]!r}')
            found[entry['name']] = dict(entry)
    return dict(sorted(found.items()))


def _entry(name: str) -> dict:
    entries = zoo_entries()
    if name not in entries:
        import difflib
        close = difflib.get_close_matches(name, list(entries), n=3)
        hint = f'; did you mean {" or ".join(close)}?' if close else ''
        raise ZooError(f'no model-zoo entry named {name!r}{hint} (entries: '
                       f'{", ".join(entries) or "none"})')
    return entries[name]


def source_path(entry: dict) -> str:
    """Where the published file is kept (and where a user puts it by hand)."""
    return osp.join(toolbox_home(), 'downloads', entry['filename'])


def converted_path(entry: dict) -> str:
    return osp.join(toolbox_home(), 'models', f'{entry["name"]}.pth')


def _fetch_url(url: str) -> str:
    mirror = os.environ.get(ENV_MIRROR)
    if not mirror:
        return url
    parts = urllib.parse.urlsplit(url)
    return mirror.rstrip('/') + parts.path + (f'?{parts.query}' if parts.query else '')


def _by_hand(entry: dict) -> str:
    where = entry['url'] or entry['page']
    return (f'download {where} by hand and put {entry["filename"]} in '
            f'{osp.dirname(source_path(entry))}/')


def _offline_reason() -> str | None:
    for var in ('TOOLBOX_OFFLINE', 'HF_HUB_OFFLINE'):
        if _truthy(os.environ.get(var)):
            return f'{var} is set'
    return None


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(CHUNK), b''):
            digest.update(block)
    return digest.hexdigest()


def _trusted_file() -> str:
    return osp.join(toolbox_home(), 'trusted-sha256.json')


def _trusted() -> dict:
    try:
        with open(_trusted_file()) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def _trust_key(entry: dict) -> str:
    return entry['url'] or entry['filename']


def _trust(entry: dict, digest: str) -> None:
    records = _trusted()
    records[_trust_key(entry)] = digest
    tmp = f'{_trusted_file()}.{os.getpid()}.tmp'
    with open(tmp, 'w') as f:
        json.dump(records, f, indent=1, sort_keys=True)
    os.replace(tmp, _trusted_file())


def _expected_hash(entry: dict) -> tuple[str | None, str]:
    """(hex prefix the file's sha256 must start with or None, where it comes from)."""
    if entry['sha256']:
        return entry['sha256'].lower(), 'published'
    recorded = _trusted().get(_trust_key(entry))
    return recorded, 'recorded at the first download (trust on first use)'


def _verify(entry: dict, path: str) -> str:
    """The file's sha256; a mismatch deletes the file and raises :class:`HashMismatch`."""
    digest = sha256_of(path)
    expected, origin = _expected_hash(entry)
    if expected is not None and not digest.startswith(expected):
        os.remove(path)
        raise HashMismatch(f'{entry["name"]}: {entry["filename"]} has sha256 {digest}, not the '
                           f'{origin} {expected}...; the file was deleted (fetch it again)')
    return digest


def _download_file(url: str, dst: str, say=print) -> None:
    """``url`` to ``dst``, resuming ``dst.partial`` with a Range request if the server
    supports it; the file appears at ``dst`` only when complete."""
    os.makedirs(osp.dirname(dst), exist_ok=True)
    part = f'{dst}.partial'
    have = osp.getsize(part) if osp.isfile(part) else 0
    request = urllib.request.Request(url, headers={'Range': f'bytes={have}-'} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:          # the partial file is already complete
            os.replace(part, dst)
            return
        raise
    with response:
        resumed = have and response.status == 206
        if have and not resumed:
            have = 0                          # the server sent the whole file again
        total = response.headers.get('Content-Length')
        total = int(total) + have if total is not None else None
        say(f'downloading {url}' + (f' ({total / 2 ** 20:.1f} MiB' if total else '') +
            (f', resuming at {have / 2 ** 20:.1f} MiB)' if resumed else ')' if total else ''))
        with open(part, 'ab' if resumed else 'wb') as f:
            while True:
                block = response.read(CHUNK)
                if not block:
                    break
                f.write(block)
    if total is not None and osp.getsize(part) != total:
        raise ConnectionError(f'the connection closed after {osp.getsize(part)} of {total} '
                              'bytes')
    os.replace(part, dst)


def download(name: str, *, say=print) -> str:
    """Fetch (or find) and verify the published file of ``name``; returns its path.

    Downloads are always allowed here (``toolbox download``); offline, or on a network
    error, the error is one line with the URL, the file and where to put it by hand."""
    entry = _entry(name)
    path = source_path(entry)
    if not osp.isfile(path):
        offline = _offline_reason()
        if entry['url'] is None:
            raise DownloadNotAllowed(f'{name}: {entry["source"]} publishes no direct download; '
                                     f'{_by_hand(entry)}')
        if offline:
            raise DownloadNotAllowed(f'{name}: not downloaded ({offline}); {_by_hand(entry)}')
        url = _fetch_url(entry['url'])
        try:
            _download_file(url, path, say=say)
        except (OSError, urllib.error.URLError, http.client.HTTPException) as exc:
            reason = getattr(exc, 'reason', None) or exc
            raise DownloadNotAllowed(f'{name}: downloading {url} failed ({reason}); run again '
                                     f'to resume, or {_by_hand(entry)}') from exc
    _verify(entry, path)
    return path


def _read_converted_meta(path: str) -> dict | None:
    import torch
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=True, mmap=True)
    except Exception:  # noqa: BLE001 - a damaged cache file is converted again
        return None
    return (checkpoint.get('meta') or {}).get('zoo') if isinstance(checkpoint, dict) else None


def _provenance(entry: dict, digest: str) -> dict:
    from toolbox.apis.convert import find_converter
    converter = find_converter(entry['format'])
    return dict(name=entry['name'], url=entry['url'], file=entry['filename'],
                member=entry['member'], sha256=digest, format=entry['format'],
                converter=f'{type(converter).__module__}.{type(converter).__qualname__}',
                converter_version=converter.version, config=entry['config'])


def weights_present(name: str) -> bool:
    """Whether the converted checkpoint of ``name`` is in the cache and current."""
    entry = _entry(name)
    path = converted_path(entry)
    if not osp.isfile(path):
        return False
    from toolbox.apis.convert import find_converter
    meta = _read_converted_meta(path)
    return bool(meta) and meta.get('converter_version') == \
        find_converter(entry['format']).version and meta.get('url') == entry['url']


def ensure_weights(name: str, *, allow_download: bool | None = None, say=None) -> str:
    """The converted checkpoint of zoo entry ``name``: from the cache, or converted from the
    published file (downloaded first if allowed; see the module)."""
    say = say or (lambda text: print(text, file=sys.stderr))
    entry = _entry(name)
    dst = converted_path(entry)
    if weights_present(name):
        return dst
    src = source_path(entry)
    if not osp.isfile(src):
        if not download_allowed(allow_download):
            raise DownloadNotAllowed(
                f'the weights of model-zoo model {name} are not downloaded; run '
                f'`toolbox download {name}` (or pass '
                f'--download, or set {ENV_DOWNLOAD}=1), or {_by_hand(entry)}')
    src = download(name, say=say)
    digest = sha256_of(src)
    say(f'{name}: sha256 {digest[:16]}... verified; converting with {entry["format"]}')
    _convert(entry, src, dst, _provenance(entry, digest))
    if not entry['sha256'] and _trust_key(entry) not in _trusted():
        _trust(entry, digest)          # the first file that converted is the trusted one
    return dst


def _convert(entry: dict, src: str, dst: str, provenance: dict) -> None:
    from toolbox.apis.convert import convert_weights
    from toolbox.config_names import resolve_config
    config = resolve_config(entry['config']).path
    if entry['member'] is None:
        convert_weights(entry['format'], src, dst, config, provenance=provenance)
        return
    with zipfile.ZipFile(src) as archive:
        if entry['member'] not in archive.namelist():
            raise ZooError(f'{entry["name"]}: {src} holds no {entry["member"]}')
        with tempfile.TemporaryDirectory(dir=osp.dirname(src)) as tmp:
            member = archive.extract(entry['member'], tmp)
            convert_weights(entry['format'], member, dst, config, provenance=provenance)


def resolve_model(text: str, checkpoint: str | None = None, *,
                  allow_download: bool | None = None):
    """``(config path, checkpoint, Resolved)`` for a name a user typed: a config file, a
    shipped config's name (``checkpoint`` as given) or a zoo name (its config, and its
    converted checkpoint unless ``checkpoint`` is given; see :func:`ensure_weights`)."""
    resolved = resolve_model_name(text)
    if resolved.kind == 'zoo' and checkpoint is None:
        checkpoint = ensure_weights(resolved.name, allow_download=allow_download)
    return resolved.path, checkpoint, resolved


def resolve_model_name(text: str):
    """What ``text`` names (:class:`toolbox.config_names.Resolved`): a config file, a shipped
    config's name or a model-zoo name, in this order (the names never overlap: config names
    have a ``/``). An unknown name suggests the closest of both kinds."""
    from toolbox.config_names import Resolved, resolve_config, shipped_configs
    entries = zoo_entries()
    if text in entries and not osp.isfile(text):
        config = entries[text]['config']
        return Resolved('zoo', shipped_configs().get(config, config), text)
    return resolve_config(text, other_names=entries)
