"""Datasets that are folders of images."""
from __future__ import annotations

import os
import os.path as osp
import warnings
from collections.abc import Sequence

from mmengine.dataset import BaseDataset

from toolbox.builder import build_component
from toolbox.registry import DATASETS, TRANSFORMS

from .demo import DEMO_ROOT, is_demo_folder, materialise_demo
from .reading import DatasetError, ImageLoadError, read_image  # noqa: F401 (re-exported)
from .standard_pipeline import standard_pipeline

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp', '.ppm', '.pgm')


def scan_images(root: str, extensions: Sequence[str] = IMG_EXTENSIONS,
                recursive: bool = True) -> list[str]:
    """Sorted image paths under ``root``."""
    exts = tuple(e.lower() for e in extensions)
    found = []
    if recursive:
        for dirpath, _, files in os.walk(root, followlinks=True):
            found += [osp.join(dirpath, f) for f in files if f.lower().endswith(exts)]
    else:
        found = [osp.join(root, f) for f in os.listdir(root) if f.lower().endswith(exts)]
    return sorted(found)


@DATASETS.register_module()
class ImageFolderDataset(BaseDataset):
    """Every image under ``data_root`` (recursive, common extensions), or those a list file names.

    The data pipeline is either built from the keys ``mask``, ``crop_size`` and the few
    below (see :func:`~toolbox.datasets.standard_pipeline.standard_pipeline`), so that a
    config changes the mask in one line and inherits the rest, or given whole as
    ``pipeline``; not both.

    Args:
        data_root: folder of images.
        mask: config of the ``MASK_GENERATORS`` entry that draws each sample's mask (drawn
            deterministically per sample in ``test_mode``). Without it, a dataset with
            ``mask_dir`` reads the masks of that folder.
        crop_size: side of the square training crops (evaluation: images resized to it).
        resize: transform config run before the training crop (e.g. ``RandomResize``).
        random_crop: ``False`` resizes whole training images to ``crop_size`` instead.
        flip: random horizontal flips in training.
        guidance: transform configs that add guidance (edges, sketches) before the mask.
        guidance_keys: ``PackInpaintingInputs``'s ``guidance_keys``.
        pipeline: the whole list of transform configs, built from the toolbox's TRANSFORMS
            registry, instead of the keys above.
        list_file: optional text file with one image path per line (relative to
            ``data_root``, or absolute); blank lines and lines starting with ``#`` are skipped.
        mask_dir: optional folder of mask images (e.g. a frozen set from
            ``tools/make_mask_set.py``); sorted, the i-th image gets mask ``i mod n``
            as ``mask_path``.
        extensions: file name endings that count as images.
        recursive: look into sub-folders.
        skip_unreadable: drop files that cannot be decoded, with one warning naming each,
            instead of failing. Checking costs one decode per image at start-up.
        test_mode: evaluation dataset (no re-fetching of broken samples).
    """

    METAINFO = dict(task='inpainting')

    def __init__(self,
                 data_root: str,
                 pipeline: Sequence[dict] | None = None,
                 mask: dict | None = None,
                 crop_size: int | None = None,
                 resize: dict | None = None,
                 random_crop: bool = True,
                 flip: bool = True,
                 guidance: Sequence[dict] = (),
                 guidance_keys: Sequence[str] | None = None,
                 list_file: str | None = None,
                 mask_dir: str | None = None,
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 recursive: bool = True,
                 skip_unreadable: bool = False,
                 test_mode: bool = False,
                 serialize_data: bool = True,
                 max_refetch: int = 0) -> None:
        self.list_file = list_file
        self.mask_dir = mask_dir
        self.extensions = tuple(extensions)
        self.recursive = recursive
        self.skip_unreadable = skip_unreadable
        if pipeline is None:
            pipeline = standard_pipeline(crop_size, mask, test_mode, resize, random_crop, flip,
                                         guidance, guidance_keys, load_mask=mask_dir is not None)
        elif mask is not None or crop_size is not None:
            # A config that inherits mask=/crop_size= and sets pipeline= would silently
            # lose one of them: say so instead.
            raise DatasetError(
                f'{type(self).__name__}: give either pipeline= or mask=/crop_size=, not both '
                f'(got pipeline and {"mask" if mask is not None else "crop_size"}='
                f'{mask if mask is not None else crop_size!r}); a config that sets pipeline= '
                'over a base with mask=/crop_size= sets those to None')
        transforms = [build_component(TRANSFORMS, t, f'pipeline[{i}]')
                      for i, t in enumerate(pipeline)]
        super().__init__(data_root=data_root, pipeline=transforms, test_mode=test_mode,
                         serialize_data=serialize_data, max_refetch=max_refetch)

    def _image_paths(self) -> list[str]:
        root = self.data_root
        if self.list_file:
            if not osp.isfile(self.list_file):
                raise FileNotFoundError(f'list_file {self.list_file} does not exist')
            paths, missing = [], []
            with open(self.list_file, encoding='utf-8') as f:
                for lineno, line in enumerate(f, 1):
                    line = line.strip()
                    if not line or line.startswith('#'):
                        continue
                    path = line if osp.isabs(line) else osp.join(root, line)
                    if osp.isfile(path):
                        paths.append(path)
                    else:
                        missing.append(f'line {lineno}: {path}')
            if missing:
                raise FileNotFoundError(
                    f'list_file {self.list_file} names {len(missing)} missing image(s): '
                    + '; '.join(missing[:5]) + (' ...' if len(missing) > 5 else ''))
            return paths
        if not osp.isdir(root):
            raise FileNotFoundError(f'data_root {root!r} is not a folder')
        return scan_images(root, self.extensions, self.recursive)

    def load_data_list(self) -> list[dict]:
        paths = self._image_paths()
        if self.skip_unreadable:
            kept = []
            for p in paths:
                try:
                    read_image(p)
                    kept.append(p)
                except ImageLoadError as exc:
                    warnings.warn(f'skipping unreadable image: {exc}', stacklevel=2)
            paths = kept
        if not paths:
            where = self.list_file or self.data_root
            raise DatasetError(f'no images found in {where} (extensions: '
                             f'{", ".join(self.extensions)})')
        masks = None
        if self.mask_dir is not None:
            if not osp.isdir(self.mask_dir):
                raise FileNotFoundError(f'mask_dir {self.mask_dir!r} is not a folder')
            masks = scan_images(self.mask_dir, IMG_EXTENSIONS, self.recursive)
            if not masks:
                raise DatasetError(f'mask_dir {self.mask_dir} contains no mask images')
        data = []
        for i, p in enumerate(paths):
            info = dict(img_path=p)
            if masks is not None:
                info['mask_path'] = masks[i % len(masks)]
            data.append(info)
        return data


@DATASETS.register_module()
class DemoDataset(ImageFolderDataset):
    """The demo photos from scikit-image, written to ``data_root/<split>`` on first use.

    ``data_root`` is the demo folder (``data/demo``) or another folder that
    :func:`materialise_demo` made; any other folder is refused, so that a config pointed
    at the user's own images never copies the demo photos into it and trains on those.
    The pipeline keys are :class:`ImageFolderDataset`'s.
    """

    def __init__(self, split: str = 'train', data_root: str = DEMO_ROOT,
                 pipeline: Sequence[dict] | None = None, mask: dict | None = None,
                 crop_size: int | None = None, resize: dict | None = None,
                 random_crop: bool = True, flip: bool = True, guidance: Sequence[dict] = (),
                 guidance_keys: Sequence[str] | None = None, test_mode: bool = False,
                 serialize_data: bool = True) -> None:
        if split not in ('train', 'val'):
            raise DatasetError(f"DemoDataset: split must be 'train' or 'val', got {split!r}")
        if osp.realpath(data_root) != osp.realpath(DEMO_ROOT) and not is_demo_folder(data_root):
            raise DatasetError(
                f'DemoDataset: data_root {data_root!r} is not the demo folder ({DEMO_ROOT}); '
                "DemoDataset only reads its own photos. For your images use type="
                f"'ImageFolderDataset' with data_root={osp.join(data_root, split)!r} "
                '(set the dataloader\'s whole dataset, e.g. in a config that inherits this one)')
        materialise_demo(data_root)
        super().__init__(data_root=osp.join(data_root, split), pipeline=pipeline,
                         mask=mask, crop_size=crop_size, resize=resize,
                         random_crop=random_crop, flip=flip, guidance=guidance,
                         guidance_keys=guidance_keys, test_mode=test_mode,
                         serialize_data=serialize_data)
