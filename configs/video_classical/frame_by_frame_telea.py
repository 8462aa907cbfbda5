# Telea on every frame on its own: the flickering baseline (plugin video_classical).
# Any image model's `model` dict can replace the Telea one; its weights go in as
# `checkpoint='...'` next to `model=` (the image model's own checkpoint). tools/inpaint.py
# still asks for --checkpoint when the wrapped model has learned weights: build such a
# model in Python (MODELS.build) until the command line learns about wrapped checkpoints.
_base_ = ['../_base_/default_runtime.py']

model = dict(
    type='FrameByFrame',
    model=dict(type='GANInpaintor', generator=dict(type='TeleaInpaint', radius=3),
               losses=[dict(type='L1Loss')]),
)
