# Global&Local trained on the demo photos (64x64 crops, a random box with sides in
# [24, 32]) on a CPU in about a minute, through the paper's three phases at a small
# scale: 150 iterations of the completion network with MSE only, 50 of the
# discriminators only, then joint training (alpha = 0.0004).
#   python tools/train.py configs/global_local/demo.py
_base_ = ['./places_256.py']
model = dict(
    generator=dict(base_channels=16),
    discriminator=dict(image_size=64, local_size=32, base_channels=8, fc_channels=64),
    phase_iters=dict(generator=150, discriminator=50),
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
train_cfg = dict(max_iters=400, val_interval=200)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=200))
custom_hooks = [dict(type='InpaintingVisualizationHook', interval=200)]
