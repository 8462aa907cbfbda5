"""A tiny dataset made from the photos that ship inside scikit-image's wheel.

A fresh clone can train without downloading anything: the first use copies the photos
into ``data/demo/{train,val}``.
"""
from __future__ import annotations

import os
import os.path as osp
import shutil

DEMO_ROOT = 'data/demo'
TRAIN_PHOTOS = ('astronaut.png', 'chelsea.png', 'coffee.png', 'rocket.jpg',
                'motorcycle_left.png', 'hubble_deep_field.jpg', 'ihc.png', 'retina.jpg')
# camera.png is grayscale, so validation also exercises the conversion to RGB.
VAL_PHOTOS = ('motorcycle_right.png', 'camera.png')
# Written by materialise_demo: DemoDataset accepts a folder other than DEMO_ROOT only if
# it holds this file, so it never writes into a folder of the user's own images.
MARKER = '.toolbox-demo'


def is_demo_folder(root: str) -> bool:
    """Whether ``root`` is a demo folder made by :func:`materialise_demo`."""
    return osp.isfile(osp.join(root, MARKER))


def materialise_demo(root: str = DEMO_ROOT) -> str:
    """Copy the demo photos under ``root`` unless they are there already; returns root."""
    import skimage.data
    source = osp.dirname(skimage.data.__file__)
    os.makedirs(root, exist_ok=True)
    marker = osp.join(root, MARKER)
    if not osp.isfile(marker):
        with open(marker, 'w', encoding='utf-8') as f:
            f.write('demo photos copied from scikit-image by toolbox.datasets.materialise_demo\n')
    for split, names in (('train', TRAIN_PHOTOS), ('val', VAL_PHOTOS)):
        folder = osp.join(root, split)
        os.makedirs(folder, exist_ok=True)
        for name in names:
            path = osp.join(folder, name)
            if osp.exists(path):
                continue
            src = osp.join(source, name)
            if not osp.isfile(src):
                raise FileNotFoundError(f'demo photo {src} is missing from the installed '
                                        'scikit-image; reinstall scikit-image')
            tmp = path + '.part'
            shutil.copyfile(src, tmp)
            os.replace(tmp, path)  # never leave a half-written image behind
    return root
