# DeepFill v1 trained on the demo photos (64x64 crops, a 32x32 box shrunk by up to 4 px a
# side) on a CPU in minutes (200 iterations: 163 s on a 2-core machine at load average 8):
#   python tools/train.py configs/deepfillv1/demo.py
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
train_dataloader = dict(dataset=dict(mask=dict(train_mask, _delete_=True)))
val_dataloader = dict(dataset=dict(mask=dict(train_mask, _delete_=True)))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=200, val_interval=100)
optim_wrapper = dict(
    generator=dict(optimizer=dict(type='Adam', lr=4e-4, betas=(0.5, 0.9))),
    discriminator=dict(optimizer=dict(type='Adam', lr=4e-4, betas=(0.5, 0.9))),
)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=100))
custom_hooks = [dict(type='InpaintingVisualizationHook', interval=100)]
