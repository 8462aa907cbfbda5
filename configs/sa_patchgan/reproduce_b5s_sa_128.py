# Reproduction of the flagship's ablation at a CPU-sized scale: B_5s+SA (five progressive
# DeepFill v2 stages at 1/4, sqrt(2)/4, 1/2, sqrt(2)/2 and 1 of 128x128, the semantic-aware
# PatchGAN) on real photos materialised by tools/reproduce.py. tools/reproduce.py sets
# the iterations of each stage from its compute budget (equal generator FLOPs per row);
# the values below are what its cpu-60min budget gives. Only size, width, batch,
# iterations, learning rate and the semantic network differ from configs/sa_patchgan_5s.py.
#   python tools/reproduce.py sa_patchgan --budget cpu-60min
_base_ = ['./places_256.py']
model = dict(
    generator=dict(cnum=16),
    scheduler=dict(stage_iters=(1600, 711, 400, 212, 400)),      # stages at 32/48/64/88/128
    # C: no pretrained weights can be had offline, so a random-weight ResNet-18 (honestly
    # labelled in the results); give pretrained=True with semantic_weights= to use real ones.
    discriminator=dict(semantic_model='resnet18', pretrained=False, base_channels=32,
                       num_layers=5, embed_dim=128),
    warm_start=True,
    losses=[
        # DeepFill v2's losses: L1 on the coarse and final outputs (holes weighted up, as
        # only they reach the composited result) and the hinge GAN loss.
        dict(type='L1Loss', outputs=('coarse', 'output'), hole_weight=5.0, valid_weight=1.0),
        dict(type='HingeGANLoss', loss_weight=0.05),
    ],
)
# Photos scaled to 50-100% of 256 pixels, 128x128 crops.
train_dataloader = dict(batch_size=4, num_workers=1, dataset=dict(
    data_root='data/reproduce/photos/train', crop_size=128,
    resize=dict(type='RandomResize', scale=(256, 256), ratio_range=(0.5, 1.0), keep_ratio=True)))
val_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False, dataset=dict(
    data_root='data/reproduce/photos/val_crops', crop_size=128))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=3323, val_interval=1000000)   # validation: tools/reproduce.py's table
optim_wrapper = dict(generator=dict(optimizer=dict(lr=4e-4)),
                     discriminator=dict(optimizer=dict(lr=4e-4)))
default_hooks = dict(logger=dict(interval=100), checkpoint=dict(interval=1000000, max_keep_ckpts=1))
custom_hooks = [
    dict(type='ProgressiveStageHook', full_size=(128, 128)),
    dict(type='InpaintingVisualizationHook', interval=500),
]
