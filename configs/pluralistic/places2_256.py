# Pluralistic (Zheng et al., "Pluralistic Image Completion", CVPR 2019) at 256x256, the
# official model's options (model/pluralistic_model.py): encoder 3,604,224 parameters
# (with the posterior head), decoder 2,374,016, each of the two discriminators 1,575,075.
#
# Training as the official code: images resized to 266x266 and cropped to 256, flips;
# batch 8; Adam lr 1e-4, betas (0.0, 0.999) for every network; loss 20 L1 (each path,
# summed over the 4 output scales) + 20 x 4 KL (each path) + LSGAN (1 each path). The
# official masks mix random rectangles and random strokes; here random rectangles (point
# a MaskFiles recipe at irregular masks for the other half). The reconstructive KL is
# the paper's direction; kl_rec_direction='code' is the official one. See
# plugins/pluralistic/README.md.
#   python tools/train.py configs/pluralistic/places2_256.py
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/datasets/image_folder_256.py',
    '../_base_/schedules/gan_iter.py',
]
model = dict(
    type='PluralisticInpaintor',
    generator=dict(type='PluralisticGenerator', base_channels=32, max_channels=128, layers=5,
                   z_channels=128, infer_blocks=6, output_scales=4, attention=True,
                   norm='instance'),
    discriminator=dict(type='PluralisticDiscriminator', base_channels=32, max_channels=128,
                       num_layers=5),
    adv_loss=dict(type='PluralisticLSGANLoss'),
    lambda_rec=20.0, lambda_kl=20.0, lambda_g=1.0,
    kl_rec_direction='paper', train_paths='two',
)
data_root = 'data/places2'
train_mask = dict(type='RandomRectangle', min_size=0.1, max_size=0.6)
train_dataloader = dict(
    batch_size=8,
    # resized to 266x266, a random 256 crop and a flip, as the official loader
    dataset=dict(data_root=data_root + '/train', mask=dict(train_mask, _delete_=True),
                 resize=dict(type='Resize', scale=(266, 266), keep_ratio=False)))
val_dataloader = dict(
    batch_size=4,
    dataset=dict(data_root=data_root + '/val', mask=dict(train_mask, _delete_=True)))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=1000000, val_interval=10000)
_adam = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, betas=(0.0, 0.999)))
# one optimizer per sub-module; Adam is per parameter, so this is the official pair of
# optimizers (E and G together, D and D_rec together)
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    generator=_adam, posterior=_adam, discriminator=_adam, discriminator_rec=_adam,
)
default_hooks = dict(checkpoint=dict(interval=10000))
