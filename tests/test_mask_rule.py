"""One mask rule everywhere: one table of mask files, each read through every entry point
(the server's endpoint, the CLI's inpaint, the Python API, a dataset's mask folder, the
MaskFiles generator), and every entry point finds the same hole set.

The rule (``toolbox.datasets.reading.MASK_RULE``): with transparency, the opaque pixels
are holes whatever their colour; otherwise any colour channel above 127 is a hole.
"""
import io
import os.path as osp

import cv2
import numpy as np
import pytest
from PIL import Image

from .utils import REPO, load_tool

H, W = 32, 40
TELEA = osp.join(REPO, 'configs/classical/telea.py')


def _hole() -> np.ndarray:
    """The hole every file of the table marks: a block and a diagonal stroke; aligned to
    JPEG's 8x8 blocks, so that the JPEG's edges survive compression."""
    hole = np.zeros((H, W), bool)
    hole[8:16, 8:24] = True
    hole[24:32, 32:40] = True
    return hole


HOLE = _hole()


def _encode(image: Image.Image, fmt: str = 'PNG', **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _grey():
    # 200 is a hole (anti-aliased edge), 100 is known: the threshold is 127
    a = np.where(HOLE, 200, 0).astype(np.uint8)
    a[0:4, 0:4] = 100
    return _encode(Image.fromarray(a))


def _red_on_black():
    # red's luminance is 76: a luminance reader finds no hole here
    a = np.zeros((H, W, 3), np.uint8)
    a[HOLE] = (255, 0, 0)
    return _encode(Image.fromarray(a))


def _rgba_strokes():
    # dark red opaque strokes on a transparent layer whose hidden colour is white: a
    # reader that drops alpha finds "all hole", one that weighs luminance finds none
    a = np.zeros((H, W, 4), np.uint8)
    a[..., :3] = 255
    a[HOLE] = (120, 0, 0, 255)
    return _encode(Image.fromarray(a, 'RGBA'))


def _gray_alpha_strokes():
    a = np.zeros((H, W, 2), np.uint8)
    a[..., 0] = 255
    a[HOLE] = (0, 255)                        # black opaque strokes
    return _encode(Image.fromarray(a, 'LA'))


def _sixteen_bit():
    a = np.where(HOLE, 40000, 0).astype(np.uint16)     # 40000 / 257 = 156 > 127
    a[0:4, 0:4] = 30000                                # 117: known
    return _encode(Image.fromarray(a))


def _palette():
    image = Image.fromarray(np.where(HOLE, 1, 0).astype(np.uint8), 'P')
    image.putpalette([0, 0, 0, 0, 0, 255] + [60, 60, 60] * 254)  # black, blue, dark grey
    return _encode(image)


def _jpeg():
    return _encode(Image.fromarray(np.where(HOLE, 255, 0).astype(np.uint8)), 'JPEG',
                   quality=95)


TABLE = {'grey.png': _grey, 'red_on_black.png': _red_on_black,
         'rgba_strokes.png': _rgba_strokes, 'gray_alpha_strokes.png': _gray_alpha_strokes,
         'sixteen_bit.png': _sixteen_bit, 'palette.png': _palette, 'mask.jpg': _jpeg}


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp('mask_rule')
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    Image.fromarray(photo).save(folder / 'photo.png')
    for name, make in TABLE.items():
        (folder / name).write_bytes(make())
    return folder


@pytest.fixture
def seen(monkeypatch):
    """The hole set each inpainting entry point hands to the model."""
    import toolbox.apis.hd
    import toolbox.apis.inference
    masks = []
    real = toolbox.apis.hd.run_strategy

    def spy(model, image, mask, *args, **kwargs):
        masks.append(np.asarray(mask) > 0.5)
        return real(model, image, mask, *args, **kwargs)
    monkeypatch.setattr(toolbox.apis.inference, 'run_strategy', spy)
    try:
        import toolbox.serve.app
        monkeypatch.setattr(toolbox.serve.app, 'run_strategy', spy)
    except ImportError:          # no [serve] extra: the server's row is skipped
        pass
    return masks


def test_the_table_is_what_the_files_hold(files):
    # the fixtures are right: PIL sees the modes the table is named for
    modes = {name: Image.open(files / name).mode for name in TABLE}
    assert modes == {'grey.png': 'L', 'red_on_black.png': 'RGB', 'rgba_strokes.png': 'RGBA',
                     'gray_alpha_strokes.png': 'LA', 'sixteen_bit.png': 'I;16',
                     'palette.png': 'P', 'mask.jpg': 'L'}


@pytest.mark.parametrize('name', TABLE)
def test_read_mask(files, name):
    from toolbox.datasets import read_mask
    assert np.array_equal(read_mask(str(files / name)) > 0, HOLE)


@pytest.mark.parametrize('name', TABLE)
def test_the_python_api(files, seen, name):
    from toolbox.apis import init_inpaintor, inpaint
    model = init_inpaintor(TELEA)
    inpaint(model, str(files / 'photo.png'), str(files / name), hd_strategy='whole')
    assert np.array_equal(seen[-1], HOLE)


@pytest.mark.parametrize('name', TABLE)
def test_the_cli(files, seen, tmp_path, name):
    out = tmp_path / 'out.png'
    code = load_tool('inpaint').main(['--config', TELEA, '--image', str(files / 'photo.png'),
                                      '--mask', str(files / name), '--out', str(out)])
    assert code == 0 and out.is_file()
    assert np.array_equal(seen[-1], HOLE)


@pytest.mark.parametrize('name', TABLE)
def test_a_dataset_mask_folder(files, tmp_path, name):
    from toolbox.datasets import ImageFolderDataset
    images, masks = tmp_path / 'images', tmp_path / 'masks'
    images.mkdir()
    masks.mkdir()
    cv2.imwrite(str(images / 'a.png'), cv2.imread(str(files / 'photo.png')))
    ext = osp.splitext(name)[1]
    (masks / f'a{ext}').write_bytes((files / name).read_bytes())
    pipe = [dict(type='LoadImage'), dict(type='LoadMask'), dict(type='PackInpaintingInputs')]
    ds = ImageFolderDataset(data_root=str(images), mask_dir=str(masks), pipeline=pipe)
    mask = ds[0]['inputs']['mask'][0].numpy()
    assert np.array_equal(mask > 0.5, HOLE)


@pytest.mark.parametrize('name', TABLE)
def test_the_mask_files_generator(files, tmp_path, name):
    from toolbox_plugins.masks.files import MaskFiles
    (tmp_path / name).write_bytes((files / name).read_bytes())
    mask = MaskFiles(root=str(tmp_path)).generate((H, W), np.random.default_rng(0))
    assert np.array_equal(mask > 0, HOLE)


@pytest.fixture(scope='module')
def server():
    pytest.importorskip('fastapi')
    from toolbox.serve import Settings, create_app

    from .serve.conftest import running
    with running(create_app(Settings())) as url:
        yield url


@pytest.mark.parametrize('name', TABLE)
def test_the_server(files, seen, server, name):
    import httpx
    answer = httpx.post(f'{server}/api/v1/inpaint', timeout=60, data=dict(
        model='telea', hd_strategy='whole'), files=dict(
        image=('photo.png', (files / 'photo.png').read_bytes(), 'image/png'),
        mask=(name, (files / name).read_bytes(), 'application/octet-stream')))
    assert answer.status_code == 200, answer.text
    assert np.array_equal(seen[-1], HOLE)
