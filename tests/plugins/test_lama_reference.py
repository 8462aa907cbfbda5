"""LaMa's generator as the authors compute it: reflection-padded downsampling and their
[0, 1] value range (the bit-for-bit comparison with the reference code is recorded in
plugins/lama/README.md; it needs the reference checkout)."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from toolbox.registry import DISCRIMINATORS, GENERATORS

pytestmark = pytest.mark.usefixtures('one_thread')


def _padded_convs(gen):
    return [m for m in gen.modules() if isinstance(m, nn.Conv2d) and max(m.padding) > 0]


def test_every_padded_convolution_pads_by_reflection_like_lama():
    gen = GENERATORS.build(dict(type='FFCResNetGenerator', preset=None, base_channels=8,
                                num_blocks=1))
    strided = [m for m in _padded_convs(gen) if m.stride == (2, 2)]
    # three downsamplings; the last one also has the local->global convolution
    assert len(strided) == 4
    assert all(m.padding_mode == 'reflect' for m in _padded_convs(gen))
    old = GENERATORS.build(dict(type='FFCResNetGenerator', preset=None, base_channels=8,
                                num_blocks=1, downsample_padding='zeros'))
    assert [m.padding_mode for m in _padded_convs(old) if m.stride == (2, 2)] == ['zeros'] * 4


def test_reflection_padding_changes_the_border_only():
    torch.manual_seed(0)
    kw = dict(type='FFCResNetGenerator', preset=None, base_channels=8, num_blocks=1)
    a = GENERATORS.build(kw).eval()
    b = GENERATORS.build(dict(kw, downsample_padding='zeros')).eval()
    b.load_state_dict(a.state_dict())
    x, mask = torch.rand(1, 3, 64, 64) * 2 - 1, torch.zeros(1, 1, 64, 64)
    with torch.no_grad():
        d = (a(x, mask)['output'] - b(x, mask)['output']).abs()
    assert d.max() > 1e-4


def test_unit_value_range_is_lamas_function():
    torch.manual_seed(0)
    gen = GENERATORS.build(dict(type='FFCResNetGenerator', preset=None, base_channels=8,
                                num_blocks=1, value_range='[0,1]')).eval()
    assert isinstance(gen.decoder[-1], nn.Sigmoid)
    img01 = torch.rand(2, 3, 32, 32)
    mask = (torch.rand(2, 1, 32, 32) > 0.6).float()
    with torch.no_grad():
        out = gen(img01 * 2 - 1, mask)['output']
        x = torch.cat([img01 * (1 - mask), mask], 1)        # LaMa's input: holes 0 in [0, 1]
        x_l, x_g = gen.encoder((x, None))
        lama = gen.decoder(torch.cat([x_l, x_g], 1))
    assert (out - (lama * 2 - 1)).abs().max() < 1e-5
    assert out.min() >= -1 and out.max() <= 1


def test_unit_value_range_discriminator_sees_unit_images():
    torch.manual_seed(0)
    a = DISCRIMINATORS.build(dict(type='NLayerDiscriminator', base_channels=8, num_layers=2,
                                  value_range='[0,1]')).eval()
    b = DISCRIMINATORS.build(dict(type='NLayerDiscriminator', base_channels=8, num_layers=2)).eval()
    b.load_state_dict(a.state_dict())
    img = torch.rand(1, 3, 32, 32) * 2 - 1
    mask = torch.zeros(1, 1, 32, 32)
    with torch.no_grad():
        assert torch.allclose(a(img, mask), b((img + 1) / 2, mask), atol=1e-6)
    with pytest.raises(ValueError, match='value_range'):
        DISCRIMINATORS.build(dict(type='NLayerDiscriminator', value_range='0-1'))
