"""Shape checks for clips and masks at the video entry points.

Convention (design.md section 4): a clip is ``[B, T, 3, H, W]`` in ``[-1, 1]`` and its masks
``[B, T, 1, H, W]`` with 1 = hole, the image convention per frame.
"""
from __future__ import annotations

from torch import Tensor

__all__ = ['check_clip_and_mask']


def check_clip_and_mask(clip: Tensor, mask: Tensor, *, where: str, channels: int = 3) -> None:
    """Raise one ``ValueError`` naming ``where`` and both shapes unless ``clip`` is
    ``[B, T, C, H, W]`` and ``mask`` ``[B, T, 1, H, W]`` of the same B, T, H and W."""
    expected = f'clip [B, T, {channels}, H, W] and mask [B, T, 1, H, W]'
    if (clip.ndim != 5 or clip.shape[2] != channels or mask.ndim != 5 or mask.shape[2] != 1
            or mask.shape[:2] != clip.shape[:2] or mask.shape[3:] != clip.shape[3:]):
        hint = (' (an image batch? video models take a time axis)'
                if clip.ndim == 4 or mask.ndim == 4 else '')
        raise ValueError(f'{where}: expected {expected}, got clip {list(clip.shape)} and '
                         f'mask {list(mask.shape)}{hint}')
