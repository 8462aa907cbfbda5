"""Real photographs this machine can install, split reproducibly into train, val and test.

Sources (no download beyond the package registries):

* the colour photos inside scikit-image's wheel (a core dependency: matplotlib's sample
  photo is not used, so that the splits do not depend on an optional package);
* Debian's ``lomiri-wallpapers`` photographs (``apt-get install lomiri-wallpapers``), when
  installed; found through ``dpkg -L`` so files of other packages under the same folder
  are never picked up.

Debian's gnome-backgrounds, mate-backgrounds, plasma-workspace-wallpapers and
ukui-wallpapers are reserved for the project's independent evaluation and never used.
``sway-backgrounds`` and ``desktop-base`` are drawings, not photographs, so they are left
out too.

The photos are ordered by a hash of their names and cut into test, val and train in that
order (:data:`SPLITS`): the same sources always give the same splits, and no photo is in
two of them.
"""
from __future__ import annotations

import hashlib
import json
import os
import os.path as osp
import re
import subprocess

import cv2
import numpy as np

SKIMAGE_PHOTOS = ('astronaut.png', 'chelsea.png', 'coffee.png', 'rocket.jpg',
                  'motorcycle_left.png', 'motorcycle_right.png', 'hubble_deep_field.jpg',
                  'ihc.png', 'retina.jpg')
DEBIAN_PHOTO_PACKAGES = ('lomiri-wallpapers-20.04', 'lomiri-wallpapers-16.04', 'lomiri-wallpapers')
RESERVED_PACKAGES = ('gnome-backgrounds', 'mate-backgrounds', 'plasma-workspace-wallpapers',
                     'ukui-wallpapers')
#: Fraction of the photos in each split, taken in hash order (train gets the rest).
SPLITS = (('test', 0.25), ('val', 0.1), ('train', None))


def _debian_files(package: str) -> list[str]:
    try:
        out = subprocess.run(['dpkg', '-L', package], capture_output=True, text=True,
                             timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if out.returncode:
        return []
    return [p for p in out.stdout.splitlines() if p.lower().endswith(('.jpg', '.jpeg'))
            and osp.isfile(p)]


def find_photos() -> dict[str, str]:
    """``{name: path}`` of every available source photo."""
    import skimage.data
    found = {}
    folder = osp.dirname(skimage.data.__file__)
    for name in SKIMAGE_PHOTOS:
        if osp.isfile(osp.join(folder, name)):
            found[name] = osp.join(folder, name)
    for package in DEBIAN_PHOTO_PACKAGES:
        for path in _debian_files(package):
            found.setdefault(osp.basename(path), path)
    reserved = [p for p in found.values() if any(r in p for r in ('gnome', 'mate', 'plasma', 'ukui'))]
    if reserved:  # cannot happen through dpkg -L of the packages above; guard all the same
        raise RuntimeError(f'reserved evaluation photos were picked up: {reserved}')
    return found


def _group(name: str) -> str:
    """Photos of one scene (a stereo pair such as motorcycle_left/right) share a split."""
    return re.sub(r'_(left|right)$', '', osp.splitext(name)[0])


def assign_splits(names) -> dict[str, str]:
    """``{name: split}``: scenes in hash order, the first 25% test, the next 10% val."""
    groups = sorted({_group(n) for n in names},
                    key=lambda g: hashlib.sha256(g.encode()).hexdigest())
    split_of, start = {}, 0
    for split, fraction in SPLITS:
        stop = len(groups) if fraction is None else start + max(1, round(fraction * len(groups)))
        split_of.update({g: split for g in groups[start:stop]})
        start = stop
    return {n: split_of[_group(n)] for n in names}


def materialise_photos(root: str, short_side: int = 256, sources: str = 'all') -> dict:
    """Write every source photo, its short side scaled to ``short_side`` (area
    interpolation), as PNG into ``root/{train,val,test}``; returns the manifest (also
    saved as ``root/photos.json``). ``sources='bundled'`` uses the Python packages' photos
    only (the same on every machine). Existing files are kept; each is written atomically.
    """
    from .image_folder import read_image
    photos = find_photos()
    if sources == 'bundled':
        photos = {k: v for k, v in photos.items() if k in SKIMAGE_PHOTOS}
    elif sources != 'all':
        raise ValueError(f"sources must be 'all' or 'bundled', got {sources!r}")
    manifest = {'short_side': short_side, 'sources': sources, 'photos': {}}
    splits = assign_splits(photos)
    for name, path in sorted(photos.items()):
        split = splits[name]
        out = osp.join(root, split, osp.splitext(name)[0] + '.png')
        manifest['photos'][name] = dict(source=path, split=split, file=out)
        if osp.exists(out):
            continue
        image = read_image(path)
        h, w = image.shape[:2]
        scale = short_side / min(h, w)
        size = (max(short_side, round(w * scale)), max(short_side, round(h * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        os.makedirs(osp.dirname(out), exist_ok=True)
        tmp = out + '.part.png'
        if not cv2.imwrite(tmp, np.ascontiguousarray(image[..., ::-1])):
            raise OSError(f'cannot write {tmp}')
        os.replace(tmp, out)
    counts = {s: sum(p['split'] == s for p in manifest['photos'].values()) for s, _ in SPLITS}
    manifest['counts'] = counts
    os.makedirs(root, exist_ok=True)
    with open(osp.join(root, 'photos.json.part'), 'w') as f:
        json.dump(manifest, f, indent=1)
    os.replace(osp.join(root, 'photos.json.part'), osp.join(root, 'photos.json'))
    return manifest
