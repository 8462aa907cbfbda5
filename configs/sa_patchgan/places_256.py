# The flagship: progressive five-stage SA-PatchGAN at 256x256 (B_5s+SA of the paper's
# ablation). Train with
#   python tools/train.py configs/sa_patchgan_5s.py
# Data: every image under data/places/train (validation: data/places/val), as
# configs/_base_/datasets/image_folder_256.py sets; for other folders set
# train_dataloader.dataset.data_root and val_dataloader.dataset.data_root. The semantic
# network's pretrained weights (timm resnet50) must be in timm's cache or given with
# model.discriminator.semantic_weights; offline, the first use says which file to provide.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/models/sa_patchgan_5s.py',
    '../_base_/datasets/image_folder_256.py',
    '../_base_/schedules/gan_iter.py',
]
# Training masks: the seven types of the paper, mixed with equal weights.
train_dataloader = dict(batch_size=16, dataset=dict(mask=dict(type='Mixture')))
val_dataloader = dict(dataset=dict(mask=dict(type='Mixture')))
test_dataloader = val_dataloader

# 500k iterations = the sum of the scheduler's stage_iters.
train_cfg = dict(max_iters=500000, val_interval=10000)
default_hooks = dict(checkpoint=dict(interval=10000))
custom_hooks = [
    dict(type='ProgressiveStageHook', full_size=(256, 256)),
    dict(type='InpaintingVisualizationHook', interval=1000),
]
