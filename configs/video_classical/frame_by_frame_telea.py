# Telea on every frame on its own: the flickering baseline (plugin video_classical).
# Any image model's `model` dict can replace the Telea one (then pass its --checkpoint).
_base_ = ['../_base_/default_runtime.py']

model = dict(
    type='FrameByFrame',
    model=dict(type='GANInpaintor', generator=dict(type='TeleaInpaint', radius=3),
               losses=[dict(type='L1Loss')]),
)
