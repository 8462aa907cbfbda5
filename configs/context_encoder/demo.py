# Context Encoders trained on the demo photos (64x64 crops, the centre 28x28 hole with a
# 2 px overlap band: the paper's geometry at half size) on a CPU in about a minute:
#   python tools/train.py configs/context_encoder/demo.py
_base_ = ['./paris_128.py']
model = dict(
    generator=dict(image_size=64, base_channels=16),
    discriminator=dict(crop_size=32, base_channels=16),
    losses=[
        dict(type='OverlapL2Loss', loss_weight=0.999, overlap=2, overlap_weight=10.0),
        dict(type='NonSaturatingGANLoss', loss_weight=0.001),
    ],
)
# The demo photos: 64x64 crops of photos scaled to 30-100% of 256 pixels.
demo = dict(type='DemoDataset', data_root='data/demo', crop_size=64)
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(demo, split='train', flip=True,
                 resize=dict(type='RandomResize', scale=(256, 256), ratio_range=(0.3, 1.0),
                             keep_ratio=True)))
val_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                      dataset=dict(demo, split='val'))
test_dataloader = val_dataloader
val_evaluator = [dict(type='PSNR'), dict(type='MAE')]
test_evaluator = val_evaluator
train_cfg = dict(max_iters=800, val_interval=400)
optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=2e-3)),
    discriminator=dict(optimizer=dict(lr=2e-4)),
)
default_hooks = dict(logger=dict(interval=25), checkpoint=dict(interval=400))
custom_hooks = [dict(type='InpaintingVisualizationHook', interval=400)]
