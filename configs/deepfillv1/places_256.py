# DeepFill v1 on Places2 with the paper's settings: 256x256 random crops, one 128x128 box
# per image with each pair of sides pulled in by up to 16 px (the authors' random_bbox +
# bbox2mask: MAX_DELTA 32), Adam lr 1e-4, betas (0.5, 0.9) for both networks, batch 16,
# five critic steps per generator step.
#
# Data: data/places2/train/ and data/places2/val/ (any folder tree of images). Train with
#   python tools/train.py configs/deepfillv1/places_256.py
# The authors' config runs MAX_ITERS 1M; kept.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/models/deepfillv1.py',
    '../_base_/datasets/image_folder_256.py',
    '../_base_/schedules/gan_iter.py',
]
train_mask = dict(type='RandomBox', max_shape=0.5, max_delta=0.125)
train_dataloader = dict(
    batch_size=16, dataset=dict(data_root='data/places2/train', mask=train_mask))
val_dataloader = dict(dataset=dict(data_root='data/places2/val', mask=train_mask))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=1000000, val_interval=10000)
optim_wrapper = dict(
    generator=dict(optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.9))),
    discriminator=dict(optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.9))),
)
default_hooks = dict(checkpoint=dict(interval=10000))
