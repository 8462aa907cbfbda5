# DeepFill v2 on Places2 with the paper's settings: 256x256 random crops, free-form brush
# strokes OR-ed with a random box (at most 128x128, each side shrunk by up to 32 px),
# Adam lr 1e-4, betas (0.5, 0.999), constant learning rate, batch size 16, one D step per
# G step.
#
# Data: data/places2/train/ and data/places2/val/ (any folder tree of images; see
# plugins/deepfillv2/README.md). Train with
#   python tools/train.py configs/deepfillv2/places_256.py
# The paper states no iteration count (the authors' config trains until stopped,
# max_iters 1e8); 1M iterations of batch 16 is about 6 epochs of Places2-challenge.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/models/deepfillv2.py',
    '../_base_/datasets/image_folder_256.py',
    '../_base_/schedules/gan_iter.py',
]
# DeepFill v2's training masks: Algorithm 1 strokes OR-ed with the reference bbox mask.
train_mask = dict(type='FreeFormBrush',
                  box=dict(type='RandomBox', max_shape=0.5, max_delta=0.125))
train_dataloader = dict(
    batch_size=16, dataset=dict(data_root='data/places2/train', mask=train_mask))
val_dataloader = dict(dataset=dict(data_root='data/places2/val', mask=train_mask))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=1000000, val_interval=10000)
default_hooks = dict(checkpoint=dict(interval=10000))
