# DMFN trained on the demo photos (64x64 crops, centre 32x32 hole) on a CPU in minutes:
#   python tools/train.py configs/dmfn/demo.py
# Narrow networks (base_channels=16, 2 DMFBs; discriminator for 64x64 with a 32x32 local
# crop). The VGG19 losses are built with random weights (pretrained=False) so that the demo
# runs without downloads: they then only act as random-feature losses. With
# vgg19-dcbb9e9d.pth in the torch cache, set pretrained=True for the paper's losses.
_base_ = ['./paris_256.py']
model = dict(
    generator=dict(base_channels=16, num_blocks=2),
    discriminator=dict(image_size=64, local_size=32, base_channels=16),
    losses=[
        dict(type='L1Loss', hole_weight=1.0, valid_weight=0.0),
        dict(type='SelfGuidedRegressionLoss', loss_weight=25.0, pretrained=False),
        dict(type='VGGFeatureMatchingLoss', loss_weight=25.0, pretrained=False),
        dict(type='GeometricalAlignmentLoss', loss_weight=1.0, pretrained=False),
        dict(type='DMFNFeatureMatchingLoss', loss_weight=5.0),
        dict(type='RelativisticAverageGANLoss', loss_weight=0.003),   # RaGAN, as the authors
    ],
)
# The demo photos: 64x64 crops of photos scaled to 30-100% of 256 pixels.
demo = dict(type='DemoDataset', data_root='data/demo', crop_size=64)
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(demo, split='train',
                 resize=dict(type='RandomResize', scale=(256, 256), ratio_range=(0.3, 1.0),
                             keep_ratio=True)))
val_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                      dataset=dict(demo, split='val'))
test_dataloader = val_dataloader
val_evaluator = [dict(type='PSNR'), dict(type='MAE')]
test_evaluator = val_evaluator
train_cfg = dict(max_iters=200, val_interval=100)
param_scheduler = []
optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=4e-4)),
    discriminator=dict(optimizer=dict(lr=4e-4)),
)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=100))
custom_hooks = [dict(type='InpaintingVisualizationHook', interval=100)]
