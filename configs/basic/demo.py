# Trains the basic encoder-decoder GAN on the demo photos on a CPU in about a minute:
#   python tools/train.py configs/basic/demo.py
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/models/basic_gan.py',
    '../_base_/datasets/demo_64.py',
    '../_base_/schedules/gan_iter.py',
]
model = dict(
    generator=dict(base_channels=16),
    discriminator=dict(base_channels=16),
)
train_cfg = dict(max_iters=200, val_interval=100)
optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=4e-4)),
    discriminator=dict(optimizer=dict(lr=4e-4)),
)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=100),
)
custom_hooks = [dict(type='InpaintingVisualizationHook', interval=100)]
