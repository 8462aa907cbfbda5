# Partial Convolutions on Places2 at 512x512, the paper's first phase (Sec. 4.1): Adam lr
# 2e-4, batch 6 (the paper's batch per GPU), batch norm on everywhere. The paper's
# second phase is configs/pconv/places_512_finetune.py (encoder batch norm frozen, lr 5e-5).
# Masks: irregular masks in the paper's six hole-ratio bins (BinnedIrregularMask; the NVIDIA
# mask files can be used instead through the masks plugin's file-based generator).
#
# Data: data/places2/train/ and data/places2/val/. Train with
#   python tools/train.py configs/pconv/places_512.py
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/models/pconv.py',
    '../_base_/datasets/image_folder_256.py',
    '../_base_/schedules/gan_iter.py',
]
train_mask = dict(type='BinnedIrregularMask')
train_dataloader = dict(batch_size=6, dataset=dict(
    data_root='data/places2/train', crop_size=512, mask=train_mask,
    resize=dict(type='RandomResize', scale=(512, 512), ratio_range=(1.0, 1.5), keep_ratio=True)))
val_dataloader = dict(
    batch_size=4, dataset=dict(data_root='data/places2/val', crop_size=512, mask=train_mask))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=1000000, val_interval=10000)
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2e-4)),
)
default_hooks = dict(checkpoint=dict(interval=10000))
