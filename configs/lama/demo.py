# LaMa trained on the demo photos (64x64 crops) on a CPU in a few minutes:
#   python tools/train.py configs/lama/demo.py
# A narrow FFC ResNet generator (base_channels=16, 3 blocks), a 3-layer N-layer PatchGAN,
# the paper's loss recipe and mask mix (thick strokes and boxes, scaled to 64x64).
# The perceptual network is a ResNet-18 with RANDOM weights (pretrained=False, stated
# here on purpose: no weights can be downloaded for the demo); point it at real weights
# with --cfg-options model.losses.1.pretrained=True model.losses.1.weights=PATH.
_base_ = ['./fourier_places_256.py']
model = dict(
    generator=dict(preset=None, base_channels=16, num_blocks=3),
    discriminator=dict(base_channels=16, num_layers=3),
    losses=[
        dict(type='L1Loss', hole_weight=0.0, valid_weight=1.0, loss_weight=10.0),
        dict(type='HRFPerceptualLoss', backbone='timm:resnet18', pretrained=False,
             output_stride=8, layers=(1, 2), loss_weight=30.0),
        dict(type='DiscriminatorFeatureMatchingLoss', kind='l2', loss_weight=100.0),
        dict(type='NonSaturatingR1Loss', loss_weight=10.0, r1_weight=0.001,
             mask_as_fake_target=True),
    ],
)
# LaMa's mask mix of the base config; ThickStrokes scales its 256-pixel preset to 64x64.
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
train_cfg = dict(max_iters=200, val_interval=100)
optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=1e-3)),
    discriminator=dict(optimizer=dict(lr=1e-4)),
)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=100))
custom_hooks = [dict(type='InpaintingVisualizationHook', interval=100)]
