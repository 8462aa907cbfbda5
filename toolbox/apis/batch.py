"""Batch inpainting: many (image, mask) pairs, resumable, one bad file never stops the run.

Where the pairs come from:

* a folder of images and a folder of masks (or one mask file for all), paired by file
  stem (``a.jpg`` with ``a.png``), outputs ``<out>/<stem>.png``: :func:`folder_items`;
* a manifest: :func:`read_manifest`. A ``.csv`` (comma) or ``.tsv`` (tab) file with a
  header row naming the columns ``image`` and ``mask``, optionally ``output`` and
  ``sketch``; or a ``.jsonl`` file, one JSON object per line with those keys. Relative
  ``image``/``mask``/``sketch`` paths are relative to the manifest's folder, relative
  ``output`` paths to the output folder; without ``output`` it is ``<stem of image>.png``.
  Blank lines (and, in CSV/TSV, lines starting with ``#``) are skipped.

:func:`run_batch` skips every pair whose output exists, writes each output to a temporary
file that is renamed over the target once complete (a killed run leaves no partial output
that a rerun would take as done), records a failing pair with its reason and goes on,
shows a progress bar (images per second over the pairs it processes), and writes the
summary as JSON next to the outputs.
"""
from __future__ import annotations

import csv
import json
import os
import os.path as osp
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from toolbox.fileio import write_image

#: file name of the summary written into the output folder
SUMMARY_NAME = 'inpaint_summary.json'
MANIFEST_KEYS = ('image', 'mask', 'output', 'sketch')


class ManifestError(ValueError):
    """A manifest that cannot be used as a whole; the message names the file and line."""


@dataclass
class BatchItem:
    """One pair to inpaint. ``problem``: why it cannot be processed (a missing mask), known
    before the run; it is reported as this pair's failure."""
    image: str
    mask: str | None
    output: str
    sketch: str | None = None
    problem: str | None = None


@dataclass
class BatchSummary:
    done: int = 0
    skipped: int = 0
    failed: int = 0
    #: one dict per failed pair: image, mask, output, reason
    failures: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    images_per_second: float = 0.0
    summary_path: str | None = None

    def lines(self) -> list[str]:
        head = (f'{self.done} done, {self.skipped} skipped (output exists), {self.failed} '
                f'failed in {self.seconds:.1f} s ({self.images_per_second:.2f} images/s)')
        return [head] + [f'  failed: {f["image"]}: {f["reason"]}' for f in self.failures]


def _images(folder: str) -> dict[str, str]:
    """stem -> path of the images directly in ``folder`` (first extension in name order)."""
    from toolbox.datasets.image_folder import IMG_EXTENSIONS
    found = {}
    for name in sorted(os.listdir(folder)):
        stem, ext = osp.splitext(name)
        if ext.lower() in IMG_EXTENSIONS and osp.isfile(osp.join(folder, name)):
            found.setdefault(stem, osp.join(folder, name))
    return found


def folder_items(image_dir: str, mask: str, out_dir: str,
                 sketch: str | None = None) -> list[BatchItem]:
    """Every image of ``image_dir`` with the mask (and sketch) of the same stem from the
    folder ``mask`` (``sketch``), or the one file ``mask`` (``sketch``) for all."""
    images = _images(image_dir)
    if not images:
        raise FileNotFoundError(f'--image folder {image_dir} holds no images')
    partners = {name: _images(path) if path and osp.isdir(path) else None
                for name, path in (('mask', mask), ('sketch', sketch))}
    items = []
    for stem, path in images.items():
        item = BatchItem(image=path, mask=mask, output=osp.join(out_dir, stem + '.png'),
                         sketch=sketch)
        for name, folder in (('mask', mask), ('sketch', sketch)):
            found = partners[name]
            if found is None:
                continue
            setattr(item, name, found.get(stem))
            if found.get(stem) is None and item.problem is None:
                item.problem = f'no {name} named {stem}.* in {folder}'
        items.append(item)
    return items


def read_manifest(path: str, out_dir: str) -> list[BatchItem]:
    """The pairs of the manifest ``path`` (``.csv``, ``.tsv`` or ``.jsonl``; see the module
    docstring), outputs under ``out_dir``."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'manifest {path} does not exist')
    ext = osp.splitext(path)[1].lower()
    if ext in ('.jsonl', '.ndjson'):
        rows = list(_jsonl_rows(path))
    elif ext in ('.csv', '.tsv'):
        rows = list(_table_rows(path, '\t' if ext == '.tsv' else ','))
    else:
        raise ManifestError(f'manifest {path}: unknown format {ext!r} (use .csv, .tsv or '
                            '.jsonl)')
    base = osp.dirname(osp.abspath(path))
    items, owners = [], {}
    for line, row in rows:
        where = f'{path}:{line}'
        unknown = sorted(set(row) - set(MANIFEST_KEYS))
        if unknown:
            raise ManifestError(f'{where}: unknown key(s) {unknown}; known: '
                                f'{list(MANIFEST_KEYS)}')
        for key in ('image', 'mask'):
            if not isinstance(row.get(key), str) or not row[key].strip():
                raise ManifestError(f'{where}: {key!r} is missing or empty')

        def local(key: str, root: str) -> str | None:
            value = row.get(key)
            if value is None or value == '':
                return None
            if not isinstance(value, str):
                raise ManifestError(f'{where}: {key!r} must be a string, got {value!r}')
            return osp.normpath(osp.join(root, value.strip()))

        image = local('image', base)
        output = local('output', out_dir) or osp.join(
            out_dir, osp.splitext(osp.basename(image))[0] + '.png')
        key = osp.abspath(output)
        if key in owners:
            raise ManifestError(f'{where}: output {output} is also the output of line '
                                f'{owners[key]}; give distinct "output" names')
        owners[key] = line
        items.append(BatchItem(image=image, mask=local('mask', base), output=output,
                               sketch=local('sketch', base)))
    if not items:
        raise ManifestError(f'manifest {path} lists no pairs')
    return items


def _jsonl_rows(path: str):
    with open(path, encoding='utf-8') as f:
        for number, text in enumerate(f, 1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ManifestError(f'{path}:{number}: not JSON ({exc.msg})') from exc
            if not isinstance(row, dict):
                raise ManifestError(f'{path}:{number}: expected a JSON object, got '
                                    f'{type(row).__name__}')
            yield number, row


def _table_rows(path: str, delimiter: str):
    with open(path, encoding='utf-8', newline='') as f:
        lines = [(n, t) for n, t in enumerate(f, 1) if t.strip() and not t.startswith('#')]
    if not lines:
        raise ManifestError(f'manifest {path} is empty')
    header_line, header = lines[0][0], next(csv.reader([lines[0][1]], delimiter=delimiter))
    header = [h.strip() for h in header]
    if 'image' not in header or 'mask' not in header:
        raise ManifestError(f'{path}:{header_line}: the header row must name the columns '
                            f'"image" and "mask" (got {header})')
    for number, text in lines[1:]:
        cells = next(csv.reader([text], delimiter=delimiter))
        if len(cells) != len(header):
            raise ManifestError(f'{path}:{number}: {len(cells)} columns, the header has '
                                f'{len(header)}')
        yield number, dict(zip(header, cells))


def run_batch(items: list[BatchItem], process: Callable[[BatchItem], np.ndarray],
              summary_path: str | None = None, progress: bool = True) -> BatchSummary:
    """Inpaint every item whose output does not exist yet: ``process(item)`` returns the
    RGB uint8 result, written atomically to ``item.output``. An exception from one item
    (an unreadable image, a mask of the wrong size) is recorded with its message and the
    run goes on; ``KeyboardInterrupt`` stops it (what was written stays). The summary is
    written to ``summary_path`` as JSON (atomically) when given."""
    from tqdm import tqdm
    summary = BatchSummary(summary_path=summary_path)
    todo = []
    for item in items:
        if osp.exists(item.output):
            summary.skipped += 1
        else:
            todo.append(item)
    start = time.perf_counter()
    bar = tqdm(todo, unit='img', desc='inpainting', disable=not progress, dynamic_ncols=True)
    for item in bar:
        try:
            if item.problem is not None:
                raise FileNotFoundError(item.problem)
            write_image(item.output, process(item), f'output of {item.image}')
            summary.done += 1
        except Exception as exc:     # one bad pair must not stop the others
            summary.failed += 1
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            summary.failures.append(dict(image=item.image, mask=item.mask,
                                         output=item.output, reason=reason))
        bar.set_postfix(done=summary.done, failed=summary.failed, refresh=False)
    bar.close()
    summary.seconds = time.perf_counter() - start
    if summary.done:
        summary.images_per_second = summary.done / max(summary.seconds, 1e-9)
    if summary_path is not None:
        from toolbox.engine.checkpoint import AtomicLocalBackend
        record = {k: v for k, v in asdict(summary).items() if k != 'summary_path'}
        AtomicLocalBackend().put(json.dumps(record, indent=2).encode(), summary_path)
    return summary
