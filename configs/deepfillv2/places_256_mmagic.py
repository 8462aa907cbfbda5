# DeepFill v2 as MMagic (formerly MMEditing) built and released it, for its converted
# weights (deepfillv2_256x256_8x2_places_20200619-10d15793.pth, Places365 at 256x256):
# reflection padding, gated RGB output layers, [image, ones, mask] as the refinement input,
# ELU before the contextual attention, a merged refinement decoder of width unit 64 and
# MMagic's contextual-attention layer (plugins/deepfillv2/README.md, "MMagic's released
# weights"). Data are those of configs/deepfillv2/places_256.py.
#
# Training follows MMagic's trainer (deepfillv2_8xb2_places-256x256.py), which differs from
# the authors' in two places (toolbox compare-training checks the step against MMagic's
# TwoStageInpaintor, docs/training-parity.md): the L1 loss is two terms, hole and valid,
# each normalised by its own region's size (the authors: one mean over the image), and
# Adam keeps torch's default betas (0.9, 0.999) (the authors: (0.5, 0.999)). The hinge GAN
# loss weighs 0.1, as in places_256.py; the discriminator judges the fake batch before the
# real one (the order sets which spectral-norm estimate each batch sees).
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
    losses=[
        dict(type='L1Loss', outputs=('coarse', 'output'), hole_weight=1.0, valid_weight=0.0,
             normalize='region'),
        dict(type='L1Loss', outputs=('coarse', 'output'), hole_weight=0.0, valid_weight=1.0,
             normalize='region'),
        dict(type='HingeGANLoss', loss_weight=0.1, fake_first=True),
    ],
)
optim_wrapper = dict(
    generator=dict(optimizer=dict(betas=(0.9, 0.999))),
    discriminator=dict(optimizer=dict(betas=(0.9, 0.999))),
)
