# LaMa-Fourier trained as LaMa's own trainer trains it (advimman/lama,
# configs/training/lama-fourier.yaml under PyTorch Lightning 1.x), where its released
# code and the paper choose differently; measured step for step by
# `toolbox compare-training --peer-lama` (docs/training-parity.md):
#   - generator updated first, then run again to update the discriminator
#     (update_order='generator_first');
#   - generator and discriminator on [0, 1] images with a sigmoid output (value_range);
#     the L1 and R1 weights are LaMa's 10 and 0.001 on [0, 1] images, written for this
#     toolbox's [-1, 1] images: |x - y| doubles (10 -> 5) and the squared gradient of
#     R1 quarters (0.001 -> 0.004);
#   - the fake target per logit: the mask at the nearest pixel (mask_sampling='nearest');
#   - ResNet-PL on the ADE20k resnet50dilated encoder, its batch norms in train mode
#     (Lightning's model.train() reaches the loss network);
#   - gradients clipped to norm 1 (the trainer config's gradient_clip_val: 1).
# The ResNet-PL weights: encoder_epoch_20.pth of ade20k-resnet50dilated-ppm_deepsup, found
# where LaMa's README puts it ($TORCH_HOME/ade20k/ade20k-resnet50dilated-ppm_deepsup/), in
# the torch hub cache, or given with
#   --cfg-options "model.losses.1.weights=/path/to/encoder_epoch_20.pth"
# without it the build fails within a second (offline) naming it.
#
#   python tools/train.py configs/lama/fourier_places_256_lama.py
_base_ = ['./fourier_places_256.py']
model = dict(
    generator=dict(type='FFCResNetGenerator', preset='lama-fourier', value_range='[0,1]'),
    discriminator=dict(type='NLayerDiscriminator', value_range='[0,1]'),
    update_order='generator_first',
    losses=[
        dict(type='L1Loss', hole_weight=0.0, valid_weight=1.0, loss_weight=5.0),
        dict(type='HRFPerceptualLoss', backbone='ade20k:resnet50dilated', pretrained=True,
             weights=None, backbone_mode='train', loss_weight=30.0),
        dict(type='DiscriminatorFeatureMatchingLoss', kind='l2', loss_weight=100.0),
        dict(type='NonSaturatingR1Loss', loss_weight=10.0, r1_weight=0.004,
             mask_as_fake_target=True, mask_sampling='nearest'),
    ],
)
optim_wrapper = dict(
    generator=dict(clip_grad=dict(max_norm=1.0)),
    discriminator=dict(clip_grad=dict(max_norm=1.0)),
)
