"""The web application: the page, ``POST /api/v1/inpaint``, ``GET /api/v1/models``.

FastAPI builds the OpenAPI document (``/openapi.json``, shown at ``/docs``). The inpaint
endpoint reads its body itself, because it takes two encodings (multipart or base64 JSON)
and must refuse an oversized body before parsing it; its request schema is therefore
stated explicitly, from the same pydantic model that validates the options.
"""
from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import logging
import math
import os.path as osp
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from toolbox.apis.hd import CROP_MARGIN, CROP_TRIGGER, HD_STRATEGIES, run_strategy

from .catalog import Catalog, ModelUnavailable, samples
from .decode import InputError, decode_image, decode_mask, from_base64

STATIC = osp.join(osp.dirname(osp.abspath(__file__)), 'static')
API = '/api/v1'
log = logging.getLogger('toolbox.serve')


@dataclass
class Settings:
    """What ``toolbox serve`` is started with."""

    models_dir: str | None = None
    device: str = 'cpu'
    #: used when a request names none
    hd_strategy: str = 'crop'
    crop_trigger: int = CROP_TRIGGER
    crop_margin: int = CROP_MARGIN
    #: the largest image or mask accepted, in pixels (width x height)
    max_pixels: int = 40_000_000
    #: the largest request body accepted, in bytes
    max_upload_bytes: int = 100 * 2 ** 20
    #: requests whose photo is decoded and held at once (decoding, waiting for the model,
    #: inpainting, encoding). Memory: base + max_decodes x (the largest photo's cost)
    max_decodes: int = 1
    #: requests admitted at once (receiving, waiting, running); one more gets 429
    max_queue: int = 8
    #: accept only models-folder configs of plain values over a shipped config
    plain_configs: bool = False
    #: --model NAME: zoo names, shipped config names or config files, offered first
    models: tuple = ()
    #: --download: fetch the weights of --model zoo names that are not cached
    download: bool | None = None
    #: the most results (``num_results``) one request may ask of a model that samples;
    #: each is a whole inpainting run, and all are held until the answer is sent
    max_results: int = 8


class InpaintOptions(BaseModel):
    """The options of an inpainting request, in either encoding."""

    model_config = ConfigDict(extra='forbid')
    model: str | None = Field(None, description='A name from `GET /api/v1/models`; default: '
                                                'the first one listed.')
    hd_strategy: Literal[HD_STRATEGIES] | None = Field(
        None, description='How a large photo is fitted to the model (see '
                          '`toolbox.apis.hd`); default: the server\'s (`crop` unless started '
                          'with another).')
    seed: int | None = Field(None, ge=0, le=2 ** 32 - 1,
                             description='Seeds torch before inpainting; default 0.')
    job: str | None = Field(None, max_length=64, pattern=r'^[A-Za-z0-9_-]+$',
                            description='An id of your choice to follow the request with '
                                        '`GET /api/v1/progress/{job}` while it runs.')
    num_results: int | None = Field(
        None, ge=1, description='How many completions to draw: result `i` is the one of '
                                'seed `seed + i` (the same as a single result asked for '
                                'with that seed). More than 1 only for a model with '
                                '`samples: true` in `GET /api/v1/models`, and at most its '
                                '`max_results`. Given, the answer is JSON (`Results`), '
                                'not a PNG.')


IMAGE_TEXT = 'The photo: a PNG, JPEG, WebP, BMP or TIFF file (EXIF orientation applied).'
MASK_TEXT = ('The mask, the size of the photo. A pixel is a hole when any colour channel is '
             'above 127 (white or any colour painted on black); in a mask with transparency, '
             'when it is opaque (alpha above 127), whatever its colour. The same rule as '
             'the CLI and the Python API.')


class InpaintJSON(InpaintOptions):
    """``POST /api/v1/inpaint`` as ``application/json``."""

    image: str = Field(description=IMAGE_TEXT + ' Base64, or a `data:...;base64,` URL.')
    mask: str = Field(description=MASK_TEXT + ' Base64, or a `data:...;base64,` URL.')


class Error(BaseModel):
    """A refused request: the message names the field at fault."""

    detail: str = Field(description='`<field>: <what is wrong>`')
    field: str = Field(description='The request field at fault: image, mask, model, '
                                   'hd_strategy, seed, job, num_results, body or a field '
                                   'not documented.')


class ModelInfo(BaseModel):
    name: str
    description: str
    config: str | None = Field(description='Its config file; null for a built-in model.')
    checkpoint: str | None = Field(description='Its checkpoint; null where it needs none.')
    builtin: bool
    status: Literal['available', 'unavailable', 'downloadable'] = Field(
        description='`available`: offered (loaded on first use); `unavailable`: its files '
                    'failed to load (`reason` says why) and requests naming it get 503 until '
                    'they change; `downloadable`: offered once its weights are downloaded.')
    reason: str | None = Field(None, description='Why it is unavailable; null otherwise.')
    samples: bool = Field(description='Whether it draws a different completion for each '
                                      'seed (a stochastic model such as Pluralistic): only '
                                      'then may a request ask for `num_results` above 1.')


class ModelsAnswer(BaseModel):
    models: list[ModelInfo]
    default: str = Field(description='The model used when a request names none.')
    hd_strategies: list[str]
    default_hd_strategy: str = Field(description='Used when a request names none.')
    crop_trigger: int = Field(description='`crop` runs on photos longer than this (px).')
    crop_margin: int = Field(description='`crop`: context pixels around each hole.')
    max_pixels: int = Field(description='The largest photo accepted (width x height).')
    max_upload_bytes: int = Field(description='The largest request body accepted.')
    max_results: int = Field(description='The most `num_results` a request may ask for '
                                         '(of a model that samples).')


class Result(BaseModel):
    seed: int = Field(description='The seed that drew it: the request\'s `seed` + its index.')
    image: str = Field(description='The inpainted photo: a PNG, base64.')


class Results(BaseModel):
    """The answer when the request gives ``num_results``."""

    model: str = Field(description='The model that ran.')
    hd_strategy: str = Field(description='As the `X-HD-Strategy` header.')
    hd_report: str = Field(description='As the `X-HD-Report` header.')
    results: list[Result] = Field(description='`num_results` completions, in seed order.')


class ProgressAnswer(BaseModel):
    job: str
    stage: Literal['received', 'inpainting', 'encoding', 'done', 'failed']
    done: int = Field(description='Pieces (holes, windows) inpainted so far, over all the '
                                  'results asked for.')
    total: int = Field(description='Pieces in all; 0 until known.')
    updated: float = Field(description='Unix time of the last change.')


def _request_body_doc() -> dict:
    options = InpaintOptions.model_json_schema()['properties']
    multipart = dict(type='object', required=['image', 'mask'], properties=dict(
        image=dict(type='string', format='binary', description=IMAGE_TEXT),
        mask=dict(type='string', format='binary', description=MASK_TEXT), **options))
    as_json = InpaintJSON.model_json_schema()
    as_json.pop('title', None)
    return dict(required=True, content={'multipart/form-data': {'schema': multipart},
                                        'application/json': {'schema': as_json}})


RESULT_HEADERS = {
    'X-HD-Strategy': 'The strategy that ran: whole, resize, crop or window (`none`: the '
                     'mask has no hole). A piecewise strategy runs as `whole` when the photo '
                     'is within its limit.',
    'X-HD-Report': 'One line: the strategy, the model calls, the largest input, and why a '
                   'strategy fell back to whole.',
    'X-Model': 'The model that ran.',
    'X-Seed': 'The seed used.',
}


class Progress:
    """The state of the latest requests that named a ``job``, for the page to poll."""

    def __init__(self, keep: int = 256) -> None:
        self._jobs: OrderedDict[str, dict] = OrderedDict()
        self._keep = keep
        self._lock = threading.Lock()

    def set(self, job: str | None, **state) -> None:
        if job is None:
            return
        with self._lock:
            entry = self._jobs.pop(job, dict(job=job, stage='received', done=0, total=0))
            entry.update(state, updated=time.time())
            self._jobs[job] = entry
            while len(self._jobs) > self._keep:
                self._jobs.popitem(last=False)

    def get(self, job: str) -> dict | None:
        with self._lock:
            return dict(self._jobs[job]) if job in self._jobs else None


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it exceeds ``limit`` bytes."""
    def too_large(size: str) -> InputError:
        return InputError('body', f'too large: {size} bytes, the limit is {limit:,}', 413)

    length = request.headers.get('content-length', '')
    if length.isdigit() and int(length) > limit:
        raise too_large(f'{int(length):,}')
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(f'more than {limit:,}')
        chunks.append(chunk)
    return b''.join(chunks)


def _options(fields: dict, model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first['loc'][0]) if first['loc'] else 'body'
        if first['type'] == 'extra_forbidden':
            raise InputError(field, 'not a field of this endpoint (see /docs)') from exc
        if first['type'] == 'missing':
            raise InputError(field, 'missing') from exc
        raise InputError(field, first['msg']) from exc


async def _parse(request: Request, body: bytes) -> tuple[bytes, bytes, InpaintOptions]:
    kind = request.headers.get('content-type', '').split(';')[0].strip().lower()
    if kind == 'application/json':
        try:
            fields = json.loads(body)
        except ValueError as exc:
            raise InputError('body', f'not valid JSON ({exc})') from exc
        if not isinstance(fields, dict):
            raise InputError('body', 'must be a JSON object')
        parsed = _options(fields, InpaintJSON)
        return (from_base64('image', parsed.image), from_base64('mask', parsed.mask),
                InpaintOptions(**parsed.model_dump(exclude={'image', 'mask'})))
    if kind != 'multipart/form-data':
        raise InputError('body', f'Content-Type must be multipart/form-data or '
                                 f'application/json, got {kind or "none"!r}', 415)

    async def replay():
        return {'type': 'http.request', 'body': body, 'more_body': False}

    form = await Request(request.scope, replay).form()
    files = {}
    for name in ('image', 'mask'):
        part = form.get(name)
        if part is None:
            raise InputError(name, 'missing (a file part of the multipart form)')
        if isinstance(part, str):
            raise InputError(name, 'must be a file part of the multipart form, got text')
        files[name] = await part.read()
    options = _options({k: v for k, v in form.multi_items() if k not in files}, InpaintOptions)
    return files['image'], files['mask'], options


def _docs_assets() -> str | None:
    """The folder of Swagger UI's and ReDoc's files, shipped by the ``fastapi-offline``
    package (the [serve] extra); None without it (then /docs loads them from a CDN)."""
    spec = importlib.util.find_spec('fastapi_offline')
    if spec is None or spec.origin is None:
        log.warning('fastapi-offline is not installed: /docs loads Swagger UI from a CDN '
                    '(pip install "inpainting-toolbox[serve]")')
        return None
    folder = osp.join(osp.dirname(spec.origin), 'static')
    return folder if osp.isfile(osp.join(folder, 'swagger-ui-bundle.js')) else None


def _serve_docs_locally(app: FastAPI, folder: str) -> None:
    """FastAPI's self-hosting recipe: /docs and /redoc with their files from this server,
    so that they work offline."""
    from fastapi.openapi.docs import (get_redoc_html, get_swagger_ui_html,
                                      get_swagger_ui_oauth2_redirect_html)
    app.mount('/docs-assets', StaticFiles(directory=folder), name='docs-assets')

    @app.get('/docs', include_in_schema=False)
    async def swagger_ui():
        return get_swagger_ui_html(
            openapi_url=app.openapi_url, title=f'{app.title} - Swagger UI',
            oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
            swagger_js_url='/docs-assets/swagger-ui-bundle.js',
            swagger_css_url='/docs-assets/swagger-ui.css',
            swagger_favicon_url='/docs-assets/favicon.png')

    @app.get(app.swagger_ui_oauth2_redirect_url, include_in_schema=False)
    async def swagger_ui_redirect():
        return get_swagger_ui_oauth2_redirect_html()

    @app.get('/redoc', include_in_schema=False)
    async def redoc():
        return get_redoc_html(openapi_url=app.openapi_url, title=f'{app.title} - ReDoc',
                              redoc_js_url='/docs-assets/redoc.standalone.js',
                              redoc_favicon_url='/docs-assets/favicon.png',
                              with_google_fonts=False)


def create_app(settings: Settings | None = None, catalog: Catalog | None = None) -> FastAPI:
    """The application; ``catalog`` defaults to one built from ``settings``."""
    settings = settings or Settings()
    for key in ('max_decodes', 'max_queue', 'max_pixels', 'max_upload_bytes', 'max_results'):
        if getattr(settings, key) < 1:
            from toolbox.apis.config import ConfigError
            raise ConfigError(f'{key} must be at least 1, got {getattr(settings, key)}')
    catalog = catalog or Catalog(settings.models_dir, settings.device, settings.plain_configs,
                                 models=settings.models, download=settings.download)
    progress = Progress()
    run_lock = threading.Lock()      # one inference at a time: each uses every core
    # Decoding happens inside this limit, not before it: a decoded photo costs ~19 bytes a
    # pixel (760 MB at 40 M pixels) and is held until its answer is encoded.
    decode_slots = asyncio.Semaphore(settings.max_decodes)
    admission = dict(admitted=0, seconds=1.0)    # the event loop's thread alone touches it
    docs_assets = _docs_assets()
    app = FastAPI(
        title='Inpainting toolbox',
        version='1',
        description='Inpaint photos: `POST /api/v1/inpaint` with a photo and a mask returns '
                    'the inpainted photo as a PNG. The page at `/` does the same with a '
                    'brush.',
        **(dict(docs_url=None, redoc_url=None) if docs_assets else {}))
    app.state.settings, app.state.catalog = settings, catalog
    if docs_assets:
        _serve_docs_locally(app, docs_assets)

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError):
        return JSONResponse({'detail': str(exc), 'field': exc.field}, status_code=exc.status)

    @app.exception_handler(ModelUnavailable)
    async def model_unavailable(request: Request, exc: ModelUnavailable):
        return JSONResponse({'detail': f'model: {exc}', 'field': 'model'}, status_code=503)

    @app.get('/', include_in_schema=False)
    async def page():
        return FileResponse(osp.join(STATIC, 'index.html'))

    app.mount('/static', StaticFiles(directory=STATIC), name='static')

    @app.get(f'{API}/models', summary='The models this server offers')
    async def models() -> ModelsAnswer:
        """The models (``builtin``: needs no file), the defaults a request falls back to,
        and the size limits."""
        return ModelsAnswer(models=catalog.as_json(),
                    default=catalog.names()[0], hd_strategies=list(HD_STRATEGIES),
                    default_hd_strategy=settings.hd_strategy,
                    crop_trigger=settings.crop_trigger, crop_margin=settings.crop_margin,
                    max_pixels=settings.max_pixels,
                    max_upload_bytes=settings.max_upload_bytes,
                    max_results=settings.max_results)

    # The job is read from the path by hand: a typed parameter would make FastAPI document
    # a validation error (422) that a string can never cause.
    @app.get(f'{API}/progress/{{job}}', summary='The progress of a running request',
             response_model=ProgressAnswer,
             openapi_extra={'parameters': [{
                 'name': 'job', 'in': 'path', 'required': True, 'schema': {'type': 'string'},
                 'description': 'The `job` given to `POST /api/v1/inpaint`.'}]},
             responses={404: {'model': Error, 'description': 'No request with this job id '
                                                             'is known (the latest 256 are).'}})
    async def job_progress(request: Request):
        """How far the request that named ``job`` is."""
        job = request.path_params['job']
        state = progress.get(job)
        if state is None:
            raise InputError('job', f'no request with job id {job!r} is known', 404)
        return state

    def run(options: InpaintOptions, name: str, image_bytes: bytes, mask_bytes: bytes,
            gone):
        job = options.job
        image = decode_image('image', image_bytes, settings.max_pixels)
        mask = decode_mask('mask', mask_bytes, settings.max_pixels, image.shape[:2])
        import cv2
        import torch
        model = catalog.get(name)
        count, seed = options.num_results or 1, options.seed or 0
        if count > 1 and not samples(model):
            others = [n for n, e in catalog.entries.items() if e.samples]
            raise InputError('num_results', f'{count} results asked for, but model {name!r} '
                                            'gives the same result for every seed; models '
                                            'that sample: '
                                            f'{", ".join(others) or "none on this server"}')
        # Result i is seed + i, drawn alone: asked for by itself with that seed, it is the
        # same picture. The seed reaches a model that takes it as an option, and torch's
        # global generator for one that draws from it.
        takes_seed = 'seed' in getattr(model, 'sample_options', ())
        pngs = []
        with run_lock:
            for i in range(count):
                if gone():
                    return None
                progress.set(job, stage='inpainting')
                torch.manual_seed(seed + i)
                out, report = run_strategy(
                    model, image, mask, {}, options.hd_strategy or settings.hd_strategy,
                    crop_trigger=settings.crop_trigger, crop_margin=settings.crop_margin,
                    sample_options=dict(seed=seed + i) if takes_seed else None,
                    progress=lambda done, total, i=i: progress.set(
                        job, done=i * total + done, total=count * total))
                if i + 1 == count:
                    progress.set(job, stage='encoding')
                # encoded at once: N results are held as PNGs, not as decoded photos
                ok, png = cv2.imencode('.png', out[..., ::-1])
                if not ok:
                    raise RuntimeError('PNG encoding failed')
                pngs.append(png.tobytes())
                del out
        return pngs, report

    @app.post(
        f'{API}/inpaint', summary='Inpaint a photo: returns a PNG',
        response_class=Response,
        openapi_extra={'requestBody': _request_body_doc()},
        responses={
            200: {'description': 'The inpainted photo, a PNG of the size of the upload. Only '
                                 'hole pixels differ from the (decoded) upload. With '
                                 '`num_results`: JSON, that many such PNGs (base64).',
                  'model': Results,            # documented as the application/json answer
                  'content': {'image/png': {'schema': {'type': 'string', 'format': 'binary'}}},
                  'headers': {k: {'description': v, 'schema': {'type': 'string'}}
                              for k, v in RESULT_HEADERS.items()}},
            413: {'model': Error, 'description': 'The body or an image is too large.'},
            429: {'model': Error, 'description': 'The queue is full (`max_queue` requests '
                                                 'are waiting or running): retry after the '
                                                 '`Retry-After` header\'s seconds.',
                  'headers': {'Retry-After': {'description': 'Seconds to wait.',
                                              'schema': {'type': 'integer'}}}},
            503: {'model': Error, 'description': 'The model cannot be loaded (a truncated '
                                                 'checkpoint, a broken config): the message '
                                                 'names the file; remembered until it '
                                                 'changes.'},
            415: {'model': Error, 'description': 'Neither multipart/form-data nor JSON.'},
            422: {'model': Error, 'description': 'A field is missing or wrong: not an '
                                                 'image, mask size mismatch, unknown model, '
                                                 'unknown HD strategy, bad seed, '
                                                 '`num_results` out of bounds or above 1 '
                                                 'for a model that does not sample.'}})
    async def inpaint(request: Request) -> Response:
        """Send the photo and its mask as a multipart form (file parts ``image`` and
        ``mask``, text parts for the options) or as a JSON object (base64 strings). The
        answer is the PNG itself, ``Content-Type: image/png`` (not JSON); the headers say
        which HD strategy ran. A refused request gets a JSON error whose ``field`` names
        the field at fault. With ``num_results`` the answer is JSON: that many
        completions, result ``i`` drawn with seed ``seed + i``."""
        if admission['admitted'] >= settings.max_queue:
            # an estimate: the queue ahead, at the recent time per request
            wait = max(1, math.ceil(admission['seconds'] * admission['admitted']
                                    / settings.max_decodes))
            return JSONResponse(
                {'detail': f'body: the server is busy ({admission["admitted"]} requests are '
                           f'queued or running, the limit is {settings.max_queue}); retry '
                           f'in {wait} s', 'field': 'body'},
                status_code=429, headers={'Retry-After': str(wait)})
        admission['admitted'] += 1
        try:
            return await admitted(request)
        finally:
            admission['admitted'] -= 1

    async def admitted(request: Request) -> Response:
        body = await _read_body(request, settings.max_upload_bytes)
        image_bytes, mask_bytes, options = await _parse(request, body)
        name = options.model or catalog.names()[0]
        if (options.num_results or 1) > settings.max_results:
            raise InputError('num_results', f'{options.num_results} results asked for; this '
                                            f'server gives at most {settings.max_results} '
                                            'per request')
        if name not in catalog.entries:
            raise InputError('model', f'unknown model {name!r}; this server offers '
                                      f'{", ".join(catalog.names())}')
        reason = catalog.failure(name)
        if reason is not None:            # answered before the queue: nothing to wait for
            raise ModelUnavailable(reason)
        progress.set(options.job, stage='received', done=0, total=0)

        def gone() -> bool:
            """Whether the client has disconnected (asked from the worker thread)."""
            from anyio import from_thread
            return from_thread.run(request.is_disconnected)

        try:
            async with decode_slots:
                if await request.is_disconnected():
                    pngs = None
                else:
                    start = time.monotonic()
                    answer = await run_in_threadpool(run, options, name, image_bytes,
                                                     mask_bytes, gone)
                    pngs = None if answer is None else answer[0]
                    if answer is not None:
                        report = answer[1]
                        admission['seconds'] = (0.7 * admission['seconds']
                                                + 0.3 * (time.monotonic() - start))
        except BaseException:
            progress.set(options.job, stage='failed')
            raise
        if pngs is None:                  # nobody to answer: the model was not called
            log.info('dropped a request whose client disconnected while it waited')
            progress.set(options.job, stage='failed')
            return Response(status_code=499)
        progress.set(options.job, stage='done')
        headers = {'X-HD-Strategy': report.ran, 'X-HD-Report': report.describe(),
                   'X-Model': name, 'X-Seed': str(options.seed or 0)}
        if options.num_results is None:
            return Response(pngs[0], media_type='image/png', headers=headers)
        seed = options.seed or 0
        answer = Results(model=name, hd_strategy=report.ran, hd_report=report.describe(),
                         results=[Result(seed=seed + i, image=base64.b64encode(png).decode())
                                  for i, png in enumerate(pngs)])
        return JSONResponse(answer.model_dump(), headers=headers)

    return app
