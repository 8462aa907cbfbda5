# DeepFill v2 as MMagic released it for CelebA-HQ faces at 256x256
# (deepfillv2_256x256_8x2_celeba_20200619-c96e5f12.pth); the network is the one of
# configs/deepfillv2/places_256_mmagic.py, the data that of configs/deepfillv2/celeba_256.py.
#
#   python tools/convert_weights.py mmagic-deepfillv2 \
#       --config configs/deepfillv2/celeba_256_mmagic.py \
#       checkpoints/deepfillv2_256x256_8x2_celeba_20200619-c96e5f12.pth \
#       checkpoints/deepfillv2_celeba_256_mmagic.pth
_base_ = ['./celeba_256.py']
model = dict(
    generator=dict(
        padding_mode='reflect',
        gated_output=True,
        refine_with_mask=True,
        attention_activation='elu',
        refine_decoder_cnum=64,
        attention='mmagic',
    ),
)
