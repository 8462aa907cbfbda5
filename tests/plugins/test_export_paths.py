"""The export-time paths of LaMa's Fourier unit and DeepFill's contextual attention compute
what the eager paths compute (``torch.compiler.is_exporting()`` is what switches them)."""
from __future__ import annotations

import pytest
import torch

from toolbox.nn.contextual_attention import contextual_attention
from toolbox_plugins.lama.ffc import FourierUnit

pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.mark.parametrize('size', [(8, 8), (7, 10), (12, 9)])
def test_fourier_unit_dft_matrices_equal_the_fft(size):
    torch.manual_seed(0)
    unit = FourierUnit(6, 5).eval()
    torch.nn.init.normal_(unit.bn.running_mean)
    x = torch.randn(2, 6, *size)
    with torch.no_grad():
        fft = unit(x)
        unit.use_dft = True
        dft = unit(x)
    assert dft.shape == fft.shape == (2, 5, *size)
    assert (dft - fft).abs().max() <= 1e-5
    assert fft.abs().max() > 0.1


def test_fourier_unit_uses_dft_only_while_exporting(monkeypatch):
    calls = []
    monkeypatch.setattr(torch.fft, 'rfftn', lambda *a, **k: calls.append(1) or 1 / 0)
    unit = FourierUnit(2, 2).eval()
    with pytest.raises(ZeroDivisionError):
        unit(torch.randn(1, 2, 4, 4))                      # eager: torch.fft
    monkeypatch.setattr(torch.compiler, 'is_exporting', lambda: True)
    assert unit(torch.randn(1, 2, 4, 4)).shape == (1, 2, 4, 4)
    assert calls == [1]


def test_contextual_attention_export_path_equals_the_eager_one(monkeypatch):
    torch.manual_seed(0)
    f = torch.randn(3, 4, 16, 12)
    mask = torch.zeros(3, 1, 16, 12)
    mask[0, :, 2:9, 3:8] = 1          # a hole
    mask[1, :, 10:14, 0:4] = 1        # another size: fewer known patches than sample 0
    mask[2] = 1                       # no known patch at all
    eager, _ = contextual_attention(f, f, mask, return_offsets=False)
    chunked, _ = contextual_attention(f, f, mask, return_offsets=False, max_elements=600)
    monkeypatch.setattr(torch.compiler, 'is_exporting', lambda: True)
    exporting, _ = contextual_attention(f, f, mask, return_offsets=False, max_elements=600)
    assert (exporting - eager).abs().max() <= 1e-5
    assert (chunked - eager).abs().max() <= 1e-5
    assert exporting[2].abs().max() == 0 and eager[0].abs().max() > 0
