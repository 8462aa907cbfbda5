#!/usr/bin/env python
"""Peak memory of ``toolbox serve`` under concurrent maximum-size requests.

    toolbox benchmark serve_memory [--side 6000] [--requests 6] [--serve-args ...]

Starts ``toolbox serve`` (Telea, no checkpoint), sends ``--requests`` photos of
``--side`` x ``--side`` pixels at once (PNGs of a few tens of KB that decode to hundreds of
MB), and reports the server's resident memory before the requests and its peak (the
kernel's ``VmHWM``, so no sample is missed). Linux only (reads ``/proc``).
"""
from __future__ import annotations

import argparse
import io
import socket
import subprocess
import sys
import threading
import time

import numpy as np



def _kib(pid: int, key: str) -> int:
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    raise KeyError(key)


def _png(array: np.ndarray) -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format='PNG', optimize=True)
    return buf.getvalue()


def main(argv=None) -> int:
    import httpx
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--side', type=int, default=6000)
    p.add_argument('--requests', type=int, default=6)
    p.add_argument('--serve-args', nargs=argparse.REMAINDER, default=[],
                   help='more options for toolbox serve, e.g. --max-pixels 50000000')
    args = p.parse_args(argv)

    photo = np.zeros((args.side, args.side, 3), np.uint8)
    photo[::2, ::2] = 40
    mask = np.zeros((args.side, args.side), np.uint8)
    mask[100:140, 100:160] = 255
    files = {'image': ('p.png', _png(photo), 'image/png'),
             'mask': ('m.png', _png(mask), 'image/png')}
    del photo, mask
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, '-m', 'toolbox.cli', 'serve', '--port',
                               str(port), '--threads', '1', '--log-level', 'warning',
                               *args.serve_args])
    url = f'http://127.0.0.1:{port}'
    try:
        while True:
            try:
                if httpx.get(f'{url}/api/v1/models', timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        base = _kib(server.pid, 'VmRSS')
        answers, times = [None] * args.requests, [0.0] * args.requests

        def send(i):
            start = time.monotonic()
            answers[i] = httpx.post(f'{url}/api/v1/inpaint', files=files, timeout=600,
                                    data=dict(model='telea')).status_code
            times[i] = time.monotonic() - start
        threads = [threading.Thread(target=send, args=(i,)) for i in range(args.requests)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        peak = _kib(server.pid, 'VmHWM')
    finally:
        server.terminate()
        server.wait(30)
    size = sum(len(f[1]) for f in files.values())
    print(f'{args.requests} concurrent requests of {args.side}x{args.side} '
          f'({size / 1024:.0f} KiB each): statuses {answers}')
    print(f'server RSS before: {base / 1024:.0f} MiB; peak: {peak / 1024:.0f} MiB '
          f'(+{(peak - base) / 1024:.0f} MiB); slowest answer {max(times):.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
