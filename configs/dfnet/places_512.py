# DFNet (Hong et al., "Deep Fusion Network for Image Completion", ACM MM 2019) on Places2
# at the authors' setting (their config.yaml): 512x512, batch 6, Adam lr 2e-4 decayed x0.1
# every 5 of 20 epochs of 37,500 iterations; the generator of 8 levels with fusion blocks
# on the 6 finest scales (1 to 1/32). No discriminator.
#
# Loss, as the authors' InpaintLoss: reconstruction (L1) on the 6 fused outputs, and
# perceptual, style and total variation on the 3 finest, each averaged over its scales
# (hence the weights 6/6, 0.1/3, 240/3, 0.1/3); the targets and the mask are resized to each
# output by the engine. The authors' VGG16 pool1-pool3 features are the toolbox's VGG19 at
# relu1_2, relu2_2, relu3_4 (the ReLUs those pools follow, in VGG19); see the README.
# VGG19 needs torchvision's vgg19-dcbb9e9d.pth (see toolbox/nn/vgg.py).
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/datasets/image_folder_256.py',
]
vgg_weights = None
structure = ('output', 'output_s2', 'output_s4', 'output_s8', 'output_s16', 'output_s32')
texture = ('output', 'output_s2', 'output_s4')
vgg_layers = ('relu1_2', 'relu2_2', 'relu3_4')
model = dict(
    type='GANInpaintor',
    generator=dict(type='DFNetGenerator', base_channels=64,
                   encoder_kernels=(7, 5, 5, 3, 3, 3, 3, 3), decoder_kernel=3, num_fusion=6,
                   alpha_channels=3),
    discriminator=None,
    losses=[
        dict(type='L1Loss', outputs=structure, loss_weight=6.0 / 6),
        dict(type='VGGFeatureMatchingLoss', outputs=texture, loss_weight=0.1 / 3,
             composite=False, layers=vgg_layers, layer_weights=(1.0, 1.0, 1.0),
             vgg_weights=vgg_weights),
        dict(type='StyleLoss', outputs=texture, loss_weight=240.0 / 3, region='all',
             layers=vgg_layers, vgg_weights=vgg_weights),
        dict(type='TotalVariationLoss', outputs=texture, loss_weight=0.1 / 3),
    ],
)
train_mask = dict(type='MaskFiles', root='data/masks/pconv')
train_dataloader = dict(batch_size=6, dataset=dict(crop_size=512, mask=train_mask))
val_dataloader = dict(batch_size=4, dataset=dict(crop_size=512, mask=train_mask))
test_dataloader = val_dataloader
train_cfg = dict(type='IterBasedTrainLoop', max_iters=750_000, val_interval=37_500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2e-4))
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, gamma=0.1,
                        milestones=[187_500, 375_000, 562_500])]
