# StructureFlow trained on the demo photos (64x64 crops, random rectangles) on a CPU:
#   python tools/train.py configs/structureflow/demo.py
# Narrow networks (width 8, one residual block per level), narrow two-scale
# discriminators, the joint stage with the official loss weights. The VGG-19 terms use
# RANDOM weights (pretrained=False, no downloads): they then act only as random features.
# The structure targets are computed with RTV from each batch.
_base_ = ['./places_256.py']
model = dict(
    generator=dict(structure=dict(base_channels=8, num_res=1),
                   texture=dict(base_channels=8, num_res=1)),
    discriminator=dict(structure=dict(base_channels=8, num_layers=2),
                       texture=dict(base_channels=8, num_layers=2)),
    pretrained=False,
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
