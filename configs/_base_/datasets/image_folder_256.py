# A folder of training images and one of validation images, 256x256 crops.
# Set data_root (here or with --cfg-options) to your dataset; see the README for layouts.
data_root = 'data/places'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomCrop', size=256),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='GenerateMask', generator=dict(type='RandomRectangle')),
    dict(type='PackInpaintingInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=(256, 256), keep_ratio=False),
    dict(type='GenerateMask', generator=dict(type='RandomRectangle'), deterministic=True),
    dict(type='PackInpaintingInputs'),
]
train_dataloader = dict(
    batch_size=8, num_workers=4, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='ImageFolderDataset', data_root=data_root + '/train',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ImageFolderDataset', data_root=data_root + '/val',
                 pipeline=val_pipeline, test_mode=True))
test_dataloader = val_dataloader
val_evaluator = [dict(type='PSNR'), dict(type='MAE')]
test_evaluator = val_evaluator
