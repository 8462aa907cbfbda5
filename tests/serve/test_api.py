"""toolbox serve's REST API, through a real HTTP client against the running server."""
import base64

import httpx
import numpy as np
import pytest

from .conftest import decode_png, png_bytes

INPAINT = '/api/v1/inpaint'


@pytest.fixture(scope='module')
def photo():
    from skimage import data
    image = data.chelsea()                                  # 300 x 451 RGB
    mask = np.zeros(image.shape[:2], np.uint8)
    mask[100:140, 200:260] = 255
    return image, mask


@pytest.fixture(scope='module')
def client(server):
    with httpx.Client(base_url=server, timeout=120) as c:
        yield c


def _post(client, image, mask, **options):
    files = {'image': ('photo.png', image if isinstance(image, bytes) else png_bytes(image),
                       'image/png'),
             'mask': ('mask.png', mask if isinstance(mask, bytes) else png_bytes(mask),
                      'image/png')}
    return client.post(INPAINT, files=files, data={k: str(v) for k, v in options.items()})


def test_models_lists_the_folder_and_the_classical_ones(client):
    answer = client.get('/api/v1/models')
    assert answer.status_code == 200
    info = answer.json()
    names = [m['name'] for m in info['models']]
    assert names[:4] == ['mytelea', 'tiny', 'telea', 'navier-stokes']     # not 'untrained'
    # then the model zoo's, not downloaded in the tests' fresh $TOOLBOX_HOME
    from toolbox.zoo import zoo_entries
    assert names[4:] == list(zoo_entries())
    assert {m['status'] for m in info['models'][4:]} == {'downloadable'}
    assert info['default'] == 'mytelea'
    tiny = info['models'][1]
    assert tiny['checkpoint'].endswith('tiny.pth') and not tiny['builtin']
    assert info['hd_strategies'] == ['whole', 'resize', 'crop', 'window']
    assert info['default_hd_strategy'] == 'crop' and info['max_pixels'] == 2_000_000


@pytest.mark.parametrize('model', ['telea', 'navier-stokes', 'tiny', 'mytelea'])
def test_inpaint_returns_a_png_whose_known_pixels_are_the_upload(client, photo, model):
    image, mask = photo
    answer = _post(client, image, mask, model=model)
    assert answer.status_code == 200, answer.text
    assert answer.headers['content-type'] == 'image/png'
    assert answer.headers['x-model'] == model
    out = decode_png(answer.content)
    assert out.shape == image.shape
    assert np.array_equal(out[mask == 0], image[mask == 0])
    assert not np.array_equal(out[mask > 0], image[mask > 0])
    # under the crop trigger (800 px) the whole photo runs, and the answer says so
    assert answer.headers['x-hd-strategy'] == 'whole'
    assert 'within the crop trigger of 800 px' in answer.headers['x-hd-report']


def test_base64_json_gives_the_same_png_as_multipart(client, photo):
    image, mask = photo
    multipart = _post(client, image, mask, model='tiny', seed=3, hd_strategy='whole')
    as_json = client.post(INPAINT, json=dict(
        image=base64.b64encode(png_bytes(image)).decode(),
        mask='data:image/png;base64,' + base64.b64encode(png_bytes(mask)).decode(),
        model='tiny', seed=3, hd_strategy='whole'))
    assert multipart.status_code == as_json.status_code == 200, as_json.text
    assert as_json.headers['x-seed'] == '3'
    assert as_json.content == multipart.content


@pytest.mark.parametrize('strategy, ran, calls', [('crop', 'crop', '2 model calls'),
                                                  ('whole', 'whole', '1 model call'),
                                                  ('window', 'whole', 'has no size limit')])
def test_the_hd_strategy_asked_for_runs_and_is_reported(client, photo, strategy, ran, calls):
    import cv2
    image, mask = photo
    big = cv2.resize(image, (902, 600), interpolation=cv2.INTER_CUBIC)   # over the trigger
    hole = np.zeros(big.shape[:2], np.uint8)
    hole[200:260, 400:500] = hole[500:540, 100:160] = 255
    answer = _post(client, big, hole, model='telea', hd_strategy=strategy, job=f'hd-{strategy}')
    assert answer.status_code == 200, answer.text
    assert answer.headers['x-hd-strategy'] == ran
    assert calls in answer.headers['x-hd-report']
    out = decode_png(answer.content)
    assert np.array_equal(out[hole == 0], big[hole == 0])
    progress = client.get(f'/api/v1/progress/hd-{strategy}').json()
    assert progress['stage'] == 'done'
    assert progress['done'] == progress['total'] == (2 if ran == 'crop' else 1)


def _error(answer, status: int, field: str, text: str):
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body['field'] == field and body['detail'].startswith(f'{field}: ')
    assert text in body['detail'], body['detail']


def test_not_an_image_is_named(client, photo):
    _error(_post(client, b'GIF89a but not really', photo[1]), 422, 'image', 'not an image')
    _error(_post(client, photo[0], b'\x89PNG\r\n\x1a\n broken'), 422, 'mask', 'not an image')


def test_mask_size_mismatch_is_named(client, photo):
    _error(_post(client, photo[0], np.zeros((10, 20), np.uint8)), 422, 'mask',
           'the mask is 20x10 but the image is 451x300')


def test_unknown_model_and_options_are_named(client, photo):
    image, mask = photo
    _error(_post(client, image, mask, model='lama'), 422, 'model',
           "unknown model 'lama'; this server offers mytelea, tiny, telea, navier-stokes")
    _error(_post(client, image, mask, hd_strategy='tile'), 422, 'hd_strategy', 'whole')
    _error(_post(client, image, mask, seed='-1'), 422, 'seed', 'greater than or equal to 0')
    _error(_post(client, image, mask, colour='red'), 422, 'colour', 'not a field')
    _error(client.post(INPAINT, files={'image': ('a.png', png_bytes(image))}), 422, 'mask',
           'missing')
    _error(client.post(INPAINT, json=dict(image='%%%', mask='')), 422, 'image',
           'not valid base64')


def test_too_large_is_refused_with_413(client):
    # 1500 x 1500 = 2.25 million pixels, over the server's 2 million: refused from the
    # header, before decoding
    flat = np.zeros((1500, 1500, 3), np.uint8)
    _error(_post(client, flat, flat[..., 0]), 413, 'image', '1500x1500 is 2,250,000 pixels')
    noise = np.random.default_rng(0).integers(0, 256, 4 * 2 ** 20, np.uint8).tobytes()
    _error(_post(client, noise, b''), 413, 'body', 'the limit is 3,145,728')


def test_other_content_types_are_refused_with_415(client):
    _error(client.post(INPAINT, content=b'x', headers={'content-type': 'text/plain'}), 415,
           'body', 'multipart/form-data or application/json')


def test_openapi_documents_what_the_endpoint_does(client, photo):
    assert 'swagger' in client.get('/docs').text.lower()
    doc = client.get('/openapi.json').json()
    post = doc['paths'][INPAINT]['post']
    content = post['requestBody']['content']
    assert set(content) == {'multipart/form-data', 'application/json'}
    fields = {'image', 'mask', 'model', 'hd_strategy', 'seed', 'job', 'num_results'}
    for schema in content.values():
        assert set(schema['schema']['properties']) == fields
        assert schema['schema']['required'] == ['image', 'mask']
    assert content['multipart/form-data']['schema']['properties']['image']['format'] == 'binary'
    answers = post['responses']['200']['content']
    assert list(answers) == ['image/png', 'application/json']        # without / with num_results
    assert answers['application/json']['schema']['$ref'].endswith('/Results')
    assert {'X-HD-Strategy', 'X-HD-Report'} <= set(post['responses']['200']['headers'])
    documented = {int(code) for code in post['responses']}
    # every documented field is accepted ...
    image, mask = photo
    answer = _post(client, image, mask, model='telea', hd_strategy='crop', seed=1, job='doc')
    assert answer.status_code == 200 and answer.headers['content-type'] == 'image/png'
    # ... and every refusal's status is documented
    refusals = [_post(client, image, mask, model='nope'),
                client.post(INPAINT, content=b'x', headers={'content-type': 'text/plain'}),
                _post(client, np.zeros((1500, 1500, 3), np.uint8), np.zeros((1500, 1500),
                                                                             np.uint8))]
    assert {r.status_code for r in refusals} == {422, 415, 413} <= documented
    assert client.get('/api/v1/progress/never').status_code == 404
    assert '404' in doc['paths']['/api/v1/progress/{job}']['get']['responses']
