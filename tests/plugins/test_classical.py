"""The classical plugin: OpenCV inpainting and bicubic grid interpolation."""
from __future__ import annotations

import os.path as osp

import numpy as np
import pytest
import torch

from toolbox.registry import GENERATORS
from toolbox.testing import check_generator

from ..utils import REPO

NAMES = ('TeleaInpaint', 'NavierStokesInpaint', 'BicubicInterpolation')


def smooth_image(h: int = 48, w: int = 64) -> torch.Tensor:
    """[1, 3, H, W] in [-1, 1]: smooth, slightly curved ramps."""
    y = torch.linspace(-1, 1, h).view(h, 1)
    x = torch.linspace(-1, 1, w).view(1, w)
    chans = [0.6 * x + 0.2 * y, 0.5 * y - 0.3 * x * x, 0.4 * torch.sin(1.5 * x + y)]
    return torch.stack([c.expand(h, w) for c in chans])[None].clamp(-1, 1)


def _run(name: str, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    from toolbox.models.inpaintor import composite
    gen = GENERATORS.build(dict(type=name))
    out = gen(image * (1 - mask), mask)['output']
    assert out.shape == image.shape and out.dtype == image.dtype
    assert out.min() >= -1 and out.max() <= 1
    return composite(out, image, mask)


@pytest.mark.parametrize('name', NAMES)
def test_contract_and_plugin(name):
    from toolbox.plugins import component_origin
    gen = check_generator(name)
    assert gen.trainable is False and not list(gen.parameters())
    assert component_origin('generators', name).name == 'classical'


@pytest.mark.parametrize('name', NAMES)
def test_fills_holes_plausibly(name):
    image = smooth_image()
    mask = torch.zeros(1, 1, 48, 64)
    mask[:, :, 16:28, 20:36] = 1
    out = _run(name, image, mask)
    assert torch.equal(out * (1 - mask), image * (1 - mask))
    err = ((out - image).abs() * mask).sum() / (3 * mask.sum())
    assert err < 0.05                 # a mid-grey fill would be off by ~0.3
    # no hole: the image comes back (up to 8-bit rounding)
    same = _run(name, image, torch.zeros_like(mask))
    assert (same - image).abs().max() <= 1 / 127.5


def test_grid_detection():
    from toolbox_plugins.classical.generators import known_grid
    lines = np.zeros((12, 10), np.uint8)
    lines[::3] = 1                                        # Every N Lines, n = 3
    rows, cols = known_grid(lines)
    assert rows.tolist() == [1, 2, 4, 5, 7, 8, 10, 11] and cols.tolist() == list(range(10))
    nn = np.ones((12, 10), np.uint8)
    nn[::4, ::4] = 0                                      # Nearest Neighbor, s = 4
    rows, cols = known_grid(nn)
    assert rows.tolist() == [0, 4, 8] and cols.tolist() == [0, 4, 8]
    box = np.zeros((12, 10), np.uint8)
    box[3:6, 3:6] = 1
    assert known_grid(box) is None
    assert known_grid(np.ones((4, 4), np.uint8)) is None


def test_bicubic_interpolates_grids_and_falls_back_to_telea():
    from toolbox_plugins.classical.generators import BicubicInterpolation
    image = smooth_image()
    gen = BicubicInterpolation()
    for step in (2, 3):
        nn = torch.ones(1, 1, 48, 64)
        nn[:, :, ::step, ::step] = 0
        out = gen(image * (1 - nn), nn)['output']
        assert torch.equal(((out + 1) * 127.5).round()[nn.expand_as(out) == 0],
                           ((image + 1) * 127.5).round()[nn.expand_as(out) == 0])
        inner = (slice(None), slice(None), slice(8, 40), slice(8, 56))
        assert (out - image)[inner].abs().max() < 0.02   # smooth image: nearly exact
    lines = torch.zeros(1, 1, 48, 64)
    lines[:, :, ::2] = 1
    out = gen(image * (1 - lines), lines)['output']
    assert (out - image)[:, :, 2:-2].abs().max() < 0.02
    # bicubic beats Telea on an interpolation mask of a textured image
    g = torch.Generator().manual_seed(0)
    texture = torch.nn.functional.interpolate(torch.rand(1, 3, 12, 16, generator=g) * 2 - 1,
                                              size=(48, 64), mode='bicubic').clamp(-1, 1)
    nn = torch.ones(1, 1, 48, 64)
    nn[:, :, ::2, ::2] = 0
    bicubic = _run('BicubicInterpolation', texture, nn)
    telea = _run('TeleaInpaint', texture, nn)
    assert (bicubic - texture).abs().mean() < (telea - texture).abs().mean()
    assert gen.fallbacks == 0
    box = torch.zeros(1, 1, 48, 64)
    box[:, :, 10:20, 10:20] = 1
    out = gen(image * (1 - box), box)['output']
    assert gen.fallbacks == 1


@pytest.mark.parametrize('config', ['classical/telea', 'classical/ns', 'classical/bicubic'])
def test_configs_build_without_checkpoint(config):
    from toolbox.apis import init_inpaintor, inpaint
    model = init_inpaintor(osp.join(REPO, 'configs', f'{config}.py'))
    assert model.generator.trainable is False
    image = ((smooth_image(32, 32)[0].permute(1, 2, 0) + 1) * 127.5).round().byte().numpy()
    mask = np.zeros((32, 32), np.uint8)
    mask[8:20, 10:22] = 255
    out = inpaint(model, image, mask)
    assert out.shape == image.shape and np.array_equal(out[mask == 0], image[mask == 0])


def test_outpainting_masks_are_no_grids():
    from toolbox_plugins.classical.generators import known_grid
    completion = np.zeros((32, 32), np.uint8)
    completion[:12] = 1                       # the top band missing: rows x all columns known
    expand = np.ones((40, 40), np.uint8)
    expand[12:28, 12:28] = 0                  # only the centre known
    assert known_grid(completion) is None and known_grid(expand) is None
    assert known_grid(completion, max_gap=12) is not None
