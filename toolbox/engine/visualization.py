"""Result grids: input | mask | output | ground truth, one row per image."""
from __future__ import annotations

import os.path as osp

import torch
from mmengine.dist import master_only
from mmengine.hooks import Hook
from torch import Tensor

from toolbox.models.distributed import unwrap
from toolbox.registry import HOOKS


def save_result_grid(path: str, gt: Tensor, mask: Tensor, output: Tensor,
                     value_range: tuple[float, float] = (-1.0, 1.0), pad: int = 2) -> str:
    """Write a PNG grid; ``gt``/``output`` [B, 3, H, W] in ``value_range``, mask [B, 1, H, W]
    (clips ``[B, T, C, H, W]``: one row per frame)."""
    img = result_grid(gt, mask, output, value_range, pad)
    from toolbox.fileio import write_image
    write_image(path, img, what='result grid')
    return path


def result_grid(gt: Tensor, mask: Tensor, output: Tensor,
                value_range: tuple[float, float] = (-1.0, 1.0), pad: int = 2):
    """The grid as RGB uint8 (H, W, 3): per row masked input | mask | output | ground truth
    (clips ``[B, T, C, H, W]``: one row per frame)."""
    if gt.ndim == 5:
        gt, mask, output = (t.flatten(0, 1) for t in (gt, mask, output))
    lo, hi = value_range
    gt, output = [((t.detach().float().cpu() - lo) / (hi - lo)).clamp(0, 1) for t in (gt, output)]
    mask = mask.detach().float().cpu()
    masked = gt * (1 - mask) + mask                    # holes shown white
    columns = (masked, mask.expand_as(gt), output, gt)
    b, _, h, w = gt.shape
    grid = torch.full((3, b * (h + pad) + pad, 4 * (w + pad) + pad), 0.5)
    for row in range(b):
        for col, images in enumerate(columns):
            y, x = pad + row * (h + pad), pad + col * (w + pad)
            grid[:, y:y + h, x:x + w] = images[row]
    return (grid.permute(1, 2, 0).numpy() * 255 + 0.5).astype('uint8')


def _to_visualizer(runner, path: str, step: int) -> None:
    """Also hand the grid just written to the runner's visualizer, so that every backend of
    the config's ``visualizer.vis_backends`` gets it (TensorBoard's images tab, W&B)."""
    visualizer = getattr(runner, 'visualizer', None)
    if visualizer is None:
        return
    from toolbox.datasets import read_image
    tag = osp.splitext(osp.basename(path))[0].split('_iter_')[0]     # train, val, test
    visualizer.add_image(f'inpainting/{tag}', read_image(path), step=step)


@HOOKS.register_module()
class InpaintingVisualizationHook(Hook):
    """Save result grids to ``<work_dir>/<out_dir>/``.

    Args:
        interval: every this many training iterations (0: never during training).
        max_images: rows per grid.
        out_dir: folder inside the work dir.
        val: also save the first validation batch at each validation.
    """

    priority = 'LOW'

    def __init__(self, interval: int = 100, max_images: int = 4, out_dir: str = 'vis',
                 val: bool = True) -> None:
        self.interval = interval
        self.max_images = max_images
        self.out_dir = out_dir
        self.val = val

    def _path(self, runner, name: str) -> str:
        return osp.join(runner.work_dir, self.out_dir, name)

    @master_only
    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if not self.interval or not self.every_n_train_iters(runner, self.interval):
            return
        model = unwrap(runner.model)
        vis = getattr(model, 'last_train_vis', None)
        if vis:
            n = self.max_images
            path = save_result_grid(self._path(runner, f'train_iter_{runner.iter + 1:06d}.png'),
                                    vis['gt'][:n], vis['mask'][:n], vis['output'][:n])
            _to_visualizer(runner, path, runner.iter + 1)

    @master_only
    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if not self.val or batch_idx != 0 or not outputs:
            return
        rows = outputs[:self.max_images]
        path = save_result_grid(self._path(runner, f'val_iter_{runner.iter:06d}.png'),
                                torch.stack([r['gt'] for r in rows]),
                                torch.stack([r['mask'] for r in rows]),
                                torch.stack([r['pred'] for r in rows]), value_range=(0.0, 1.0))
        _to_visualizer(runner, path, runner.iter)

    @master_only
    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if batch_idx == 0 and outputs:
            rows = outputs[:self.max_images]
            save_result_grid(self._path(runner, 'test.png'),
                             torch.stack([r['gt'] for r in rows]),
                             torch.stack([r['mask'] for r in rows]),
                             torch.stack([r['pred'] for r in rows]), value_range=(0.0, 1.0))
