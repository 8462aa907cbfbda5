"""``num_results``: several completions of one photo from a model that samples (Pluralistic),
through the REST API of a running server."""
import base64

import httpx
import numpy as np
import pytest

from .conftest import decode_png, png_bytes, running

INPAINT = '/api/v1/inpaint'


@pytest.fixture(scope='module')
def client(sampling_models_dir):
    from toolbox.serve import Settings, create_app
    app = create_app(Settings(models_dir=sampling_models_dir, max_results=3))
    with running(app) as url, httpx.Client(base_url=url, timeout=300) as c:
        yield c


@pytest.fixture(scope='module')
def photo():
    from skimage import data
    image = data.chelsea()[::2, ::2].copy()                 # 150 x 226 RGB
    mask = np.zeros(image.shape[:2], np.uint8)
    mask[50:80, 90:140] = 255
    return image, mask


def _post(client, image, mask, **options):
    files = {'image': ('photo.png', png_bytes(image), 'image/png'),
             'mask': ('mask.png', png_bytes(mask), 'image/png')}
    return client.post(INPAINT, files=files, data={k: str(v) for k, v in options.items()})


def _images(answer) -> list[np.ndarray]:
    assert answer.status_code == 200, answer.text
    assert answer.headers['content-type'] == 'application/json'
    return [decode_png(base64.b64decode(r['image'])) for r in answer.json()['results']]


def test_models_say_which_can_sample(client):
    info = client.get('/api/v1/models').json()
    offered = {m['name']: m['samples'] for m in info['models'] if m['status'] != 'downloadable'}
    assert offered == {'plural': True, 'tiny': False, 'telea': False, 'navier-stokes': False}
    # the model zoo's entries (not downloaded here) sample neither
    assert not any(m['samples'] for m in info['models'] if m['status'] == 'downloadable')
    assert info['max_results'] == 3


def test_n_results_differ_are_reproducible_and_each_is_its_seed(client, photo):
    image, mask = photo
    hole = mask > 0
    answer = _post(client, image, mask, model='plural', seed=5, num_results=3, job='three')
    results = _images(answer)
    body = answer.json()
    assert [r['seed'] for r in body['results']] == [5, 6, 7]
    assert body['model'] == 'plural' and body['hd_strategy'] == 'whole'
    for out in results:
        assert out.shape == image.shape
        assert np.array_equal(out[~hole], image[~hole])          # only the hole is drawn
    for a in range(3):
        for b in range(a + 1, 3):
            assert np.abs(results[a][hole].astype(int) - results[b][hole]).mean() > 1
    # the same request draws the same three ...
    again = _images(_post(client, image, mask, model='plural', seed=5, num_results=3))
    assert all(np.array_equal(x, y) for x, y in zip(results, again))
    # ... and result i is what seed 5 + i gives alone (as a PNG, the answer without
    # num_results)
    alone = _post(client, image, mask, model='plural', seed=6)
    assert alone.headers['content-type'] == 'image/png'
    assert np.array_equal(decode_png(alone.content), results[1])
    progress = client.get('/api/v1/progress/three').json()
    assert progress['stage'] == 'done' and progress['done'] == progress['total'] == 3


def test_one_result_of_a_model_that_does_not_sample_is_json(client, photo):
    image, mask = photo
    results = _images(_post(client, image, mask, model='tiny', num_results=1))
    assert len(results) == 1
    assert np.array_equal(results[0], decode_png(_post(client, image, mask,
                                                       model='tiny').content))


def _error(answer, text: str):
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body['field'] == 'num_results' and body['detail'].startswith('num_results: ')
    assert '\n' not in body['detail'] and text in body['detail'], body['detail']


@pytest.mark.parametrize('value, text', [
    (0, 'greater than or equal to 1'), (-2, 'greater than or equal to 1'),
    ('two', 'valid integer'), (1.5, 'valid integer'),
    (4, '4 results asked for; this server gives at most 3 per request')])
def test_bad_num_results_is_named(client, photo, value, text):
    _error(_post(client, *photo, model='plural', num_results=value), text)


def test_several_results_of_a_model_that_does_not_sample_are_refused(client, photo):
    _error(_post(client, *photo, model='tiny', num_results=2),
           "2 results asked for, but model 'tiny' gives the same result for every seed; "
           'models that sample: plural')
    _error(client.post(INPAINT, json=dict(
        image=base64.b64encode(png_bytes(photo[0])).decode(),
        mask=base64.b64encode(png_bytes(photo[1])).decode(), model='telea',
        num_results=3)), "model 'telea' gives the same result")
