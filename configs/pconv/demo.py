# Partial Convolutions trained on the demo photos (64x64 crops, irregular masks in the
# paper's bins) on a CPU in minutes (0.8-1.4 s per iteration on a 2-core machine at load
# average 8-12, so about 3-4 minutes for the 200 iterations):
#   python tools/train.py configs/pconv/demo.py
# A narrow 5-layer U-Net (base_channels=16). The VGG-16 losses are built with random
# weights (pretrained=False) so that the demo runs without downloads: they then only act as
# random-feature losses.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/models/pconv.py',
    '../_base_/datasets/demo_64.py',
    '../_base_/schedules/gan_iter.py',
]
model = dict(
    generator=dict(layer_size=5, base_channels=16),
    losses=[
        dict(type='L1Loss', hole_weight=6.0, valid_weight=1.0),
        dict(type='PConvPerceptualLoss', loss_weight=0.05, pretrained=False),
        dict(type='PConvStyleLoss', loss_weight=120.0, pretrained=False),
        dict(type='DilatedHoleTVLoss', loss_weight=0.1),
    ],
)
train_mask = dict(type='BinnedIrregularMask')
train_dataloader = dict(dataset=dict(mask=dict(train_mask, _delete_=True)))
val_dataloader = dict(dataset=dict(mask=dict(train_mask, _delete_=True)))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=200, val_interval=100)
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2e-4)),
)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=100))
custom_hooks = [dict(type='InpaintingVisualizationHook', interval=100)]
