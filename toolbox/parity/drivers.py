"""Trainers on both sides, wrapped for :func:`toolbox.parity.compare_trainers`: the
toolbox's own ``train_step`` (:class:`ToolboxTrainer`) and the shared batches they step
on (:func:`photo_batches`)."""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping

import numpy as np
import torch
from torch import Tensor


class ToolboxTrainer:
    """A toolbox inpaintor's ``train_step`` with its optimiser wrappers. ``terms`` renames
    (and may combine) the logged values into the shared term names."""

    def __init__(self, model, optim_wrapper,
                 terms: Callable[[Mapping[str, float]], dict[str, float]]) -> None:
        self.model, self.optim, self.terms = model.train(), optim_wrapper, terms

    def step(self, batch: dict) -> dict[str, float]:
        # packed samples as PackInputs gives them: uint8 gt [3, H, W] and mask [1, H, W]
        data = {'inputs': {'gt': list(batch['gt']), 'mask': list(batch['mask'])},
                'data_samples': None}
        return self.terms(self.model.train_step(data, self.optim))

    def parameters(self) -> dict[str, Tensor]:
        return {k: v for k, v in self.model.state_dict().items() if v.is_floating_point()}

    def infer(self, gt: Tensor, mask: Tensor) -> Tensor:
        """The composite in [0, 1] as the toolbox validates: its ``val_step`` (data
        preprocessor, then ``predict``) in eval mode."""
        from toolbox.models.inpaintor import evaluating
        data = {'inputs': {'gt': list(gt), 'mask': list(mask)}, 'data_samples': None}
        with evaluating(self.model):
            return torch.stack([s['pred'] for s in self.model.val_step(data)])


def photo_batches(steps: int, batch_size: int, size: int, seed: int = 0,
                  mask: dict | None = None) -> list[dict[str, Tensor]]:
    """``steps`` batches of real photos (scikit-image's bundled ones, random crops) with
    free-form masks: ``{'gt': uint8 [B, 3, S, S], 'mask': uint8 [B, 1, S, S]}`` (1 = hole),
    the same for every seed on every machine."""
    from skimage import data as photos
    from skimage.transform import resize

    from toolbox.registry import MASK_GENERATORS
    rng = np.random.default_rng(seed)
    names = ('astronaut', 'chelsea', 'coffee', 'rocket', 'cat', 'immunohistochemistry')
    pool = []
    for name in names:
        image = getattr(photos, name)()
        side = min(image.shape[:2])
        pool.append((resize(image[:side, :side], (2 * size, 2 * size), anti_aliasing=True)
                     * 255).round().astype(np.uint8))
    make_mask = MASK_GENERATORS.build(mask or dict(type='FreeFormBrush'))
    batches = []
    for _ in range(steps):
        gts, masks = [], []
        for _ in range(batch_size):
            image = pool[rng.integers(len(pool))]
            y, x = rng.integers(0, size + 1, size=2)
            gts.append(torch.from_numpy(image[y:y + size, x:x + size].transpose(2, 0, 1).copy()))
            hole = make_mask(shape=(size, size), rng=rng)
            masks.append(torch.from_numpy(hole[None].astype(np.uint8)))
        batches.append(dict(gt=torch.stack(gts), mask=torch.stack(masks)))
    return batches


def split_photos(root: str, size: int) -> dict[str, list[np.ndarray]]:
    """``{'train': [...], 'held_out': [...]}``: RGB uint8 photos of the reproduce tool's
    splits (:func:`toolbox.datasets.photos.materialise_photos`, short side ``2 * size``,
    written under ``root``); held out = its val and test splits."""
    from toolbox.datasets.image_folder import read_image
    from toolbox.datasets.photos import materialise_photos
    manifest = materialise_photos(root, short_side=2 * size)
    split = {'train': [], 'held_out': []}
    for name, entry in sorted(manifest['photos'].items()):
        split['train' if entry['split'] == 'train' else 'held_out'].append(
            read_image(entry['file']))
    return split


def crops_with_masks(photos: list[np.ndarray], count: int, size: int,
                     rng: np.random.Generator, mask: dict | None = None) -> dict[str, Tensor]:
    """``count`` random ``size``-square crops of random ``photos`` with free-form masks
    (``mask``: a mask generator config), all drawn from ``rng``: ``{'gt': uint8
    [count, 3, S, S], 'mask': uint8 [count, 1, S, S]}`` (1 = hole)."""
    from toolbox.registry import MASK_GENERATORS
    make_mask = MASK_GENERATORS.build(mask or dict(type='FreeFormBrush'))
    gts, masks = [], []
    for _ in range(count):
        image = photos[rng.integers(len(photos))]
        y = rng.integers(0, image.shape[0] - size + 1)
        x = rng.integers(0, image.shape[1] - size + 1)
        gts.append(torch.from_numpy(image[y:y + size, x:x + size].transpose(2, 0, 1).copy()))
        masks.append(torch.from_numpy(make_mask(shape=(size, size), rng=rng)[None]
                                      .astype(np.uint8)))
    return dict(gt=torch.stack(gts), mask=torch.stack(masks))


class WithThreads:
    """``trainer`` stepping on ``threads`` torch threads (the float sums then run in
    another order): a trainer against itself so shows what float non-associativity alone
    makes of a difference."""

    def __init__(self, trainer, threads: int) -> None:
        self.trainer, self.threads = trainer, threads

    def step(self, batch: dict) -> dict[str, float]:
        before = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            return self.trainer.step(batch)
        finally:
            torch.set_num_threads(before)

    def parameters(self) -> dict[str, Tensor]:
        return self.trainer.parameters()


@contextlib.contextmanager
def default_dtype(dtype: torch.dtype) -> Iterator[None]:
    """torch's default dtype set to ``dtype`` inside: networks, losses and optimiser state
    built there, and the toolbox's data preprocessor's output, take it."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(before)


@contextlib.contextmanager
def float_follows_default() -> Iterator[None]:
    """Inside, ``Tensor.float()`` casts to torch's default dtype (nothing changes while it
    is float32). The peers' training steps cast with ``.float()`` (MMagic's inpaintors
    cast the mask and masked image so), which under ``--dtype float64`` would round their
    inputs to float32; the peers' files are not touched, and this is undone on exit."""
    original = torch.Tensor.float
    if torch.get_default_dtype() == torch.float32:
        yield
        return

    def to_default(self, memory_format=torch.preserve_format):
        return self.to(torch.get_default_dtype(), memory_format=memory_format)
    torch.Tensor.float = to_default
    try:
        yield
    finally:
        torch.Tensor.float = original
