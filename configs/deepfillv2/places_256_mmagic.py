# DeepFill v2 as MMagic (formerly MMEditing) built and released it, for its converted
# weights (deepfillv2_256x256_8x2_places_20200619-10d15793.pth, Places365 at 256x256):
# reflection padding, gated RGB output layers, [image, ones, mask] as the refinement input,
# ELU before the contextual attention, a merged refinement decoder of width unit 64 and
# MMagic's contextual-attention layer (plugins/deepfillv2/README.md, "MMagic's released
# weights"). Losses, data and schedule are those of configs/deepfillv2/places_256.py (L1 on
# both stages; hinge GAN loss 0.1, the weight MMagic's config uses too).
#
#   python tools/convert_weights.py mmagic-deepfillv2 \
#       checkpoints/deepfillv2_256x256_8x2_places_20200619-10d15793.pth \
#       checkpoints/deepfillv2_places_256_mmagic.pth
#   python tools/inpaint.py --config configs/deepfillv2/places_256_mmagic.py \
#       --checkpoint checkpoints/deepfillv2_places_256_mmagic.pth --image I --mask M --out O
#
# Training from these weights (load_from=...) uses the Places2 data of the base config.
_base_ = ['./places_256.py']
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
