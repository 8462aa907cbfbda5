# Pluralistic trained on the demo photos (64x64 crops, random rectangles) on a CPU:
#   python tools/train.py configs/pluralistic/demo.py
# A narrow 4-level network (base_channels=16, z 32 channels), the official loss weights.
# Several completions of one photo after training:
#   python tools/inpaint.py --config configs/pluralistic/demo.py --checkpoint CKPT \
#       --image IMG --mask MASK --out OUT.png
_base_ = ['./places2_256.py']
model = dict(
    generator=dict(base_channels=16, max_channels=32, layers=4, z_channels=32, infer_blocks=2,
                   output_scales=3),
    discriminator=dict(base_channels=16, max_channels=32, num_layers=4),
)
demo_mask = dict(type='RandomRectangle', min_size=0.2, max_size=0.5)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomResize', scale=(256, 256), ratio_range=(0.3, 1.0), keep_ratio=True),
    dict(type='RandomCrop', size=64),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='GenerateMask', generator=demo_mask),
    dict(type='PackInpaintingInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='GenerateMask', generator=demo_mask, deterministic=True),
    dict(type='PackInpaintingInputs'),
]
train_dataloader = dict(
    _delete_=True, batch_size=4, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='DemoDataset', split='train', pipeline=train_pipeline))
val_dataloader = dict(
    _delete_=True, batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='DemoDataset', split='val', pipeline=val_pipeline,
                 test_mode=True))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=100, val_interval=50)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=50))
custom_hooks = [dict(type='InpaintingVisualizationHook', interval=50)]
