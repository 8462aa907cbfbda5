"""High-resolution strategies: how :func:`toolbox.apis.inpaint` fits a large photo to a model.

A model is convolutional and runs at any size, but its cost grows with the pixel count (for
DeepFill v2's contextual attention, with its square), while a hole in a photo is usually a
small part of it. The strategies:

* ``whole``: the model on the whole image at full resolution, whatever its size.
* ``resize``: an image longer than the limit (``max_side``, else the generator's
  ``max_inference_side``, else :data:`RESIZE_LIMIT`) is downscaled (area interpolation) to
  it, inpainted, and the result upscaled (bicubic).
* ``crop``: an image longer than ``crop_trigger`` pixels is inpainted hole by hole: each
  connected hole's bounding box plus ``crop_margin`` pixels of context on every side (a box
  at an edge takes the missing context from the other side) is cut out, inpainted at the
  model's size -- full resolution, or downscaled to the limit of ``window`` where the crop
  is longer than that -- and pasted back. Holes that a crop contains entirely are filled by
  it; crops run in turn, each seeing the holes already filled as known pixels.
* ``window``: an image longer than the limit (``max_side``, else the generator's
  ``max_inference_side``; none: whole) is inpainted group by group: holes closer than the
  context margin ``max(limit // 8, 8)`` are grouped, and each group is inpainted in a window
  of its bounding box plus ``max(margin, longer box side // 2)``, downscaled to the limit
  where it is longer.

Whatever the strategy, only hole pixels are replaced: known pixels are returned unchanged,
bit for bit. The defaults of ``crop`` are IOPaint's (trigger 800 px, margin 128 px).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from toolbox.value_range import from_model_range, to_model_range

HD_STRATEGIES = ('whole', 'resize', 'crop', 'window')
CROP_TRIGGER = 800
CROP_MARGIN = 128
#: the ``resize`` limit for a model that states no ``max_inference_side``
RESIZE_LIMIT = 1280

#: ``progress(done, total)``, called after each piece of a piecewise strategy
Progress = Callable[[int, int], None]


@dataclass
class HDReport:
    """What a strategy did: the one asked for, the one that ran, and the model calls."""

    requested: str
    #: 'whole', 'resize', 'crop' or 'window'; 'none' when the mask has no hole
    ran: str = 'whole'
    #: (height, width) of each model input, in call order
    calls: list[tuple[int, int]] = field(default_factory=list)
    #: why the strategy asked for did not run as such (e.g. the image is under the trigger)
    reason: str = ''

    def describe(self) -> str:
        """One line for people, e.g. ``crop: 2 model calls, largest input 456x456``."""
        if self.ran == 'none':
            return 'none: the mask has no hole'
        text = f'{self.ran}: {len(self.calls)} model call{"s" * (len(self.calls) != 1)}'
        if self.calls:
            h, w = max(self.calls, key=lambda s: s[0] * s[1])
            text += f', largest input {w}x{h}'
        if self.reason:
            text += f' ({self.reason})'
        return text


def check_strategy(strategy: str) -> str:
    if strategy not in HD_STRATEGIES:
        raise ValueError(f'inpaint: hd_strategy must be one of {", ".join(HD_STRATEGIES)}, '
                         f'got {strategy!r}')
    return strategy


def run_strategy(model, img: np.ndarray, m: np.ndarray, guides: dict, strategy: str, *,
                 max_side: int | None = None, crop_trigger: int = CROP_TRIGGER,
                 crop_margin: int = CROP_MARGIN, sample_options: dict | None = None,
                 progress: Progress | None = None) -> tuple[np.ndarray, HDReport]:
    """Inpaint RGB uint8 ``img`` (H, W, 3) where float ``m`` (H, W) is 1, with ``strategy``.

    ``guides`` maps guidance names to (H, W) arrays in [0, 255]; ``sample_options`` go to
    every ``model.inpaint`` call as they are (a stochastic model's seed, steps). Returns
    the result and an :class:`HDReport`.
    """
    runner = _Runner(model, HDReport(check_strategy(strategy)), progress,
                     dict(sample_options or {}))
    if crop_trigger < 1 or crop_margin < 0:
        raise ValueError(f'inpaint: crop_trigger must be >= 1 and crop_margin >= 0, got '
                         f'{crop_trigger} and {crop_margin}')
    h, w = img.shape[:2]
    limit = max_side if max_side is not None else model.max_inference_side
    report = runner.report
    if not m.any():
        report.ran = 'none'
        return img.copy(), report
    if strategy == 'crop' and max(h, w) > crop_trigger:
        report.ran = 'crop'
        return runner.crops(img, m, guides, crop_margin, limit), report
    if strategy == 'resize':
        limit = limit or RESIZE_LIMIT
        if max(h, w) > limit:
            report.ran = 'resize'
            return runner.scaled(img, m, guides, limit), report
    if strategy == 'window' and limit is not None and max(h, w) > limit:
        report.ran = 'window'
        return runner.windows(img, m, guides, int(limit)), report
    if strategy != 'whole':
        bound = crop_trigger if strategy == 'crop' else limit
        what = 'trigger' if strategy == 'crop' else 'limit'
        report.reason = (f'the longer side, {max(h, w)} px, is within the {strategy} {what} '
                         f'of {bound} px' if bound else
                         f'{type(_generator(model)).__name__} has no size limit')
    out = runner.whole(img, m, guides)
    runner.step(1, 1)
    return out, report


def _generator(model):
    gen = getattr(model, 'generator', model)
    return gen[-1] if isinstance(gen, torch.nn.ModuleList) else gen


def _resize(array: np.ndarray, size: tuple[int, int], interpolation: int) -> np.ndarray:
    import cv2
    return cv2.resize(array, (size[1], size[0]), interpolation=interpolation)


def _grow(lo: int, hi: int, margin: int, length: int) -> tuple[int, int]:
    """``[lo, hi)`` widened by ``margin`` on both sides within ``[0, length)``; context cut
    off at one end is added at the other."""
    a, b = lo - margin, hi + margin
    if a < 0:
        b -= a
    if b > length:
        a -= b - length
    return max(0, a), min(length, b)


class _Runner:
    """The model calls of one :func:`run_strategy`, recorded in its report."""

    def __init__(self, model, report: HDReport, progress: Progress | None,
                 options: dict) -> None:
        self.model, self.report, self.progress, self.options = model, report, progress, options

    def step(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)

    def whole(self, img: np.ndarray, m: np.ndarray, guides: dict) -> np.ndarray:
        """The model on the whole of ``img``, padded to its size multiple, or resized to
        its ``fixed_size`` and back with the known pixels kept at full resolution."""
        import cv2
        model = self.model
        h, w = img.shape[:2]
        fixed = model.fixed_size
        if fixed is not None and (h, w) != tuple(fixed):
            s_mask = (_resize(m, fixed, cv2.INTER_AREA) > 0).astype(np.float32)
            s_guides = {k: _resize(np.asarray(g), fixed, cv2.INTER_AREA)
                        for k, g in guides.items()}
            out = self.whole(_resize(img, fixed, cv2.INTER_AREA), s_mask, s_guides)
            return np.where(m[..., None] > 0, _resize(out, (h, w), cv2.INTER_CUBIC), img)
        self.report.calls.append((h, w))
        # Parameter-free models (classical baselines) run on the CPU.
        device = next(iter(model.parameters()), torch.zeros(())).device
        x = to_model_range(torch.from_numpy(img).permute(2, 0, 1)[None]).to(device)
        mt = torch.from_numpy(m)[None, None].to(device)
        extra = {}
        for key, g in guides.items():
            extra[key] = torch.from_numpy(g.astype(np.float32) / 255.0)[None, None].to(device)
        k = model.size_multiple
        ph, pw = (-h) % k, (-w) % k
        if ph or pw:
            pad = (0, pw, 0, ph)
            mode = 'reflect' if ph < h and pw < w else 'replicate'
            x = F.pad(x, pad, mode=mode)
            mt = F.pad(mt, pad, value=0.0)
            extra = {key: F.pad(v, pad, mode=mode) for key, v in extra.items()}
        out = model.inpaint(x, mt, **extra, **self.options)[..., :h, :w]
        out = from_model_range(out, 255).round().byte()[0].permute(1, 2, 0).cpu().numpy()
        # The model composites in [-1, 1]; the round trip to uint8 is exact for most values,
        # but not guaranteed for all: the known pixels are taken from the input itself.
        return np.where(m[..., None] > 0, out, img)

    def scaled(self, img: np.ndarray, m: np.ndarray, guides: dict,
               limit: int | None) -> np.ndarray:
        """Downscale so the longer side is ``limit``, inpaint, upscale, paste the holes."""
        import cv2
        h, w = img.shape[:2]
        if limit is None or max(h, w) <= limit:
            return self.whole(img, m, guides)
        scale = limit / max(h, w)
        small = (max(1, round(h * scale)), max(1, round(w * scale)))
        s_img = _resize(img, small, cv2.INTER_AREA)
        # A low-resolution pixel that covers any hole pixel is a hole.
        s_mask = (_resize(m, small, cv2.INTER_AREA) > 0).astype(np.float32)
        s_guides = {k: _resize(np.asarray(g), small, cv2.INTER_AREA) for k, g in guides.items()}
        out = self.whole(s_img, s_mask, s_guides)
        up = _resize(out, (h, w), cv2.INTER_CUBIC)
        return np.where(m[..., None] > 0, up, img)

    def _fill(self, result: np.ndarray, remaining: np.ndarray, guides: dict,
              win: tuple[slice, slice], paste: np.ndarray, limit: int | None) -> None:
        """Inpaint the window ``win`` of ``result`` (its remaining holes are holes) and
        paste the pixels where ``paste`` (window-sized) is set."""
        out = self.scaled(result[win], remaining[win].astype(np.float32),
                          {k: np.asarray(g)[win] for k, g in guides.items()}, limit)
        result[win][paste] = out[paste]
        remaining[win] &= ~paste

    def crops(self, img: np.ndarray, m: np.ndarray, guides: dict, margin: int,
              limit: int | None) -> np.ndarray:
        import cv2
        h, w = img.shape[:2]
        hole = (m > 0).astype(np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(hole, connectivity=8)
        result, remaining = img.copy(), hole.astype(bool)
        done = np.zeros(count, bool)
        done[0] = True                               # label 0: the known pixels
        for label in range(1, count):
            if done[label]:
                continue
            x, y, bw, bh = stats[label, :4]
            y0, y1 = _grow(y, y + bh, margin, h)
            x0, x1 = _grow(x, x + bw, margin, w)
            # Holes lying wholly inside this crop are filled by it.
            x_, y_, w_, h_ = (stats[:, i] for i in range(4))
            inside = (~done) & (x_ >= x0) & (y_ >= y0) & (x_ + w_ <= x1) & (y_ + h_ <= y1)
            win = (slice(y0, y1), slice(x0, x1))
            self._fill(result, remaining, guides, win, inside[labels[win]], limit)
            done |= inside
            self.step(int(done.sum()) - 1, count - 1)
        return result

    def windows(self, img: np.ndarray, m: np.ndarray, guides: dict,
                limit: int) -> np.ndarray:
        import cv2
        h, w = img.shape[:2]
        base_margin = max(8, limit // 8)
        hole = (m > 0).astype(np.uint8)
        grouped = cv2.dilate(hole, np.ones((2 * base_margin + 1,) * 2, np.uint8))
        count, labels = cv2.connectedComponents(grouped, connectivity=8)
        result, remaining = img.copy(), hole.astype(bool)
        for label in range(1, count):
            group = (labels == label) & remaining
            if group.any():
                ys, xs = np.nonzero(group)
                y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
                margin = max(base_margin, max(y1 - y0, x1 - x0) // 2)
                y0, y1 = max(0, y0 - margin), min(h, y1 + margin)
                x0, x1 = max(0, x0 - margin), min(w, x1 + margin)
                win = (slice(y0, y1), slice(x0, x1))
                self._fill(result, remaining, guides, win, group[win], limit)
            self.step(label, count - 1)
        return result
