"""A tiny dataset made from the photos that ship inside scikit-image's wheel.

A fresh clone can train without downloading anything: the first use copies the photos
into ``data/demo/{train,val}`` as PNG files.
"""
from __future__ import annotations

import os
import os.path as osp

DEMO_ROOT = 'data/demo'
TRAIN_PHOTOS = ('astronaut', 'chelsea', 'coffee', 'rocket', 'motorcycle_left',
                'hubble_deep_field', 'immunohistochemistry', 'retina')
VAL_PHOTOS = ('motorcycle_right', 'camera')  # camera is grayscale: exercises conversion


def materialise_demo(root: str = DEMO_ROOT) -> str:
    """Write the demo photos under ``root`` unless they are there already; returns root."""
    import cv2
    import numpy as np
    from skimage import data

    for split, names in (('train', TRAIN_PHOTOS), ('val', VAL_PHOTOS)):
        folder = osp.join(root, split)
        os.makedirs(folder, exist_ok=True)
        for name in names:
            path = osp.join(folder, f'{name}.png')
            if osp.exists(path):
                continue
            img = np.asarray(getattr(data, name)())
            if img.ndim == 3:
                img = cv2.cvtColor(img[..., :3], cv2.COLOR_RGB2BGR)
            tmp = path + '.tmp.png'
            if not cv2.imwrite(tmp, img):
                raise OSError(f'could not write demo image {tmp}')
            os.replace(tmp, path)  # never leave a half-written image behind
    return root
