"""The per-mask-type table of the flagship paper (Cai et al., CVPRW 2022, Table 1).

Rows PSNR ↑, SSIM ↑, LPIPS ↓, FID ↓ (then any further metric); columns Mean, then one per
mask type: Thick, Medium, Thin (strokes), Every N Lines, Nearest Neighbor (interpolation),
Completion, Expand (outpainting). The Mean column averages the type columns present.

:func:`evaluate_mask_sets` fills it by running an inpaintor over one frozen mask set per
type (folders written by ``tools/make_mask_set.py``); :class:`TypeTable` prints and saves
it as Markdown, CSV and JSON. ``tools/evaluate.py`` is the command line for both.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import os.path as osp
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from mmengine.evaluator import BaseMetric

from toolbox.builder import build_component
from toolbox.fileio import atomic_write_text, write_image
from toolbox.registry import METRICS

__all__ = ['UsageError', 'PAPER_COLUMNS', 'PAPER_ROWS', 'COLUMN_GROUPS', 'ROW_LABELS',
           'column_for_folder', 'find_mask_sets', 'TypeTable', 'evaluation_pipeline',
           'evaluate_mask_sets', 'MaskTypeTable']

class UsageError(ValueError):
    """Mask sets or options that cannot be evaluated; the message says why."""


#: The mask-type columns of the paper, in its order.
PAPER_COLUMNS = ('Thick', 'Medium', 'Thin', 'Every N Lines', 'Nearest Neighbor',
                 'Completion', 'Expand')
#: The paper's grouping of the columns into tasks.
COLUMN_GROUPS = {
    'Strokes': ('Thick', 'Medium', 'Thin'),
    'Interpolation': ('Every N Lines', 'Nearest Neighbor'),
    'Outpainting': ('Completion', 'Expand'),
}
#: The paper's rows (metric result keys), in its order.
PAPER_ROWS = ('PSNR', 'SSIM', 'LPIPS', 'FID')
MEAN = 'Mean'

_LOWER_IS_BETTER = {'LPIPS', 'FID', 'MAE', 'L1Error', 'L2Error', 'BPE', 'WarpError', 'VFID'}
_ROW_NAMES = {'L1Error': 'L1 error (%)', 'L2Error': 'L2 error (%)',
              'WarpError': 'warping error (x1e3)'}

# Folder names (lower case, letters and digits only) -> paper column.
_ALIASES = {
    'thick': 'Thick', 'thickstrokes': 'Thick', 'thickstroke': 'Thick',
    'medium': 'Medium', 'mediumstrokes': 'Medium', 'mediumstroke': 'Medium',
    'thin': 'Thin', 'thinstrokes': 'Thin', 'thinstroke': 'Thin',
    'everynlines': 'Every N Lines', 'everynline': 'Every N Lines', 'nlines': 'Every N Lines',
    'lines': 'Every N Lines',
    'nearestneighbor': 'Nearest Neighbor', 'nearestneighbour': 'Nearest Neighbor',
    'nn': 'Nearest Neighbor',
    'completion': 'Completion', 'complete': 'Completion',
    'expand': 'Expand', 'expansion': 'Expand',
}


def row_label(key: str) -> str:
    """``'PSNR'`` -> ``'PSNR ↑'``, ``'LPIPS'`` -> ``'LPIPS ↓'``, ``'SSIM_hole'`` ->
    ``'SSIM (hole) ↑'``."""
    base, *flags = key.split('_')
    name = _ROW_NAMES.get(base, base)
    extra = {'hole': 'hole', 'Y': 'Y'}
    if flags:
        name += ' (' + ', '.join(extra.get(f, f) for f in flags) + ')'
    return name + (' ↓' if base in _LOWER_IS_BETTER else ' ↑')


ROW_LABELS = {key: row_label(key) for key in PAPER_ROWS}


def column_for_folder(name: str) -> str:
    """The paper column of a mask-set folder (``'ThickStrokes'`` -> ``'Thick'``,
    ``'every_n_lines'`` -> ``'Every N Lines'``); an unknown name is its own column."""
    norm = re.sub(r'[^a-z0-9]', '', name.lower())
    return _ALIASES.get(norm, name)


def _has_images(folder: str) -> bool:
    from toolbox.datasets.image_folder import IMG_EXTENSIONS
    return any(f.lower().endswith(IMG_EXTENSIONS) for f in os.listdir(folder))


def find_mask_sets(root: str) -> dict[str, str]:
    """``{column: folder}`` for the sub-folders of ``root`` that hold mask images, in
    the paper's column order (unknown types after, by name). A ``root`` that holds masks
    itself is one type, named after the folder."""
    if not osp.isdir(root):
        raise FileNotFoundError(f'--mask-sets {root!r} is not a folder')
    found: dict[str, str] = {}
    for name in sorted(os.listdir(root)):
        path = osp.join(root, name)
        if not osp.isdir(path) or not _has_images(path):
            continue
        column = column_for_folder(name)
        if column in found:
            raise UsageError(f'mask sets {found[column]} and {path} are both the '
                             f'{column!r} type; keep one')
        found[column] = path
    if not found:
        if _has_images(root):
            name = osp.basename(osp.normpath(root))
            return {column_for_folder(name): root}
        raise FileNotFoundError(f'--mask-sets {root}: no sub-folder holds mask images; '
                                'make them with tools/make_mask_set.py --type all')
    order = {c: i for i, c in enumerate(PAPER_COLUMNS)}
    return dict(sorted(found.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 'n/a'
    return f'{value:.{digits}f}'


@dataclass
class TypeTable:
    """Metric values per mask type: ``values[row][column]`` (``None`` = not measured).

    ``rows`` are metric keys (``'PSNR'``); ``columns`` mask types without the Mean,
    which :attr:`mean` computes; ``counts`` images per column.
    """

    columns: list[str]
    rows: list[str] = field(default_factory=lambda: list(PAPER_ROWS))
    values: dict[str, dict[str, float | None]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    #: what ``counts`` counts, for the Markdown note (the clip table counts clips)
    count_unit: str = 'Images'

    def set(self, column: str, results: dict[str, float], count: int | None = None) -> None:
        """Record one column's metric results (keys become rows)."""
        if column not in self.columns:
            self.columns.append(column)
        for key, value in results.items():
            if key not in self.rows:
                self.rows.append(key)
            self.values.setdefault(key, {})[column] = None if value is None else float(value)
        if count is not None:
            self.counts[column] = int(count)

    def get(self, row: str, column: str) -> float | None:
        if column == MEAN:
            return self.mean(row)
        return self.values.get(row, {}).get(column)

    def mean(self, row: str) -> float | None:
        """Mean over the type columns that have a (finite or infinite) value."""
        vals = [v for c in self.columns if (v := self.values.get(row, {}).get(c)) is not None
                and not math.isnan(v)]
        return sum(vals) / len(vals) if vals else None

    @property
    def header(self) -> list[str]:
        return [MEAN, *self.columns]

    def to_markdown(self) -> str:
        groups = []
        for group, cols in COLUMN_GROUPS.items():
            present = [c for c in cols if c in self.columns]
            if present:
                groups.append(f'{group}: {", ".join(present)}')
        lines = []
        if groups:
            lines += ['Mask types -- ' + '; '.join(groups) + '.', '']
        lines.append('| | ' + ' | '.join(self.header) + ' |')
        lines.append('|---|' + '---:|' * len(self.header))
        for row in self.rows:
            cells = [_fmt(self.get(row, c)) for c in self.header]
            lines.append(f'| {row_label(row)} | ' + ' | '.join(cells) + ' |')
        if self.counts:
            lines += ['', f'{self.count_unit} per type: ' + ', '.join(
                f'{c} {self.counts[c]}' for c in self.columns if c in self.counts) + '.']
        return '\n'.join(lines) + '\n'

    def to_csv(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator='\n')
        writer.writerow(['metric', *self.header])
        for row in self.rows:
            writer.writerow([row_label(row)] + [
                '' if (v := self.get(row, c)) is None or math.isnan(v) else repr(v)
                for c in self.header])
        return buf.getvalue()

    def to_dict(self) -> dict:
        def clean(v):
            return None if v is None or math.isnan(v) else v
        return {
            'columns': self.header,
            'rows': [row_label(r) for r in self.rows],
            'metrics': list(self.rows),
            'values': {r: {c: clean(self.get(r, c)) for c in self.header} for r in self.rows},
            'images': {c: self.counts.get(c) for c in self.columns},
            'groups': {g: [c for c in cols if c in self.columns]
                       for g, cols in COLUMN_GROUPS.items()},
            **({'meta': self.meta} if self.meta else {}),
        }

    def to_json(self) -> str:
        data = self.to_dict()
        for cols in data['values'].values():
            for c, v in cols.items():
                if isinstance(v, float) and math.isinf(v):   # PSNR of identical images
                    cols[c] = 'inf' if v > 0 else '-inf'
        return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False,
                          default=str) + '\n'

    def save(self, out_dir: str, stem: str = 'table') -> list[str]:
        """Write ``stem.md``, ``stem.csv`` and ``stem.json`` into ``out_dir``."""
        os.makedirs(out_dir, exist_ok=True)
        paths = []
        for ext, text in (('md', self.to_markdown()), ('csv', self.to_csv()),
                          ('json', self.to_json())):
            path = osp.join(out_dir, f'{stem}.{ext}')
            atomic_write_text(path, text)
            paths.append(path)
        return paths


def evaluation_pipeline(size: int | None = 256, resize: str = 'crop',
                        resize_masks: bool = False) -> list[dict]:
    """The data pipeline of a per-type evaluation.

    ``resize``: ``'crop'`` scales the short side to ``size`` and crops the centre,
    ``'stretch'`` resizes to ``size`` x ``size``, ``'none'`` keeps images as they are
    (then masks must match each image, and batches need equal sizes).
    """
    pipeline = [dict(type='LoadImage')]
    if resize == 'crop':
        # mmcv's keep-ratio Resize fits (long, short) into (max(scale), min(scale)):
        # a huge long side makes the short side exactly `size`.
        pipeline += [dict(type='Resize', scale=(size, 1_000_000), keep_ratio=True),
                     dict(type='CenterCrop', crop_size=size)]
    elif resize == 'stretch':
        pipeline.append(dict(type='Resize', scale=(size, size), keep_ratio=False))
    elif resize != 'none':
        raise ValueError(f"resize must be 'crop', 'stretch' or 'none', got {resize!r}")
    pipeline += [dict(type='LoadMask', resize=resize_masks), dict(type='PackInpaintingInputs')]
    return pipeline


def _check_mask_size(folder: str, size: int | None, resize_masks: bool) -> None:
    if size is None or resize_masks:
        return
    from toolbox.datasets.image_folder import scan_images
    from toolbox.datasets.reading import ImageLoadError, read_image
    first = scan_images(folder)[0]
    try:
        mask = read_image(first)
    except ImageLoadError:       # LoadMask names the file when it comes to it
        return
    if mask.shape[:2] != (size, size):
        raise UsageError(f'mask set {folder} has {mask.shape[1]}x{mask.shape[0]} masks but '
                         f'images are evaluated at {size}x{size}: make the set at that size '
                         '(tools/make_mask_set.py --size) or pass --resize-masks (nearest-'
                         'neighbour resizing alters thin and grid masks)')


def _save_predictions(samples: Sequence[dict], data_root: str, out_dir: str) -> None:
    for s in samples:
        rel = osp.relpath(s['img_path'], data_root) if 'img_path' in s else \
            f'{s.get("sample_idx", 0):06d}.png'
        path = osp.join(out_dir, osp.splitext(rel)[0] + '.png')
        img = (s['pred'].clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
        write_image(path, img, what='inpainted image')


def evaluate_mask_sets(model, data_root: str, mask_sets: dict[str, str], metrics: Sequence,
                       *, size: int | None = 256, resize: str = 'crop',
                       resize_masks: bool = False, batch_size: int = 8, num_workers: int = 0,
                       limit: int | None = None, list_file: str | None = None,
                       save_images: str | None = None, progress: bool = True) -> TypeTable:
    """Run ``model`` over the images of ``data_root`` once per mask set and measure.

    Args:
        model: an inpaintor in eval mode (``init_inpaintor``); its ``test_step`` is used.
        data_root: folder of ground-truth images.
        mask_sets: ``{column: mask folder}`` (:func:`find_mask_sets`); image ``i`` gets
            mask ``i mod n`` of each folder.
        metrics: mmengine ``BaseMetric`` objects; each is evaluated and reset per type, so
            networks are built once.
        size, resize, resize_masks: see :func:`evaluation_pipeline`.
        limit: evaluate only the first ``limit`` images.
        save_images: folder to write the composited outputs to, one sub-folder per mask
            set (named like the mask folder).
        progress: show a tqdm progress bar on stderr.
    """
    import torch
    from mmengine.dataset import pseudo_collate
    from torch.utils.data import DataLoader, Subset
    from tqdm import tqdm

    from toolbox.datasets import ImageFolderDataset

    if resize != 'none' and not size:
        raise UsageError('a size is needed unless resize is "none"')
    if resize == 'none' and batch_size != 1:
        raise UsageError('without resizing images may differ in size: use batch size 1')
    pipeline = evaluation_pipeline(size, resize, resize_masks)
    loaders = {}
    for column, folder in mask_sets.items():
        _check_mask_size(folder, size if resize != 'none' else None, resize_masks)
        dataset = ImageFolderDataset(data_root=data_root, list_file=list_file, mask_dir=folder,
                                     pipeline=pipeline, test_mode=True)
        if limit is not None:
            dataset = Subset(dataset, range(min(limit, len(dataset))))
        loaders[column] = DataLoader(dataset, batch_size=batch_size, shuffle=False,
                                     num_workers=num_workers, collate_fn=pseudo_collate)

    table = TypeTable(columns=[])
    total = sum(len(loader) for loader in loaders.values())
    bar = tqdm(total=total, unit='batch', disable=not progress, file=sys.stderr,
               dynamic_ncols=True)
    try:
        for column, loader in loaders.items():
            bar.set_description(f'{column:<16}')
            count = 0
            for batch in loader:
                with torch.no_grad():
                    samples = model.test_step(batch)
                for metric in metrics:
                    metric.process(batch, samples)
                if save_images:
                    _save_predictions(samples, data_root,
                                      osp.join(save_images, osp.basename(
                                          osp.normpath(mask_sets[column]))))
                count += len(samples)
                bar.update(1)
            results = {}
            for metric in metrics:
                results.update(metric.evaluate(count))
            table.set(column, results, count)
    finally:
        bar.close()
    return table


def _metric_state(metric) -> dict:
    """What a metric has accumulated: ``results`` (mmengine's convention), plus the
    attributes named by its ``state_attributes`` (FID's running sums)."""
    return {name: getattr(metric, name)
            for name in ('results', *getattr(metric, 'state_attributes', ()))}


def _fresh_state(metric) -> dict:
    state = {'results': []}
    for name in getattr(metric, 'state_attributes', ()):
        state[name] = type(getattr(metric, name))()
    return state


def _load_state(metric, state: dict) -> None:
    for name, value in state.items():
        setattr(metric, name, value)


@METRICS.register_module()
class MaskTypeTable(BaseMetric):
    """The per-mask-type table as a metric, for ``tools/test.py`` (``tools/evaluate.py``
    is the direct way).

    Samples are grouped by their ``mask_type`` -- the folder of a mask read by
    ``LoadMask`` (``ThickStrokes``), or the generator that drew it (a mixture names its
    child) -- and each group is measured by ``metrics``. Results are keyed
    ``'<metric>/<column>'`` (``'PSNR/Thick'``, ``'PSNR/Mean'``); with ``out_dir`` the
    table is also saved as Markdown, CSV and JSON. The networks of LPIPS and FID are
    built once and shared by the groups. Single-process evaluation only.

    A test set with one mask folder per type::

        types = ['ThickStrokes', 'MediumStrokes', 'ThinStrokes', 'EveryNLines',
                 'NearestNeighbor', 'Completion', 'Expand']
        test_dataloader = dict(..., dataset=dict(type='ConcatDataset', datasets=[
            dict(type='ImageFolderDataset', data_root='data/val', mask_dir=f'masks/{t}',
                 pipeline=test_pipeline, test_mode=True) for t in types]))
        test_evaluator = dict(type='MaskTypeTable', out_dir='work_dirs/table',
                              metrics=[dict(type='PSNR'), dict(type='SSIM'),
                                       dict(type='LPIPS'), dict(type='FID')])

    Args:
        metrics: configs of the metrics (rows), default PSNR and SSIM.
        out_dir: folder for ``mask_types.md/.csv/.json``; ``None`` saves nothing.
    """

    default_prefix = ''

    def __init__(self, metrics=(dict(type='PSNR'), dict(type='SSIM')),
                 out_dir: str | None = None, prefix: str | None = None,
                 collect_device: str = 'cpu') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.metrics = [build_component(METRICS, cfg, f'metrics[{i}]')
                        if isinstance(cfg, dict) else cfg for i, cfg in enumerate(metrics)]
        self.out_dir = out_dir
        self._groups: dict[str, list] = {}        # column -> per-metric states
        self._counts: dict[str, int] = {}

    def process(self, data_batch, data_samples) -> None:
        by_column: dict[str, list] = {}
        for sample in data_samples:
            column = column_for_folder(str(sample.get('mask_type') or 'unknown'))
            by_column.setdefault(column, []).append(sample)
        for column, samples in by_column.items():
            states = self._groups.setdefault(
                column, [_fresh_state(m) for m in self.metrics])
            for metric, state in zip(self.metrics, states):
                _load_state(metric, state)
                metric.process(data_batch, samples)
                state.update(_metric_state(metric))
            self._counts[column] = self._counts.get(column, 0) + len(samples)
        # mmengine warns about metrics without results; count samples here too.
        self.results.extend([None] * len(data_samples))

    def compute_metrics(self, results: list) -> dict:
        raise NotImplementedError   # evaluate() does the work

    def evaluate(self, size: int) -> dict:
        from mmengine import dist
        if dist.get_world_size() > 1:
            raise RuntimeError('MaskTypeTable evaluates in a single process; run '
                               'tools/test.py without a launcher or use '
                               'tools/evaluate.py')
        order = {c: i for i, c in enumerate(PAPER_COLUMNS)}
        table = TypeTable(columns=[])
        for column in sorted(self._groups, key=lambda c: (order.get(c, len(order)), c)):
            results = {}
            for metric, state in zip(self.metrics, self._groups[column]):
                _load_state(metric, state)
                results.update(metric.evaluate(self._counts[column]))
            table.set(column, results, self._counts[column])
        for metric in self.metrics:
            _load_state(metric, _fresh_state(metric))
        self._groups, self._counts = {}, {}
        self.results.clear()
        if self.out_dir:
            table.save(self.out_dir, stem='mask_types')
        out = {}
        for row in table.rows:
            for column in table.header:
                value = table.get(row, column)
                if value is not None and not math.isnan(value):
                    out[f'{self.prefix + "/" if self.prefix else ""}{row}/{column}'] = value
        return out
