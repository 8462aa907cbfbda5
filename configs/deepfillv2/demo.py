# DeepFill v2 trained on the demo photos (64x64 crops) on a CPU in a few minutes:
#   python tools/train.py configs/deepfillv2/demo.py
# Narrow networks (cnum=16), a 4-layer SN-PatchGAN (a 4x4 logit map at 64x64) and the
# paper's mask recipe with brush widths scaled to the small crops.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/models/deepfillv2.py',
    '../_base_/datasets/demo_64.py',
    '../_base_/schedules/gan_iter.py',
]
model = dict(
    generator=dict(cnum=16),
    discriminator=dict(base_channels=16, num_layers=4),
)
train_mask = dict(type='FreeFormBrush', reference_size=256, max_strokes=2,
                  box=dict(type='RandomBox', max_shape=0.5, max_delta=0.125))
train_dataloader = dict(dataset=dict(mask=dict(train_mask, _delete_=True)))
val_dataloader = dict(dataset=dict(mask=dict(train_mask, _delete_=True)))
test_dataloader = val_dataloader
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
