# Global&Local (Iizuka et al., "Globally and Locally Consistent Image Completion",
# SIGGRAPH 2017) on Places2 with the paper's setting: 256x256 patches of images whose
# short side is scaled into [256, 384], one rectangular hole per image with each side in
# [96, 128], the local discriminator on the 128x128 patch centred on the hole, batch 96,
# ADADELTA.
#
# The three phases (section 3.3): T_C = 90,000 iterations of the completion network
# with the MSE on the hole only, T_D = 10,000 of the discriminators only with the
# completion network fixed, then joint training to T_train = 500,000 iterations in all,
# with the adversarial weight alpha = 0.0004. Poisson blending at inference:
#   python tools/inpaint.py --config configs/global_local/places_256.py \
#       --checkpoint CKPT ... --blend poisson
# Data: data/places/train/ and data/places/val/.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/datasets/image_folder_256.py',
    '../_base_/schedules/gan_iter.py',
]
model = dict(
    type='GANInpaintor',
    generator=dict(type='GlobalLocalGenerator', base_channels=64),
    discriminator=dict(type='GlobalLocalDiscriminator', image_size=256, local_size=128,
                       base_channels=64, fc_channels=1024),
    losses=[
        dict(type='MSELoss', hole_weight=1.0, valid_weight=0.0),
        dict(type='NonSaturatingGANLoss', loss_weight=0.0004),          # alpha
    ],
    phase_iters=dict(generator=90000, discriminator=10000),
)
# one box of 128x128 at a random place, each side pulled in by up to 16 px: sides in
# [96, 128] at 256x256; short sides scaled into [256, 384]; no flips
hole = dict(type='RandomBox', max_shape=0.5, max_delta=0.125)
train_dataloader = dict(batch_size=96, dataset=dict(
    mask=hole, flip=False,
    resize=dict(type='RandomResize', scale=(256, 256), ratio_range=(1.0, 1.5), keep_ratio=True)))
val_dataloader = dict(batch_size=16, dataset=dict(mask=hole))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=500000, val_interval=10000)
optim_wrapper = dict(
    generator=dict(optimizer=dict(type='Adadelta', lr=1.0, _delete_=True)),
    discriminator=dict(optimizer=dict(type='Adadelta', lr=1.0, _delete_=True)),
)
default_hooks = dict(checkpoint=dict(interval=10000))
