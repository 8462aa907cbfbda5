"""Image-quality functions on float tensors ``[B, 3, H, W]`` in ``[0, 1]``.

Each per-image function returns one value per image (a ``[B]`` float64 tensor) that does
not depend on how images are batched. ``mask`` (``[B, 1, H, W]``, 1 = hole) restricts the
measure to the hole where the metric allows it.

==================  =====================================================================
:func:`psnr`        peak signal-to-noise ratio (dB); ``y_channel`` for the luma only
:func:`ssim`        structural similarity, the common definition (Gaussian window 11,
                    sigma 1.5, K1 0.01, K2 0.03, population covariances, channels
                    averaged): equal to scikit-image's ``structural_similarity(...,
                    gaussian_weights=True, sigma=1.5, use_sample_covariance=False)``
                    to about 1e-13 (float64 statistics by default; on the CPU a fused
                    kernel, :mod:`toolbox.evaluation.cpu_kernels`)
:func:`mae`, :func:`mse`   mean absolute / squared error
:func:`l1_error`, :func:`l2_error`   the same in percent, as DeepFill v2's tables report
:func:`bpe`         boundary pixel error (DFNet)
:func:`lpips`       LPIPS through the ``lpips`` package (a network; see
                    :mod:`toolbox.evaluation.perceptual`)
==================  =====================================================================

FID pieces (not per image): :class:`FeatureStats` accumulates float64 sums of features,
:func:`frechet_distance` compares two Gaussians, :func:`fid_from_features` does both.
"""
from __future__ import annotations

import contextlib
import functools
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ['psnr', 'ssim', 'ssim_map', 'mae', 'mse', 'l1_error', 'l2_error', 'bpe',
           'boundary_band', 'rgb_to_y', 'lpips', 'FeatureStats', 'frechet_distance',
           'fid_from_features']


def _check(pred: Tensor, target: Tensor, mask: Tensor | None, name: str) -> None:
    if pred.shape != target.shape or pred.ndim != 4:
        raise ValueError(f'{name}: pred and target must both be [B, C, H, W], got '
                         f'{list(pred.shape)} and {list(target.shape)}')
    if mask is not None and (mask.ndim != 4 or mask.shape[1] != 1
                             or mask.shape[0] != pred.shape[0]
                             or mask.shape[2:] != pred.shape[2:]):
        raise ValueError(f'{name}: mask must be [B, 1, H, W] matching the images, got '
                         f'{list(mask.shape)}')


def _kernels(t: Tensor):
    """:mod:`.cpu_kernels` for CPU tensors where numba is importable, else ``None``: the
    torch operators then compute the same values, slower."""
    if t.device.type != 'cpu':
        return None
    try:
        from . import cpu_kernels
    except ImportError:
        return None
    return cpu_kernels


def _masked_mean(values: Tensor, mask: Tensor | None) -> Tensor:
    """Per-image mean of ``values`` [B, C, H, W] over all pixels, or over the hole.

    Rows are summed in the values' precision (W terms, twice as fast), the rest in float64.
    """
    if mask is None:
        return values.sum(-1).flatten(1).sum(1, dtype=torch.float64) / values[0].numel()
    weight = mask.to(values.dtype).expand_as(values)
    total = (values * weight).sum(-1).flatten(1).sum(1, dtype=torch.float64)
    return total / weight.sum(-1).flatten(1).sum(1, dtype=torch.float64).clamp_min(1)


def rgb_to_y(image: Tensor) -> Tensor:
    """Luma of RGB ``[B, 3, H, W]`` in [0, 1] as ITU-R BT.601 studio range (MATLAB's
    ``rgb2ycbcr``, the convention of super-resolution papers): ``[B, 1, H, W]`` in
    [16/255, 235/255]."""
    if image.ndim != 4 or image.shape[1] != 3:
        raise ValueError(f'rgb_to_y: image must be [B, 3, H, W], got {list(image.shape)}')
    weights = image.new_tensor([65.481, 128.553, 24.966]).view(1, 3, 1, 1)
    return (image * weights).sum(1, keepdim=True) / 255.0 + 16.0 / 255.0


@contextlib.contextmanager
def _one_thread(active: bool):
    """Run torch's CPU operators single-threaded inside the block.

    A few images' operators are too small to split across threads: measured on a 2-core
    machine, two threads were never faster, and with other processes busy (threads
    spinning while the other core is taken) up to 20 times slower.
    """
    threads = torch.get_num_threads()
    if not active or threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _chunked(fn, pred: Tensor, target: Tensor, mask: Tensor | None) -> Tensor:
    """``fn(pred, target, mask)`` over slices of a few images on the CPU (one thread; see
    :func:`_one_thread`), where temporaries of a whole batch would not fit in cache; one
    call elsewhere."""
    cpu = pred.device.type == 'cpu'
    step = 4 if cpu else max(1, pred.shape[0])
    with _one_thread(cpu):
        return torch.cat([fn(pred[i:i + step], target[i:i + step],
                             None if mask is None else mask[i:i + step])
                          for i in range(0, pred.shape[0], step)])


def mae(pred: Tensor, target: Tensor, mask: Tensor | None = None) -> Tensor:
    """Mean absolute error per image (whole image, or hole only with ``mask``)."""
    _check(pred, target, mask, 'mae')
    return _chunked(lambda p, t, m: _masked_mean((p - t).abs_(), m), pred, target, mask)


def mse(pred: Tensor, target: Tensor, mask: Tensor | None = None) -> Tensor:
    """Mean squared error per image, accumulated in float64 from the exact differences on
    the CPU (:mod:`.cpu_kernels`); elsewhere squares and row sums in the inputs' type."""
    _check(pred, target, mask, 'mse')
    kernels = _kernels(pred)
    if kernels is None:
        return _chunked(lambda p, t, m: _masked_mean((p - t).square_(), m), pred, target,
                        mask)
    if mask is None:
        return kernels.squared_error_sums(pred, target) / pred[0].numel()
    weight = mask[:, 0]
    total = kernels.squared_error_sums(pred, target, weight)
    count = weight.sum(dim=(1, 2), dtype=torch.float64) * pred.shape[1]
    return total / count.clamp_min(1)


def l1_error(pred: Tensor, target: Tensor, mask: Tensor | None = None) -> Tensor:
    """Mean absolute error in percent of the [0, 1] range (DeepFill v2's "l1 err.")."""
    _check(pred, target, mask, 'l1_error')
    return 100.0 * mae(pred, target, mask)


def l2_error(pred: Tensor, target: Tensor, mask: Tensor | None = None) -> Tensor:
    """Mean squared error in percent, images in [0, 1] (DeepFill v2's "l2 err.")."""
    _check(pred, target, mask, 'l2_error')
    return 100.0 * mse(pred, target, mask)


def psnr(pred: Tensor, target: Tensor, mask: Tensor | None = None,
         data_range: float = 1.0, y_channel: bool = False) -> Tensor:
    """Peak signal-to-noise ratio in dB per image; ``inf`` for identical images.

    ``y_channel`` measures the BT.601 luma (:func:`rgb_to_y`) instead of RGB.
    """
    _check(pred, target, mask, 'psnr')
    if y_channel:
        pred, target = rgb_to_y(pred), rgb_to_y(target)
    err = mse(pred, target, mask)
    return 10.0 * torch.log10(data_range ** 2 / err)


# --- SSIM -----------------------------------------------------------------------------------

@functools.lru_cache(maxsize=16)
def _gaussian_window(size: int, sigma: float, dtype: torch.dtype, device) -> Tensor:
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-0.5 * (x / sigma) ** 2)
    return (g / g.sum()).to(dtype=dtype, device=device)


class _SSIMKernel:
    """The SSIM map of image batches of one shape, with reused buffers, from torch
    operators: for other devices than the CPU, for ``precision='float32'``, and on the CPU
    where numba is missing. Float64 statistics of CPU tensors go through the fused kernel
    of :mod:`.cpu_kernels` instead (the same values, to 1e-13; about 4 times faster).

    The local means of x, y, x^2 + y^2 and x y (four maps suffice: the formula needs
    var_x + var_y, not each) are packed into one ``[B, 4C, H, W]`` tensor and filtered
    separably (1 x k, k x 1) without padding. The buffers are kept from image to image:
    fresh multi-megabyte allocations cost page faults that would double the time.

    Variances come from ``E[x^2] - E[x]^2``, which cancels where the window is flat: in
    float32 the rounding of ``E[x^2]`` (a few 1e-8 of it) is left against ``C2 = 9e-4``.
    x and y are centred at ``data_range / 2`` first (variances do not change), which
    quarters ``E[x^2]`` at the extremes and so the float32 error. Measured against
    scikit-image (float64 on the same values), mean SSIM per image: float64 statistics
    within 5.3e-14 everywhere (flat images of any level, with or without noise; photos
    1e-14); float32 statistics up to 6.6e-5 off (a flat white image), 2.2e-5 on flat
    bright areas with 8-bit noise, 5.1e-6 on real photos' flat bright areas (the
    ``bright_photo_pairs`` of the tests), 8.3e-6 on photos. Hence float64 by default.

    float64: oneDNN has no float64 depthwise convolution, and the fallback is about 25
    times slower than ``k`` shifted multiply-adds per direction, which are used instead.
    float32: the pack is channels-last and filtered by two depthwise convolutions; on CPUs
    that layout is about ten times faster than the default one, and one 4C-channel
    convolution several times faster than four C-channel ones.
    """

    def __init__(self, shape: torch.Size, dtype: torch.dtype, device, window: Tensor,
                 c1: float, c2: float, offset: float) -> None:
        b, c, h, w = shape
        k = window.numel()
        self.n = 4 * c
        self.convolve = dtype != torch.float64
        if self.convolve:
            self.packed = torch.empty(b, h, w, 4 * c, dtype=dtype,
                                      device=device).permute(0, 3, 1, 2)  # channels-last
            self.w_h = window.view(1, 1, 1, k).repeat(self.n, 1, 1, 1)
            self.w_v = window.view(1, 1, k, 1).repeat(self.n, 1, 1, 1)
        else:
            self.packed = torch.empty(b, 4 * c, h, w, dtype=dtype, device=device)
            self.taps = window.tolist()
            self.rows = torch.empty(b, 4 * c, h - k + 1, w, dtype=dtype, device=device)
        # Views made once: per-image Python overhead counts at these sizes.
        self.slots = self.packed.split(c, dim=1)
        self.xc, self.yc, self.sq, self.xy = (torch.empty(shape, dtype=dtype, device=device)
                                              for _ in range(4))
        out = (b, c, h - k + 1, w - k + 1)
        self.stats = torch.empty(b, 4 * c, *out[2:], dtype=dtype, device=device)
        self.stats_parts = self.stats.split(c, dim=1)
        self.num, self.lum = (torch.empty(out, dtype=dtype, device=device) for _ in range(2))
        self.offset = offset
        self.k1 = torch.tensor(c1, dtype=dtype, device=device)
        self.k2 = torch.tensor(c2, dtype=dtype, device=device)

    def _filter(self) -> None:
        """``self.stats`` = the packed maps filtered by the window in both directions."""
        if self.convolve:
            stats = F.conv2d(self.packed, self.w_h, groups=self.n)
            stats = F.conv2d(stats, self.w_v, groups=self.n)
            # Back to contiguous planes: the formula's element-wise passes vectorise there.
            self.stats.copy_(stats)
            return
        taps, rows, out = self.taps, self.rows, self.stats
        k, n_rows, n_cols = len(taps), rows.shape[2], out.shape[3]
        torch.mul(self.packed[:, :, :n_rows], taps[0], out=rows)   # columns first: rows
        for i in range(1, k):                                      # stay contiguous
            rows.add_(self.packed[:, :, i:i + n_rows], alpha=taps[i])
        torch.mul(rows[..., :n_cols], taps[0], out=out)
        for i in range(1, k):
            out.add_(rows[..., i:i + n_cols], alpha=taps[i])

    def __call__(self, x: Tensor, y: Tensor) -> Tensor:
        """The map ``[B, C, H - k + 1, W - k + 1]``, valid until the next call."""
        xc = torch.sub(x, self.offset, out=self.xc)
        yc = torch.sub(y, self.offset, out=self.yc)
        # Products on contiguous tensors (vectorised), then one strided copy per map. C2
        # rides along: the filter is normalised, so filtering x^2 + y^2 + C2 gives
        # E[x^2 + y^2] + C2, and likewise for 2 x y + C2.
        torch.addcmul(self.k2, xc, xc, out=self.sq).addcmul_(yc, yc)
        torch.addcmul(self.k2, xc, yc, value=2, out=self.xy)
        for slot, plane in zip(self.slots, (xc, yc, self.sq, self.xy)):
            slot.copy_(plane)
        self._filter()
        mu_x, mu_y, e_sq, e_xy = self.stats_parts      # of the centred x and y
        # (2 mu_x mu_y + C1) (2 cov_xy + C2) / ((mu_x^2 + mu_y^2 + C1) (var_x + var_y + C2))
        cs_num = e_xy.addcmul_(mu_x, mu_y, value=-2)                        # 2 cov + C2
        cs_den = e_sq.addcmul_(mu_x, mu_x, value=-1).addcmul_(mu_y, mu_y, value=-1)
        mu_x.add_(self.offset)
        mu_y.add_(self.offset)
        num = torch.addcmul(self.k1, mu_x, mu_y, value=2, out=self.num).mul_(cs_num)
        lum = torch.addcmul(self.k1, mu_x, mu_x, out=self.lum).addcmul_(mu_y, mu_y)
        return num.div_(lum.mul_(cs_den))


_PRECISIONS = {'float64': torch.float64, 'float32': torch.float32}


def _ssim_setup(pred: Tensor, target: Tensor, data_range: float, window_size: int,
                sigma: float, k1: float, k2: float, precision: str):
    """Check the arguments; ``(statistics dtype, window, C1, C2)``."""
    _check(pred, target, None, 'ssim')
    h, w = pred.shape[2:]
    if window_size % 2 != 1 or window_size > min(h, w):
        raise ValueError(f'ssim: window_size must be odd and at most the image size, got '
                         f'{window_size} for {h}x{w} images')
    if precision not in _PRECISIONS:
        raise ValueError(f'ssim: precision must be one of {sorted(_PRECISIONS)}, got '
                         f'{precision!r}')
    dtype = torch.float64 if pred.dtype == torch.float64 else _PRECISIONS[precision]
    window = _gaussian_window(window_size, float(sigma), dtype, pred.device)
    return dtype, window, (k1 * data_range) ** 2, (k2 * data_range) ** 2


def _ssim_chunks(pred: Tensor, target: Tensor, dtype: torch.dtype, window: Tensor,
                 c1: float, c2: float, data_range: float):
    """Yield ``(start, ssim map)`` over the batch through :class:`_SSIMKernel`; each map
    is valid until the next one.

    On the CPU one image at a time (callers hold :func:`_one_thread`): the working set
    stays in cache (faster than whole batches), and every image is computed the same way
    whatever the batch size, so values do not depend on it.
    """
    step = 1 if pred.device.type == 'cpu' else max(1, pred.shape[0])
    kernels: dict = {}
    for i in range(0, pred.shape[0], step):
        x = pred[i:i + step].to(dtype)
        y = target[i:i + step].to(dtype)
        if x.shape not in kernels:
            kernels[x.shape] = _SSIMKernel(x.shape, dtype, x.device, window, c1, c2,
                                           data_range / 2)
        yield i, kernels[x.shape](x, y)


def ssim_map(pred: Tensor, target: Tensor, data_range: float = 1.0, window_size: int = 11,
             sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03,
             precision: str = 'float64') -> Tensor:
    """Local SSIM ``[B, C, H - window_size + 1, W - window_size + 1]``: the map of
    Wang et al. (2004) at every position where the window fits inside the image.

    Local statistics use a normalised Gaussian window and population (biased) variances.
    That is scikit-image's definition: it filters with padding and then crops
    ``(window_size - 1) / 2`` pixels from each side, which leaves exactly these values.
    The statistics are computed in ``precision`` (always float64 for float64 inputs; see
    :func:`ssim` for what float32 costs in accuracy) and the map is returned in it.
    """
    dtype, window, c1, c2 = _ssim_setup(pred, target, data_range, window_size, sigma, k1,
                                        k2, precision)
    fused = _kernels(pred) if dtype == torch.float64 else None
    if fused is not None:
        out = torch.empty(*pred.shape[:2], pred.shape[2] - window_size + 1,
                          pred.shape[3] - window_size + 1, dtype=torch.float64)
        fused.ssim_sums(pred, target, window, c1, c2, data_range / 2, out=out)
        return out
    with _one_thread(pred.device.type == 'cpu'):
        maps = [m.clone() for _, m in _ssim_chunks(pred, target, dtype, window, c1, c2,
                                                    data_range)]
    return torch.cat(maps)


def ssim(pred: Tensor, target: Tensor, mask: Tensor | None = None, data_range: float = 1.0,
         y_channel: bool = False, window_size: int = 11, sigma: float = 1.5,
         k1: float = 0.01, k2: float = 0.03, precision: str = 'float64') -> Tensor:
    """Mean SSIM per image, averaged over channels (see :func:`ssim_map`).

    Equal to scikit-image's ``structural_similarity(p, t, gaussian_weights=True,
    sigma=1.5, use_sample_covariance=False, data_range=1, channel_axis=-1)`` on the same
    values, to about 1e-13 with the default ``precision='float64'`` statistics (inputs of
    any float type; measured up to 5.3e-14 on flat images of any level with or without
    noise, 2e-14 on real photos' flat bright areas, 1e-14 on photos). On the CPU these come
    from a fused kernel (:mod:`.cpu_kernels`): PSNR + SSIM about 11 times faster than
    scikit-image on 256 x 256 photos, one thread each (``tools/benchmark.py metrics``).
    ``precision='float32'`` (torch operators, meant for GPUs; on the CPU slower than the
    default) loses a few 1e-8 of the variances to rounding where a window is flat, against
    ``C2 = 9e-4``: measured up to 6.6e-5 from scikit-image on a flat white image, 2.2e-5 on
    flat bright areas with 8-bit noise, 8.3e-6 on photos (see ``_SSIMKernel``).

    With ``mask`` the map is averaged over the hole pixels where the window fits inside
    the image (the mask cropped like the map); an image whose hole lies entirely in that
    border gets ``nan``. ``y_channel`` measures the BT.601 luma only.
    """
    _check(pred, target, mask, 'ssim')
    if y_channel:
        pred, target = rgb_to_y(pred), rgb_to_y(target)
    with _one_thread(pred.device.type == 'cpu'):
        return _mean_ssim(pred, target, mask, data_range, window_size, sigma, k1, k2,
                          precision)


def _mean_ssim(pred, target, mask, data_range, window_size, sigma, k1, k2,
               precision) -> Tensor:
    dtype, window, c1, c2 = _ssim_setup(pred, target, data_range, window_size, sigma, k1,
                                        k2, precision)
    r = (window_size - 1) // 2
    hole = None if mask is None else mask[:, :, r:mask.shape[2] - r, r:mask.shape[3] - r]
    fused = _kernels(pred) if dtype == torch.float64 else None
    if fused is not None:
        n_ch = pred.shape[1]
        if hole is None:
            positions = (pred.shape[2] - 2 * r) * (pred.shape[3] - 2 * r)
            return fused.ssim_sums(pred, target, window, c1, c2, data_range / 2) / (
                n_ch * positions)
        total = fused.ssim_sums(pred, target, window, c1, c2, data_range / 2,
                                weight=hole[:, 0]) / n_ch
        return _hole_mean(total, hole.sum(dim=(1, 2, 3), dtype=torch.float64))
    values = []
    for i, smap in _ssim_chunks(pred, target, dtype, window, c1, c2, data_range):
        n = smap.shape[0]
        if hole is None:
            # Rows summed in the map's precision (one row's terms), the rest in float64.
            values.append(smap.sum(dim=-1).sum(dim=(1, 2), dtype=torch.float64)
                          / smap[0].numel())
            continue
        part = hole[i:i + n].to(smap.dtype)
        total = (smap * part).sum(dim=-1).sum(dim=(1, 2), dtype=torch.float64) / smap.shape[1]
        values.append(_hole_mean(total, part.sum(dim=(1, 2, 3), dtype=torch.float64)))
    return torch.cat(values).cpu()


def _hole_mean(total: Tensor, count: Tensor) -> Tensor:
    """``total / count`` per image, ``nan`` where the hole is empty."""
    return torch.where(count > 0, total / count.clamp_min(1), torch.full_like(total, math.nan))


# --- boundary pixel error -------------------------------------------------------------------

def boundary_band(mask: Tensor, width: int = 3) -> Tensor:
    """The hole pixels within ``width`` pixels (chessboard distance) of a known pixel:
    ``[B, 1, H, W]`` in {0, 1}. The image border does not count as known."""
    if width < 1:
        raise ValueError(f'boundary_band: width must be >= 1, got {width}')
    hole = (mask > 0.5).to(torch.float32)
    known = 1.0 - hole
    near_known = F.max_pool2d(known, 2 * width + 1, stride=1, padding=width)
    return hole * near_known


def bpe(pred: Tensor, target: Tensor, mask: Tensor, width: int = 3) -> Tensor:
    """Boundary pixel error (DFNet, Hong et al. 2019): how well the filled region meets the
    known one. Here: the mean absolute error, in percent of the [0, 1] range, over the hole
    pixels within ``width`` pixels of the hole's edge (:func:`boundary_band`).

    The paper names the measure without fixing the band; its width is a parameter here.
    ``nan`` for an image without a boundary (no hole, or no known pixel).
    """
    if mask is None:
        raise ValueError('bpe: a mask is required (the boundary is the hole\'s edge)')
    _check(pred, target, mask, 'bpe')
    band = boundary_band(mask, width).double()
    err = (pred - target).abs().double().mean(1, keepdim=True)      # [B, 1, H, W]
    count = band.flatten(1).sum(1)
    value = 100.0 * (err * band).flatten(1).sum(1) / count.clamp_min(1)
    return torch.where(count > 0, value, torch.full_like(value, math.nan))


# --- LPIPS ----------------------------------------------------------------------------------

_LPIPS_CACHE: dict = {}


def lpips(pred: Tensor, target: Tensor, model=None, net: str = 'alex') -> Tensor:
    """LPIPS distance per image (lower = more similar), through the ``lpips`` package.

    ``model``: an ``lpips.LPIPS`` instance (from
    :func:`toolbox.evaluation.perceptual.build_lpips`); when ``None``, a pretrained
    model for ``net`` (``'alex'``, ``'vgg'``, ``'squeeze'``) is built once and cached --
    which needs the backbone's weights (see :mod:`toolbox.weights`).
    """
    _check(pred, target, None, 'lpips')
    if model is None:
        key = (net, str(pred.device))
        if key not in _LPIPS_CACHE:
            from .perceptual import build_lpips
            _LPIPS_CACHE[key] = build_lpips(net=net).to(pred.device)
        model = _LPIPS_CACHE[key]
    from .perceptual import lpips_distance
    return lpips_distance(model, pred, target)


# --- FID pieces -----------------------------------------------------------------------------

class FeatureStats:
    """Running float64 sums of feature vectors: count, sum and sum of outer products.

    The mean and covariance follow from the sums, so statistics accumulated batch by
    batch (or on several processes, then :meth:`merge`\\ d) equal those of all features at
    once, whatever the batch size.
    """

    def __init__(self) -> None:
        self.n = 0
        self.sum: Tensor | None = None        # [D] float64
        self.outer: Tensor | None = None      # [D, D] float64

    def update(self, features: Tensor) -> None:
        """Add ``features`` ``[N, D]``."""
        if features.ndim != 2:
            raise ValueError(f'FeatureStats: features must be [N, D], got {list(features.shape)}')
        f = features.detach().to(device='cpu', dtype=torch.float64)
        if self.sum is None:
            self.sum = torch.zeros(f.shape[1], dtype=torch.float64)
            self.outer = torch.zeros(f.shape[1], f.shape[1], dtype=torch.float64)
        elif f.shape[1] != self.sum.shape[0]:
            raise ValueError(f'FeatureStats: feature size changed from {self.sum.shape[0]} '
                             f'to {f.shape[1]}')
        self.n += f.shape[0]
        self.sum += f.sum(0)
        self.outer += f.T @ f

    def merge(self, other: FeatureStats) -> FeatureStats:
        if other.n:
            if self.sum is None:
                self.n, self.sum, self.outer = other.n, other.sum.clone(), other.outer.clone()
            else:
                self.n += other.n
                self.sum += other.sum
                self.outer += other.outer
        return self

    def mean_cov(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean ``[D]`` and unbiased covariance ``[D, D]`` (like ``numpy.cov``), float64."""
        if self.n < 2:
            raise ValueError(f'FID needs at least 2 images per set, got {self.n}')
        mu = self.sum / self.n
        cov = (self.outer - self.n * torch.outer(mu, mu)) / (self.n - 1)
        return mu.numpy(), ((cov + cov.T) / 2).numpy()


def _sqrtm_psd(a: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric positive semi-definite matrix."""
    w, v = np.linalg.eigh(a)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray,
                     cov2: np.ndarray) -> float:
    """Fréchet distance of two Gaussians, in float64:
    ``|mu1 - mu2|^2 + tr(C1) + tr(C2) - 2 tr((C1 C2)^(1/2))``.

    ``tr((C1 C2)^(1/2))`` is computed as the sum of the square roots of the eigenvalues
    of the symmetric matrix ``C1^(1/2) C2 C1^(1/2)`` (similar to ``C1 C2``), clipped at 0.
    Unlike a general matrix square root of ``C1 C2`` this never produces complex values,
    and it stays defined for singular covariances (fewer images than dimensions).
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    cov1, cov2 = np.asarray(cov1, np.float64), np.asarray(cov2, np.float64)
    if mu1.shape != mu2.shape or cov1.shape != cov2.shape or cov1.shape != mu1.shape * 2:
        raise ValueError(f'frechet_distance: shapes do not match: mu {mu1.shape} / '
                         f'{mu2.shape}, cov {cov1.shape} / {cov2.shape}')
    root1 = _sqrtm_psd(cov1)
    inner = root1 @ cov2 @ root1
    eig = np.linalg.eigvalsh((inner + inner.T) / 2)
    tr_covmean = np.sqrt(np.clip(eig, 0.0, None)).sum()
    diff = mu1 - mu2
    value = float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * tr_covmean)
    # Mathematically >= 0; rounding can leave -1e-12 for identical statistics.
    return max(value, 0.0)


def fid_from_features(real: Tensor, fake: Tensor) -> float:
    """FID between two feature sets ``[N, D]`` and ``[M, D]``."""
    a, b = FeatureStats(), FeatureStats()
    a.update(real)
    b.update(fake)
    return frechet_distance(*a.mean_cov(), *b.mean_cov())
