# AOT-GAN trained on the demo photos (64x64 crops, random rectangles) on a CPU:
#   python tools/train.py configs/aotgan/demo.py
# Measured once on the shared 2-core development machine under heavy load: about 20 s per
# iteration, dominated by the four VGG19 passes of the style and perceptual losses; far
# from the minute aimed at (lower train_cfg.max_iters, or drop the VGG losses, for a quick look).
# A narrow generator (base_channels=16, 2 AOT blocks), a narrow SM-PatchGAN, the authors'
# loss weights; the soft-mask blur is scaled to the 64x64 crops (kernel 19, sigma 2.5
# instead of 71 / 10 at 512). The VGG19 losses use RANDOM weights (pretrained=False, no
# downloads): they then act only as random-feature losses.
_base_ = ['./places_512.py']
model = dict(
    generator=dict(base_channels=16, num_blocks=2),
    discriminator=dict(base_channels=16),
    losses=[
        dict(type='L1Loss', loss_weight=1.0),
        dict(type='StyleLoss', loss_weight=250.0, region='all', pretrained=False),
        dict(type='VGGFeatureMatchingLoss', loss_weight=0.1, composite=False,
             layer_weights=(1.0, 1.0, 1.0, 1.0, 1.0), pretrained=False),
        dict(type='SoftMaskGANLoss', loss_weight=0.01, kernel_size=19, sigma=2.5),
    ],
)
# The demo photos: 64x64 crops of photos scaled to 30-100% of 256 pixels.
demo = dict(type='DemoDataset', data_root='data/demo', crop_size=64)
demo_mask = dict(type='RandomRectangle', min_size=0.2, max_size=0.5)
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(demo, split='train', mask=dict(demo_mask, _delete_=True),
                 resize=dict(type='RandomResize', scale=(256, 256), ratio_range=(0.3, 1.0),
                             keep_ratio=True)))
val_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                      dataset=dict(demo, split='val', mask=dict(demo_mask, _delete_=True)))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=100, val_interval=50)
optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=4e-4)),
    discriminator=dict(optimizer=dict(lr=4e-4)),
)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=50))
custom_hooks = [dict(type='InpaintingVisualizationHook', interval=50)]
