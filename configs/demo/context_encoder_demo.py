# Context Encoders trained on the demo photos (64x64 crops, the centre 28x28 hole with a
# 2 px overlap band: the paper's geometry at half size) on a CPU in about a minute:
#   python tools/train.py configs/demo/context_encoder_demo.py
_base_ = ['../context_encoder_paris_128.py']
model = dict(
    generator=dict(image_size=64, base_channels=16),
    discriminator=dict(crop_size=32, base_channels=16),
    losses=[
        dict(type='OverlapL2Loss', loss_weight=0.999, overlap=2, overlap_weight=10.0),
        dict(type='NonSaturatingGANLoss', loss_weight=0.001),
    ],
)
hole = dict(type='CenterSquare', size=0.4375)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomResize', scale=(256, 256), ratio_range=(0.3, 1.0), keep_ratio=True),
    dict(type='RandomCrop', size=64),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='GenerateMask', generator=hole),
    dict(type='PackInpaintingInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='GenerateMask', generator=hole, deterministic=True),
    dict(type='PackInpaintingInputs'),
]
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='DemoDataset', split='train', pipeline=train_pipeline,
                 _delete_=True))
val_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='DemoDataset', split='val', pipeline=val_pipeline, test_mode=True,
                 _delete_=True))
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
