"""The page of toolbox serve in a real headless browser (Debian's chromium + chromedriver).

The server is the README's command, ``toolbox serve``, started with no checkpoint at all.
Set ``TOOLBOX_SCREENSHOT=PATH`` to keep a screenshot of the page with its result.
"""
import base64
import os
import os.path as osp
import shutil
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from ..utils import REPO
from .conftest import decode_png

CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
CHROMEDRIVER = shutil.which('chromedriver')

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason='needs chromium and chromedriver on PATH (Debian: apt-get install chromium '
           'chromium-driver; .ci/run installs them)')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def served():
    """``toolbox serve`` in a subprocess; yields its URL."""
    yield from _serve()


@pytest.fixture(scope='module')
def served_sampling(sampling_models_dir):
    """``toolbox serve --models DIR`` with a tiny Pluralistic (random weights)."""
    yield from _serve('--models', sampling_models_dir, '--max-results', '4')


def _serve(*extra: str):
    import httpx
    port = _free_port()
    script = osp.join(osp.dirname(sys.executable), 'toolbox')
    command = [script] if osp.exists(script) else [sys.executable, '-m', 'toolbox.cli']
    proc = subprocess.Popen(command + ['serve', '--port', str(port), '--threads', '1',
                                       '--log-level', 'warning', *extra],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    url = f'http://127.0.0.1:{port}'
    deadline = time.monotonic() + 180
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f'toolbox serve exited: {proc.stdout.read()[-3000:]}')
            try:
                if httpx.get(f'{url}/api/v1/models', timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError('toolbox serve did not answer within 180 s')
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope='module')
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    # Never let Selenium Manager look for a browser or driver to download.
    os.environ.setdefault('SE_OFFLINE', 'true')
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # The network off: no host but this machine resolves (the pages must need nothing else).
    for arg in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                '--window-size=1280,900', '--disable-extensions',
                '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


FETCH_AS_BASE64 = """
const [url, done] = arguments;
fetch(url).then(r => r.arrayBuffer()).then(buf => {
  let s = ''; const b = new Uint8Array(buf);
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  done(btoa(s));
}).catch(e => done('error: ' + e));
"""


def _fetch(driver, url: str) -> bytes:
    answer = driver.execute_async_script(FETCH_AS_BASE64, url)
    assert not answer.startswith('error:'), answer
    return base64.b64decode(answer)


@pytest.mark.slow
def test_page_inpaints_a_painted_stroke(served, browser, tmp_path):
    import cv2
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    from skimage import data
    photo = data.chelsea()                                   # 300 x 451
    path = tmp_path / 'cat.png'
    cv2.imwrite(str(path), photo[..., ::-1])

    browser.get(served)
    wait = WebDriverWait(browser, 60)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '#model option'))
    models = [o.get_attribute('value')
              for o in browser.find_elements(By.CSS_SELECTOR, '#model option') if o.is_enabled()]
    assert models == ['telea', 'navier-stokes']                 # no checkpoint anywhere
    # the model zoo's are listed as downloadable and cannot be chosen
    from toolbox.zoo import zoo_entries
    offered = browser.find_elements(By.CSS_SELECTOR, '#model option:disabled')
    assert [o.text for o in offered] == [f'{n} (downloadable)' for n in zoo_entries()]
    browser.find_element(By.ID, 'image-input').send_keys(str(path))
    canvas = browser.find_element(By.ID, 'mask-canvas')
    wait.until(lambda d: canvas.get_attribute('width') == '451' and canvas.is_displayed())

    # a horizontal stroke across the cat's face, in screen pixels from the canvas centre
    shown = canvas.size['width']
    ActionChains(browser).move_to_element_with_offset(canvas, -40, -20).click_and_hold() \
        .move_by_offset(30, 0).move_by_offset(30, 0).move_by_offset(20, 10).release().perform()
    assert browser.find_element(By.ID, 'undo').is_enabled()
    browser.find_element(By.ID, 'inpaint').click()
    wait.until(lambda d: d.find_element(By.ID, 'status').text.startswith(('Done', 'Refused')))
    assert browser.find_element(By.ID, 'status').text.startswith('Done')

    result_img = browser.find_element(By.ID, 'result')
    assert result_img.is_displayed()
    assert browser.find_element(By.ID, 'hd-ran').text == 'whole'     # 451 px: under 800
    result = decode_png(_fetch(browser, result_img.get_attribute('src')))
    mask = decode_png(_fetch(browser,
                             browser.find_element(By.ID, 'download-mask').get_attribute('href')))
    hole = mask[..., 0] > 127
    assert result.shape == photo.shape and mask.shape == photo.shape
    assert set(np.unique(mask)) == {0, 255}                         # sent binarised
    # the stroke, scaled to photo pixels, is where it was drawn
    s = photo.shape[1] / shown
    ys, xs = np.nonzero(hole)
    cy, cx = photo.shape[0] / 2, photo.shape[1] / 2
    assert abs(xs.min() - (cx - 40 * s)) < 40 * s and abs(xs.max() - (cx + 40 * s)) < 40 * s
    assert ys.min() < cy - 20 * s < ys.max()
    # the known pixels equal the upload, and the hole was filled
    assert np.array_equal(result[~hole], photo[~hole])
    assert not np.array_equal(result[hole], photo[hole])

    shot = os.environ.get('TOOLBOX_SCREENSHOT')
    if shot:
        browser.save_screenshot(shot)


def _paint_a_stroke(browser, wait, path, width: str):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    browser.find_element(By.ID, 'image-input').send_keys(str(path))
    canvas = browser.find_element(By.ID, 'mask-canvas')
    wait.until(lambda d: canvas.get_attribute('width') == width and canvas.is_displayed())
    ActionChains(browser).move_to_element_with_offset(canvas, -40, -20).click_and_hold() \
        .move_by_offset(30, 0).move_by_offset(30, 0).move_by_offset(20, 10).release().perform()


@pytest.mark.slow
def test_page_shows_n_results_of_a_model_that_samples(served_sampling, browser, tmp_path):
    import cv2
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
    from skimage import data
    photo = data.chelsea()[::2, ::2].copy()                   # 150 x 226
    path = tmp_path / 'cat.png'
    cv2.imwrite(str(path), photo[..., ::-1])

    browser.get(served_sampling)
    wait = WebDriverWait(browser, 120)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '#model option'))
    model, box = Select(browser.find_element(By.ID, 'model')), browser.find_element(
        By.ID, 'num-results-box')
    model.select_by_value('tiny')
    assert not box.is_displayed()                 # a model that does not sample: no choice
    model.select_by_value('plural')
    assert box.is_displayed()
    count = browser.find_element(By.ID, 'num-results')
    assert count.get_attribute('max') == '4'      # the server's --max-results
    count.clear()
    count.send_keys('3')
    seed = browser.find_element(By.ID, 'seed')
    seed.clear()
    seed.send_keys('4')
    _paint_a_stroke(browser, wait, path, '226')
    browser.find_element(By.ID, 'inpaint').click()
    wait.until(lambda d: d.find_element(By.ID, 'status').text.startswith(('Done', 'Refused')))
    status = browser.find_element(By.ID, 'status').text
    assert status.startswith('Done') and '3 results (seeds 4 to 6)' in status, status

    thumbs = browser.find_elements(By.CSS_SELECTOR, '#results img')
    assert len(thumbs) == 3 and all(t.is_displayed() for t in thumbs)
    results = [decode_png(_fetch(browser, t.get_attribute('src'))) for t in thumbs]
    mask = decode_png(_fetch(browser,
                             browser.find_element(By.ID, 'download-mask').get_attribute('href')))
    hole = mask[..., 0] > 127
    assert hole.any()
    for out in results:
        assert out.shape == photo.shape and np.array_equal(out[~hole], photo[~hole])
    assert not np.array_equal(results[0][hole], results[1][hole])
    assert not np.array_equal(results[1][hole], results[2][hole])
    # the first is shown; clicking the third shows it and offers it for download
    shown = browser.find_element(By.ID, 'result')
    assert shown.get_attribute('src') == thumbs[0].get_attribute('src')
    thumbs[2].click()
    assert shown.get_attribute('src') == thumbs[2].get_attribute('src')
    download = browser.find_element(By.ID, 'download-result')
    assert download.get_attribute('href') == thumbs[2].get_attribute('src')
    assert download.get_attribute('download') == 'inpainted-seed6.png'
    assert 'selected' in thumbs[2].get_attribute('class')

    shot = os.environ.get('TOOLBOX_SCREENSHOT')
    if shot:
        browser.save_screenshot(shot.replace('.png', '-results.png'))


def test_docs_render_with_the_network_off(served, browser):
    from urllib.parse import urlparse

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    browser.get(f'{served}/docs')
    wait = WebDriverWait(browser, 60)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '.swagger-ui .info .title'))
    assert 'Inpainting toolbox' in browser.find_element(By.CSS_SELECTOR,
                                                        '.swagger-ui .info .title').text
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '.opblock'))   # the operations
    assert any('/api/v1/inpaint' in e.text
               for e in browser.find_elements(By.CSS_SELECTOR, '.opblock-summary-path'))
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(urlparse(u).hostname == '127.0.0.1' for u in loaded), loaded
