# DeepFill v2 on CelebA-HQ faces at 256x256 with the paper's settings: whole images resized
# to 256x256 (the authors' random_crop: False for faces), free-form brush strokes OR-ed
# with a random box, Adam lr 1e-4, betas (0.5, 0.999), batch size 16.
#
# Data: data/celeba/train/ and data/celeba/val/ (CelebA-HQ or aligned CelebA images; see
# plugins/deepfillv2/README.md). Train with
#   python tools/train.py configs/deepfillv2_celeba_256.py
_base_ = ['./deepfillv2_places_256.py']
data_root = 'data/celeba'
train_mask = dict(type='FreeFormBrush',
                  box=dict(type='RandomBox', max_shape=0.5, max_delta=0.125))
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=(256, 256), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='GenerateMask', generator=train_mask),
    dict(type='PackInpaintingInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=(256, 256), keep_ratio=False),
    dict(type='GenerateMask', generator=train_mask, deterministic=True),
    dict(type='PackInpaintingInputs'),
]
train_dataloader = dict(dataset=dict(data_root=data_root + '/train', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root + '/val', pipeline=val_pipeline))
test_dataloader = val_dataloader
# CelebA-HQ has 28k training images: fewer iterations than Places2.
train_cfg = dict(max_iters=300000, val_interval=5000)
