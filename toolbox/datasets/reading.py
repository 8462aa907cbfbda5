"""Reading images and masks: the one place every path of the toolbox reads them through
(training datasets, ``LoadMask``, inference, evaluation, the mask-file generator).

Pixels are decoded by OpenCV with ``IMREAD_UNCHANGED`` (16-bit and alpha survive), which
ignores the EXIF orientation tag; the tag is read separately and applied, so a phone photo
taken upright is upright here too, as every image viewer shows it.
"""
from __future__ import annotations

import functools
import io
import warnings

import cv2
import numpy as np
from mmengine.fileio import get as get_bytes

__all__ = ['ImageLoadError', 'MaskSizeError', 'DatasetError', 'read_image', 'read_mask',
           'decode_mask', 'binarise_mask', 'MASK_RULE', 'fit_mask', 'exif_orientation', 'apply_orientation']


class ImageLoadError(ValueError):
    """An image file that cannot be decoded; the message names the file."""


class MaskSizeError(ValueError):
    """A mask whose size differs from its image; the message names both sizes."""


class DatasetError(ValueError):
    """A dataset that cannot be used (no images, a wrong folder); the message names it."""


_ORIENTATION_TAG = 0x0112


def exif_orientation(content: bytes) -> int:
    """The EXIF orientation (1-8) of an encoded image; 1 (as stored) when it has none."""
    # PNG and JPEG files without an EXIF block are most files: skip PIL for them
    if content.startswith(b'\x89PNG') and b'eXIf' not in content:
        return 1
    if content.startswith(b'\xff\xd8') and b'Exif\x00' not in content:
        return 1
    from PIL import Image
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')        # PIL's decompression-bomb warning
            with Image.open(io.BytesIO(content)) as im:     # reads the header only
                value = int(im.getexif().get(_ORIENTATION_TAG, 1))
    except Exception:       # not an image PIL knows, or a broken EXIF block: as stored
        return 1
    return value if 1 <= value <= 8 else 1


def apply_orientation(img: np.ndarray, orientation: int) -> np.ndarray:
    """``img`` (H, W[, C]) turned as EXIF ``orientation`` says it is to be displayed."""
    swap = (1, 0) + tuple(range(2, img.ndim))
    if orientation == 2:
        img = img[:, ::-1]
    elif orientation == 3:
        img = img[::-1, ::-1]
    elif orientation == 4:
        img = img[::-1]
    elif orientation == 5:
        img = img.transpose(swap)
    elif orientation == 6:
        img = np.rot90(img, -1)
    elif orientation == 7:
        img = img.transpose(swap)[::-1, ::-1]
    elif orientation == 8:
        img = np.rot90(img, 1)
    return np.ascontiguousarray(img)


def read_image(path: str) -> np.ndarray:
    """Read ``path`` as RGB uint8 ``(H, W, 3)``, upright by its EXIF orientation.

    Conversions: grayscale -> RGB (channel copied), RGBA -> RGB (alpha dropped),
    16-bit -> 8-bit (scaled by 1/257), CMYK JPEG -> RGB (by the decoder), palette -> RGB.
    """
    img = _read_upright(path)
    if img.ndim == 3 and img.shape[2] == 4:
        img = np.ascontiguousarray(img[..., :3])        # alpha dropped
    return np.repeat(img[..., None], 3, axis=2) if img.ndim == 2 else img


def encoded_size(content: bytes) -> tuple[int, int] | None:
    """``(width, height)`` of an encoded image from its header, without decoding it
    (upright: EXIF orientations 5-8 swap them); ``None`` when PIL does not know the format.
    Raises ``PIL.Image.DecompressionBombError`` above PIL's limit (about 179 M pixels)."""
    from PIL import Image, UnidentifiedImageError
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as im:       # reads the header only
                w, h = im.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    return (h, w) if exif_orientation(content) in (5, 6, 7, 8) else (w, h)


def _check_encoded_size(path: str, shape: tuple[int, int], what: str) -> None:
    """:class:`MaskSizeError` when the file at ``path`` is not ``shape`` (H, W), read from
    its header before anything is decoded (a 30000x30000 PNG of a few kB decodes to
    gigabytes). Files PIL cannot read are left to the decoder."""
    from PIL import Image
    try:
        size = encoded_size(get_bytes(path))
    except Image.DecompressionBombError:
        size = 'larger than 179 million pixels'
    except OSError:
        return                                   # the reader names the file
    if size is not None and size != (shape[1], shape[0]):
        size = size if isinstance(size, str) else f'{size[0]}x{size[1]}'
        raise MaskSizeError(f'{what} {path} is {size} but the image is {shape[1]}x{shape[0]}')


def _read_upright(path: str) -> np.ndarray:
    """``path`` as uint8 ``(H, W)`` (grayscale files), RGB ``(H, W, 3)`` or RGBA
    ``(H, W, 4)`` (files with alpha, gray + alpha included), upright."""
    try:
        content = get_bytes(path)
    except OSError as exc:
        raise ImageLoadError(f'cannot read image file {path}: {exc}') from exc
    return _decode_upright(content, f'image file {path}')


def _decode_upright(content: bytes, name: str) -> np.ndarray:
    """:func:`_read_upright` of encoded bytes; errors name ``name``."""
    if not content:
        raise ImageLoadError(f'{name} is empty (0 bytes)')
    img = cv2.imdecode(np.frombuffer(content, np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None or img.size == 0:
        raise ImageLoadError(f'{name} cannot be decoded (corrupt, truncated or '
                             'not an image)')
    if img.dtype == np.uint16:
        img = (img.astype(np.float32) / 257.0 + 0.5).astype(np.uint8)
    elif img.dtype != np.uint8:
        raise ImageLoadError(f'{name} has unsupported pixel type {img.dtype}')
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    elif img.ndim == 3 and img.shape[2] == 4:
        img = img[..., [2, 1, 0, 3]]   # BGRA -> RGBA (gray + alpha files decode as BGRA)
    elif img.ndim == 3:
        img = img[..., 2::-1]          # BGR -> RGB
    return apply_orientation(img, exif_orientation(content))


MASK_RULE = """\
A mask pixel is a hole when:
- the mask has transparency (an alpha channel, or a palette or gray PNG with a
  transparent entry, with at least one pixel not fully opaque): it is opaque, alpha > 127,
  whatever its colour (strokes painted on a transparent layer are the holes);
- otherwise: any of its colour channels is above 127 (white, or any colour painted on
  black, is a hole; black is known).
16-bit masks are scaled to 8 bits first (x / 257). JPEG masks are read like any other, but
their compression blurs the edges: save masks as PNG."""


def binarise_mask(mask: np.ndarray, name: str = 'mask', threshold: int | None = None,
                  invert: bool = False, warn: bool = True) -> np.ndarray:
    """uint8 ``(H, W)``, 1 = hole, from a mask array ``(H, W)`` or ``(H, W, C)``: the one
    rule every reader of masks uses (files, the server, arrays given to the API).

    ``C`` is 1 or 3 (colour), 2 (gray + alpha) or 4 (colour + alpha). Where an alpha
    channel is present and some pixel is not fully opaque, a pixel is a hole when its alpha
    is above ``threshold`` (painted strokes on a transparent layer); otherwise when *any*
    colour channel is above ``threshold``, so a hole painted in blue or red counts as well
    as a white one (see :data:`MASK_RULE`). uint16 arrays are scaled to 8 bits first.
    ``threshold=None``: 127 for masks that use more than 0 and 1, else 0. ``warn``: warn
    (naming ``name``) when the mask has no hole, or is all hole.
    """
    mask = np.asarray(mask)
    if mask.dtype == np.uint16 and mask.max(initial=0) > 1:
        mask = (mask.astype(np.float32) / 257.0 + 0.5).astype(np.uint8)
    if mask.ndim == 3 and mask.shape[2] in (2, 4):
        alpha, mask = mask[..., -1], mask[..., :-1]
        opaque = 255 if alpha.dtype == np.uint8 else 1
        if alpha.min(initial=opaque) < opaque:      # transparency: the opaque pixels
            mask = alpha
    if mask.ndim == 3:      # channel by channel: numpy's max(axis=2) is ~10x slower
        mask = functools.reduce(np.maximum, (mask[..., c] for c in range(mask.shape[2])))
    if mask.ndim != 2:
        raise ValueError(f'{name}: a mask must be (H, W) or (H, W, C), got shape {mask.shape}')
    if threshold is None:
        threshold = 127 if mask.dtype == np.uint8 and mask.max(initial=0) > 1 else 0
    hole = (mask > threshold).astype(np.uint8)
    if invert:
        hole = 1 - hole
    if not warn:
        return hole
    if not hole.any():
        warnings.warn(f'{name} has no hole (no pixel above {threshold}): the output is the '
                      'input unchanged', stacklevel=2)
    elif hole.all():
        warnings.warn(f'{name} is all hole: nothing of the image is kept', stacklevel=2)
    return hole


def decode_mask(content: bytes, name: str = 'mask', threshold: int | None = 127,
                invert: bool = False, warn: bool = True) -> np.ndarray:
    """Encoded mask bytes as uint8 ``(H, W)``, 1 = hole, by :func:`binarise_mask`'s rule,
    upright by the EXIF orientation; :class:`ImageLoadError` naming ``name``."""
    return binarise_mask(_decode_upright(content, name), name, threshold, invert, warn)


def read_mask(path: str, threshold: int | None = 127, invert: bool = False,
              shape: tuple[int, int] | None = None) -> np.ndarray:
    """Read a mask file as uint8 ``(H, W)``, 1 = hole (the rule: :data:`MASK_RULE`).
    With ``shape`` (H, W), a mask of another size raises :class:`MaskSizeError` before it
    is decoded (from the size its header states: a decompression bomb costs nothing)."""
    if shape is not None:
        _check_encoded_size(path, shape, 'mask')
    try:
        content = get_bytes(path)
    except OSError as exc:
        raise ImageLoadError(f'cannot read mask file {path}: {exc}') from exc
    return decode_mask(content, f'mask {path}', threshold, invert)


def fit_mask(mask: np.ndarray, shape: tuple[int, int], name: str, image: str = 'the image',
             resize: bool = False, hint: str = '') -> np.ndarray:
    """``mask`` if it is ``shape`` (H, W); resized (nearest neighbour) when ``resize``;
    otherwise :class:`MaskSizeError` naming both sizes, and ``hint`` (how to resize)."""
    h, w = shape
    if mask.shape[:2] == (h, w):
        return mask
    if not resize:
        raise MaskSizeError(f'{name} is {mask.shape[1]}x{mask.shape[0]} but {image} is '
                            f'{w}x{h}' + (f'; {hint}' if hint else ''))
    return cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)
