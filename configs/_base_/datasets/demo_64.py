# The demo photos from scikit-image (written to data/demo/ on first use), 64x64 crops.
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomResize', scale=(256, 256), ratio_range=(0.3, 1.0), keep_ratio=True),
    dict(type='RandomCrop', size=64),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='GenerateMask', generator=dict(type='RandomRectangle', min_size=0.2, max_size=0.5)),
    dict(type='PackInpaintingInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='GenerateMask', generator=dict(type='RandomRectangle', min_size=0.2, max_size=0.5),
         deterministic=True),
    dict(type='PackInpaintingInputs'),
]
train_dataloader = dict(
    batch_size=4, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='DemoDataset', split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='DemoDataset', split='val', pipeline=val_pipeline, test_mode=True))
test_dataloader = val_dataloader
val_evaluator = [dict(type='PSNR'), dict(type='MAE')]
test_evaluator = val_evaluator
