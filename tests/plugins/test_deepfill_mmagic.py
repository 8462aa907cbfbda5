"""DeepFill v2 in MMagic's formulation: its contextual attention and layer layout (the
comparison with MMagic's own modules is recorded in plugins/deepfillv2/README.md)."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from toolbox.nn.contextual_attention import contextual_attention
from toolbox.registry import GENERATORS

pytestmark = pytest.mark.usefixtures('one_thread')


def direct_mmagic_attention(f, b, mask, scale=10.0):
    """MMagic's contextual attention written out directly (unfold, 2-D convolutions over the
    flattened score map), as a second implementation to compare with."""
    bsz, c, H, W = f.shape
    raw = F.unfold(b, 4, stride=2, padding=1)                         # [B, C*16, L]
    fd, bd = f[:, :, ::2, ::2], b[:, :, ::2, ::2]
    h, w = fd.shape[2:]
    n = h * w
    bp = F.unfold(bd, 3, padding=1)                                   # [B, C*9, L]
    bp = bp / bp.norm(dim=1, keepdim=True).clamp_min(1e-4)
    fp = F.unfold(fd, 3, padding=1)                                   # foreground unnormalised
    s = torch.einsum('bkl,bkq->blq', bp, fp)                          # [B, L(bg), n(fg)]
    eye = torch.eye(3).view(1, 1, 3, 3)
    s = F.conv2d(s.transpose(1, 2)[:, None], eye, padding=1)[:, 0].transpose(1, 2)  # row-major
    t = s.view(bsz, h, w, h, w).permute(0, 2, 1, 4, 3).reshape(bsz, 1, n, n)
    t = F.conv2d(t.transpose(2, 3), eye, padding=1).transpose(2, 3)   # column-major indices
    s = t.view(bsz, w, h, w, h).permute(0, 2, 1, 4, 3).reshape(bsz, n, n)
    md = mask[:, :, ::2, ::2]                                         # nearest, not max-pooled
    invalid = F.unfold(md, 3, padding=1).sum(1) > 0                   # [B, L]
    s = s.masked_fill(invalid[:, :, None], float('-inf'))
    attn = torch.softmax(s * scale, dim=1)
    out = F.fold(torch.bmm(raw, attn), (H, W), 4, stride=2, padding=1)
    cover = F.fold(torch.ones(1, 16, n), (H, W), 4, stride=2, padding=1)
    return out / cover


def test_mmagic_formulation_equals_a_direct_implementation():
    g = torch.Generator().manual_seed(0)
    f = torch.randn(2, 8, 16, 20, generator=g)
    mask = torch.zeros(2, 1, 16, 20)
    mask[0, :, 3:9, 5:13] = 1
    mask[1, :, 9:15, 1:7] = 1
    ours, _ = contextual_attention(f, f, mask, formulation='mmagic', return_offsets=False)
    ref = direct_mmagic_attention(f, f, mask)
    assert (ours - ref).abs().max() < 1e-5
    theirs_vs_toolbox = contextual_attention(f, f, mask, return_offsets=False)[0]
    assert (theirs_vs_toolbox - ref).abs().max() > 1e-2


def test_mmagic_formulation_does_not_normalise_the_foreground():
    g = torch.Generator().manual_seed(1)
    b = torch.randn(1, 8, 16, 16, generator=g)
    f = torch.randn(1, 8, 16, 16, generator=g)
    for formulation, changes in (('toolbox', False), ('mmagic', True)):
        one = contextual_attention(f, b, None, formulation=formulation)[0]
        two = contextual_attention(3 * f, b, None, formulation=formulation)[0]
        assert ((one - two).abs().max() > 1e-3) == changes, formulation


def test_mmagic_formulation_samples_the_mask_on_its_grid():
    # a hole on odd rows and columns only: invisible to nearest-neighbour sampling
    f = torch.randn(1, 4, 16, 16, generator=torch.Generator().manual_seed(2))
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., 5, 7] = 1
    free = contextual_attention(f, f, None, formulation='mmagic', return_offsets=False)[0]
    holed = contextual_attention(f, f, mask, formulation='mmagic', return_offsets=False)[0]
    assert torch.equal(free, holed)
    assert not torch.equal(contextual_attention(f, f, None, return_offsets=False)[0],
                           contextual_attention(f, f, mask, return_offsets=False)[0])
    with pytest.raises(ValueError, match='formulation'):
        contextual_attention(f, f, mask, formulation='cosine')


def test_mmagic_layout_options():
    gen = GENERATORS.build(dict(type='DeepFillv2Generator', cnum=8, padding_mode='reflect',
                                gated_output=True, refine_with_mask=True,
                                attention_activation='elu', refine_decoder_cnum=16,
                                attention='mmagic'))
    assert gen.refine_conv[0].conv.in_channels == 5             # image, ones, mask
    assert gen.refine_dec[0].conv.out_channels == 2 * 32        # 2 x (2 x refine_decoder_cnum)
    assert gen.coarse[-1].conv.out_channels == 6                # gated RGB output
    assert gen.refine_attn_enc[-1].activation == 'elu'
    assert all(m.padding_mode == 'reflect' for m in gen.modules()
               if isinstance(m, torch.nn.Conv2d))
    x, mask = torch.rand(1, 3, 72, 72) * 2 - 1, torch.zeros(1, 1, 72, 72)
    mask[..., 10:40, 20:50] = 1
    out = gen(x, mask)
    assert out['output'].shape == (1, 3, 72, 72) and torch.isfinite(out['coarse']).all()
    with pytest.raises(ValueError, match='padding_mode'):
        GENERATORS.build(dict(type='DeepFillv2Generator', cnum=8, padding_mode='circular'))
