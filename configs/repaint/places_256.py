# RePaint (Lugmayr et al., "RePaint: Inpainting using Denoising Diffusion Probabilistic
# Models", CVPR 2022) at the paper's 256x256 on Places: a DDPM denoiser trained on whole
# images (no masks), then sampled with RePaint's resampling. The settings are those of the
# authors' Places configuration (confs/test_p256_*.yml): 1000 linear-beta training steps
# respaced to t_T = 250, jumps of 10 steps traversed 10 times (2,410 denoiser calls per
# image), a 256-channel UNet with levels (1, 1, 2, 2, 4, 4), two residual blocks per level
# and attention at 32, 16 and 8 pixels, 64 channels per head. What differs: the noise is
# predicted with a fixed variance (the authors' network also learns it) and the residual
# blocks add the timestep embedding (no scale-shift norm); see plugins/repaint/README.md.
#
#   python tools/train.py configs/repaint/places_256.py
#   python tools/inpaint.py --config configs/repaint/places_256.py --checkpoint CKPT \
#       --image I --mask M --out O --seed 0
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/datasets/image_folder_256.py',
]
model = dict(
    type='DiffusionInpaintor',
    denoiser=dict(type='DiffusionUNet', base_channels=256, channel_mults=(1, 1, 2, 2, 4, 4),
                  num_res_blocks=2, attention_levels=(3, 4, 5), num_heads=4, dropout=0.0),
    noise_schedule=dict(type='LinearNoiseSchedule', num_steps=1000, beta_start=1e-4,
                        beta_end=0.02),
    sampler=dict(type='RePaintSampler', t_T=250, jump_length=10, jump_n_sample=10),
    image_size=256,
)
# guided diffusion's training: Adam at 1e-4, no weight decay
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=300000, val_interval=50000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
train_dataloader = dict(batch_size=8)
# validation samples 2,410 denoiser steps per batch: few images
val_dataloader = dict(batch_size=4)
default_hooks = dict(checkpoint=dict(interval=10000))
