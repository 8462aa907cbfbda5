"""``toolbox serve``: a web page and a REST API for inpainting photos.

FastAPI and uvicorn come with the ``serve`` extra (``pip install -e ".[serve]"``); this
package imports them only when a server is built.
"""
from __future__ import annotations

__all__ = ['create_app', 'Settings', 'serve']


def __getattr__(name):
    if name in ('create_app', 'Settings'):
        from . import app
        return getattr(app, name)
    raise AttributeError(name)


def serve(settings, host: str = '127.0.0.1', port: int = 8000, log_level: str = 'info') -> None:
    """Run the server until interrupted."""
    import uvicorn

    from .app import create_app
    app = create_app(settings)
    print(f'serving {", ".join(app.state.catalog.names())} at http://{host}:{port}/ '
          f'(API documentation: http://{host}:{port}/docs)', flush=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
