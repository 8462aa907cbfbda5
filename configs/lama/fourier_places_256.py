# LaMa-Fourier (Suvorov et al., "Resolution-robust Large Mask Inpainting with Fourier
# Convolutions", WACV 2022) on Places with the paper's settings: FFC ResNet generator with
# 9 residual blocks (27,048,835 parameters), N-layer PatchGAN (6,962,369), 256x256 crops,
# LaMa's wide training masks, losses
#   10 * L_adv (non-saturating, R1 0.001) + 30 * HRFPL + 100 * feature matching + 10 * L1(known)
# and Adam (G 1e-3, D 1e-4), batch 30 as the authors' configs. See plugins/lama/README.md.
#
# The HRFPL network: the paper's ADE20k-trained dilated ResNet-50 is not distributed in a
# form this toolbox can fetch; an ImageNet timm ResNet-50 (dilated to output stride 8)
# stands in. It loads from the caches or
#   --cfg-options "model.losses.1.weights=/path/to/resnet50.safetensors"
# and fails within a second, naming the file, when it is not there.
#
#   python tools/train.py configs/lama/fourier_places_256.py
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/datasets/image_folder_256.py',
    '../_base_/schedules/gan_iter.py',
]
model = dict(
    type='GANInpaintor',
    generator=dict(type='FFCResNetGenerator', preset='lama-fourier'),
    discriminator=dict(type='NLayerDiscriminator', base_channels=64, num_layers=4),
    losses=[
        # L1 on known pixels only: weight 10 on known, 0 in the hole.
        dict(type='L1Loss', hole_weight=0.0, valid_weight=1.0, loss_weight=10.0),
        # High-receptive-field perceptual loss (alpha = 30).
        dict(type='HRFPerceptualLoss', backbone='timm:resnet50', pretrained=True,
             weights=None, output_stride=8, loss_weight=30.0),
        # Discriminator feature matching, L2 (beta = 100).
        dict(type='DiscriminatorFeatureMatchingLoss', kind='l2', loss_weight=100.0),
        # Non-saturating adversarial loss (kappa = 10) with R1 on real images (gamma = 0.001);
        # D judges the raw output, whose patches away from the holes count as real.
        dict(type='NonSaturatingR1Loss', loss_weight=10.0, r1_weight=0.001,
             mask_as_fake_target=True),
    ],
    disc_steps=1,
    disc_input='output',
)
# LaMa's training masks: thick irregular strokes and boxes, half and half (the authors'
# "mixed" generator with irregular_proba = box_proba = 1); both from the masks plugin.
train_mask = dict(type='Mixture',
                  generators=[dict(type='ThickStrokes', box_prob=0.0),
                              dict(type='ThickStrokes', box_prob=1.0)],
                  weights=[1.0, 1.0])
train_dataloader = dict(
    batch_size=30, dataset=dict(data_root='data/places2/train', mask=train_mask))
val_dataloader = dict(dataset=dict(data_root='data/places2/val', mask=train_mask))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=1000000, val_interval=10000)
optim_wrapper = dict(
    generator=dict(optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.999))),
    discriminator=dict(optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999))),
)
default_hooks = dict(checkpoint=dict(interval=10000))
