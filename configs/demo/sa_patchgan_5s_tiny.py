# The flagship, shrunk to run all five stages on a CPU in about a minute: 64x64 crops of
# the demo photos (no download), narrow networks, 4 iterations per stage. Only sizes,
# widths, iterations and data differ from configs/sa_patchgan_5s.py -- and the semantic
# network, which is a tiny random timm test model because no pretrained weights can be
# assumed on a fresh machine.
#   python tools/train.py configs/demo/sa_patchgan_5s_tiny.py
_base_ = ['../sa_patchgan_5s.py']
size = 64
model = dict(
    generator=dict(cnum=8),
    scheduler=dict(stage_iters=(4, 4, 4, 4, 4)),     # stages at 16, 24, 32, 48, 64
    discriminator=dict(base_channels=8, embed_dim=32, semantic_model='test_resnet',
                       pretrained=False),
)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomResize', scale=(256, 256), ratio_range=(0.3, 1.0), keep_ratio=True),
    dict(type='RandomCrop', size=size),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='GenerateMask', generator=dict(type='Mixture')),
    dict(type='PackInpaintingInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=(size, size), keep_ratio=False),
    dict(type='GenerateMask', generator=dict(type='Mixture'), deterministic=True),
    dict(type='PackInpaintingInputs'),
]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, type='DemoDataset', split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, type='DemoDataset', split='val', pipeline=val_pipeline,
                 test_mode=True))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=20, val_interval=10)
default_hooks = dict(logger=dict(interval=2), checkpoint=dict(interval=6))
custom_hooks = [
    dict(type='ProgressiveStageHook', full_size=(size, size)),
    dict(type='InpaintingVisualizationHook', interval=10),
]
