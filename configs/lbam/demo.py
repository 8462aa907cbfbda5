# LBAM trained on the demo photos (64x64 crops, random rectangles) on a CPU:
#   python tools/train.py configs/lbam/demo.py
# A narrow 5-layer generator (base_channels=16), a 4-layer two-column discriminator, the
# official loss weights. The VGG-16 terms use RANDOM weights (pretrained=False, no
# downloads): they then act only as random-feature losses.
_base_ = ['./paris_256.py']
model = dict(
    generator=dict(base_channels=16, num_layers=5),
    discriminator=dict(base_channels=16, num_layers=4),
    losses=[
        dict(type='L1Loss', hole_weight=6.0, valid_weight=1.0),
        dict(type='LBAMPerceptualLoss', loss_weight=0.01, pretrained=False),
        dict(type='LBAMStyleLoss', loss_weight=120.0, pretrained=False),
        dict(type='LBAMWGANLoss', loss_weight=0.1, gp_weight=10.0),
    ],
)
# the demo photos at 64x64 with random rectangles, replacing the paper's data keys
train_dataloader = dict(
    _delete_=True, batch_size=4, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='DemoDataset', split='train', crop_size=64,
                 resize=dict(type='RandomResize', scale=(256, 256), ratio_range=(0.3, 1.0),
                             keep_ratio=True),
                 mask=dict(type='RandomRectangle', min_size=0.2, max_size=0.5)))
val_dataloader = dict(
    _delete_=True, batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='DemoDataset', split='val', crop_size=64, test_mode=True,
                 mask=dict(type='RandomRectangle', min_size=0.2, max_size=0.5)))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=100, val_interval=50)
optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=2e-4)),
    discriminator=dict(optimizer=dict(lr=2e-5)),
)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=50))
custom_hooks = [dict(type='InpaintingVisualizationHook', interval=50)]
