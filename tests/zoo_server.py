"""A small HTTP server on 127.0.0.1 for the model-zoo tests: serves files from memory by
URL path, honours ``Range`` requests (as download.openmmlab.com and huggingface.co do), and
can cut a response short once, to test an interrupted download. Nothing leaves the machine.
"""
from __future__ import annotations

import http.server
import threading


class ZooServer:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        #: path -> bytes to send before dropping the connection, for the next request only
        self.cut_after: dict[str, int] = {}
        #: (path, Range header or None) of every request
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:      # quiet
                pass

            def do_GET(self) -> None:
                rng = self.headers.get('Range')
                server.requests.append((self.path, rng))
                data = server.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                if rng:
                    start = int(rng.split('=', 1)[1].split('-', 1)[0])
                    if start >= len(data):
                        self.send_error(416)
                        return
                    self.send_response(206)
                    self.send_header('Content-Range', f'bytes {start}-{len(data) - 1}/{len(data)}')
                else:
                    self.send_response(200)
                self.send_header('Content-Length', str(len(data) - start))
                self.end_headers()
                body = data[start:]
                cut = server.cut_after.pop(self.path, None)
                if cut is not None:
                    self.wfile.write(body[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'http://127.0.0.1:{self.httpd.server_address[1]}'
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main() -> None:
    """Serve FILE=URLPATH pairs until killed (the transcript in the docs uses this)."""
    import sys
    import time
    server = ZooServer()
    for item in sys.argv[1:]:
        path, _, url_path = item.partition('=')
        with open(path, 'rb') as f:
            server.files[url_path] = f.read()
    print(server.url, flush=True)
    while True:
        time.sleep(3600)


if __name__ == '__main__':
    main()
