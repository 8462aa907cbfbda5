"""Uploaded bytes -> arrays, with errors that name the request field at fault."""
from __future__ import annotations

import base64
import binascii
import io

import numpy as np


class InputError(ValueError):
    """Bad input in one field of a request: answered with ``status`` and the message."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(f'{field}: {message}')
        self.field, self.status = field, status


def from_base64(field: str, text: str) -> bytes:
    """Bytes of a base64 string, or of a ``data:...;base64,`` URL."""
    if text.startswith('data:'):
        head, _, text = text.partition(',')
        if not head.endswith(';base64'):
            raise InputError(field, 'a data URL must be base64-encoded (data:...;base64,...)')
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError(field, f'not valid base64 ({exc})') from exc


def _header(field: str, content: bytes, max_pixels: int):
    """The PIL image, opened lazily (header only), its size checked against ``max_pixels``
    before anything is decoded."""
    from PIL import Image, UnidentifiedImageError
    if not content:
        raise InputError(field, 'is empty (0 bytes)')
    try:
        image = Image.open(io.BytesIO(content))
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(field, 'not an image (cannot be decoded as PNG, JPEG, WebP, BMP, '
                                'TIFF ...)') from exc
    except Image.DecompressionBombError as exc:
        raise InputError(field, f'too large ({exc})', status=413) from exc
    w, h = image.size
    if w * h > max_pixels:
        raise InputError(field, f'too large: {w}x{h} is {w * h:,} pixels, the limit is '
                                f'{max_pixels:,}', status=413)
    return image


def _open(field: str, content: bytes, max_pixels: int):
    """The decoded, EXIF-oriented PIL image; its size is checked before decoding."""
    from PIL import ImageOps
    image = _header(field, content, max_pixels)
    try:
        image.load()
        return ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt data
        raise InputError(field, f'not an image: its data cannot be decoded ({exc})') from exc


def _gray(image) -> np.ndarray:
    """uint8 (H, W) of a 16- or 32-bit gray image, scaled down."""
    arr = np.asarray(image, dtype=np.float64)
    top = 65535.0 if image.mode.startswith('I;16') or arr.max() > 255 else 255.0
    return np.clip(arr * (255.0 / top) + 0.5, 0, 255).astype(np.uint8)


def decode_image(field: str, content: bytes, max_pixels: int) -> np.ndarray:
    """RGB uint8 (H, W, 3) from encoded bytes; alpha is dropped, gray is copied to RGB."""
    image = _open(field, content, max_pixels)
    if image.mode.startswith('I'):
        return np.repeat(_gray(image)[..., None], 3, axis=2)
    return np.array(image.convert('RGB'))      # a writable copy: torch wants one


def decode_mask(field: str, content: bytes, max_pixels: int,
                shape: tuple[int, int]) -> np.ndarray:
    """float32 (H, W) in {0, 1}, 1 = hole, by the toolbox's one mask rule
    (:data:`toolbox.datasets.reading.MASK_RULE`), as the CLI and the API read mask files."""
    from toolbox.datasets.reading import ImageLoadError
    from toolbox.datasets.reading import decode_mask as decode_by_the_rule
    _header(field, content, max_pixels)
    try:
        mask = decode_by_the_rule(content, field, warn=False)
    except ImageLoadError as exc:
        raise InputError(field, 'not an image: its data cannot be decoded') from exc
    if mask.shape != tuple(shape):
        raise InputError(field, f'the mask is {mask.shape[1]}x{mask.shape[0]} but the image '
                                f'is {shape[1]}x{shape[0]}: they must be the same size')
    return mask.astype(np.float32)
