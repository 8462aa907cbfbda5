# DeepFill v1 trained on the demo photos (64x64 crops, a 32x32 box shrunk by up to 4 px a
# side) on a CPU in minutes (200 iterations: 163 s on a 2-core machine at load average 8):
#   python tools/train.py configs/demo/deepfillv1_demo.py
# Narrow networks (generator cnum=8, critics cnum=8 with a 32x32 local box), one critic
# step per generator step so the generator moves within the short run.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/models/deepfillv1.py',
    '../_base_/datasets/demo_64.py',
    '../_base_/schedules/gan_iter.py',
]
model = dict(
    generator=dict(cnum=8),
    discriminator=dict(image_size=64, local_size=32, cnum=8),
    disc_steps=1,
)
train_mask = dict(type='RandomBox', max_shape=0.5, max_delta=0.125)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomResize', scale=(256, 256), ratio_range=(0.3, 1.0), keep_ratio=True),
    dict(type='RandomCrop', size=64),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='GenerateMask', generator=train_mask),
    dict(type='PackInpaintingInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='GenerateMask', generator=train_mask, deterministic=True),
    dict(type='PackInpaintingInputs'),
]
train_dataloader = dict(batch_size=4, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=200, val_interval=100)
optim_wrapper = dict(
    generator=dict(optimizer=dict(type='Adam', lr=4e-4, betas=(0.5, 0.9))),
    discriminator=dict(optimizer=dict(type='Adam', lr=4e-4, betas=(0.5, 0.9))),
)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=100))
custom_hooks = [dict(type='InpaintingVisualizationHook', interval=100)]
