# The flagship: progressive five-stage SA-PatchGAN at 256x256 (B_5s+SA of the paper's
# ablation). Train with
#   python tools/train.py configs/sa_patchgan_5s.py
# Data: every image under data/places/train (validation: data/places/val); change
# `data_root` below, the one place that names it. The semantic network's pretrained
# weights (timm resnet50) must be in timm's cache or given with
# model.discriminator.semantic_weights; offline, the first use says which file to provide.
_base_ = [
    './_base_/default_runtime.py',
    './_base_/models/sa_patchgan_5s.py',
    './_base_/schedules/gan_iter.py',
]
data_root = 'data/places'
size = 256

# Training masks: the seven types of the paper, mixed with equal weights.
train_mask = dict(type='Mixture')
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomCrop', size=size),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='GenerateMask', generator=train_mask),
    dict(type='PackInpaintingInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=(size, size), keep_ratio=False),
    dict(type='GenerateMask', generator=train_mask, deterministic=True),
    dict(type='PackInpaintingInputs'),
]
train_dataloader = dict(
    batch_size=16, num_workers=4, persistent_workers=True,
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

# 500k iterations = the sum of the scheduler's stage_iters.
train_cfg = dict(max_iters=500000, val_interval=10000)
optim_wrapper = dict(
    generator=dict(optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))),
    discriminator=dict(optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))),
)
default_hooks = dict(checkpoint=dict(interval=10000))
custom_hooks = [
    dict(type='ProgressiveStageHook', full_size=(size, size)),
    dict(type='InpaintingVisualizationHook', interval=1000),
]
