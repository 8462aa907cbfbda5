# CSA trained on the demo photos (64x64 crops, random rectangles) on a CPU:
#   python tools/train.py configs/csa/demo.py
# Narrow generators (base_channels=8, 6 halvings: the CSA layer runs at 8x8x64), a narrow
# patch discriminator, the official loss weights. The VGG-16 terms (the feature
# discriminator's input, the consistency loss) use RANDOM weights (pretrained=False, no
# downloads): they then act only as random features.
_base_ = ['./paris_256.py']
model = dict(
    generator=dict(rough=dict(base_channels=8, num_downs=6),
                   refinement=dict(base_channels=8, num_downs=6)),
    discriminator=dict(patch=dict(base_channels=8), feature=dict(pretrained=False)),
    consistency=dict(pretrained=False),
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
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=50))
custom_hooks = [dict(type='InpaintingVisualizationHook', interval=50)]
