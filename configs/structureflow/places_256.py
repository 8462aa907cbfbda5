# StructureFlow (Ren et al., "StructureFlow: Image Inpainting via Structure-aware Appearance
# Flow", ICCV 2019) on Places2 at 256x256, as the official code (RenYurui/StructureFlow,
# config.yaml and src/models.py): images resized to 256x256 (no crop, no flip), a folder
# of irregular mask images (point mask root at e.g. NVIDIA's), batch 8, Adam lr 1e-4,
# betas (0, 0.999) for every network, Xavier-normal initialisation (gain sqrt 2).
# Losses: structure stage 4 L1 + LSGAN; texture stages 5 L1 + LSGAN + 0.25 sampling
# correctness, the joint stage adding 250 style (hole region) + 0.1 perceptual; every
# LSGAN against a two-scale discriminator. Counts: structure reconstructor 36,057,411,
# texture generator 56,473,475, each two-scale discriminator 1,196,544.
# The paper trains in three stages; a stage leaves the other stages' networks as they are,
# so each starts from the previous one's checkpoint:
#   python tools/train.py configs/structureflow/places_256.py --cfg-options model.stage=structure
#   python tools/train.py configs/structureflow/places_256.py --cfg-options model.stage=texture load_from=STAGE1.pth
#   python tools/train.py configs/structureflow/places_256.py --cfg-options load_from=STAGE2.pth
# The structure targets are the RTV smoothing of each ground truth
# (tsmooth(I, 0.015, 3, 0.001, 3)), computed per batch on the CPU: about 5 s per 256x256
# image on one core. The VGG-19 terms need torchvision's vgg19-dcbb9e9d.pth.
# See plugins/structureflow/README.md.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/datasets/image_folder_256.py',
    '../_base_/schedules/gan_iter.py',
]
vgg_weights = None
# tsmooth's parameters; sharpness=0.02 (the MATLAB function's default) reproduces some of
# the official example structure images better, see the README
rtv = dict(lam=0.015, sigma=3.0, sharpness=0.001, iterations=3)
model = dict(
    type='StructureFlowInpaintor',
    generator=dict(type='StructureFlowGenerator',
                   structure=dict(base_channels=64, num_res=4),
                   texture=dict(base_channels=64, num_res=2, kernels=((16, 4.0), (4, 2.0))),
                   rtv=rtv),
    discriminator=dict(type='StructureFlowDiscriminator',
                       structure=dict(base_channels=64, num_layers=3),
                       texture=dict(base_channels=64, num_layers=3)),
    stage='joint',
    weights=dict(structure_l1=4.0, structure_adv=1.0, l1=5.0, adv=1.0, correctness=0.25,
                 style=250.0, perceptual=0.1),
    vgg_weights=vgg_weights,
    rtv=rtv,
)
data_root = 'data/places'
train_mask = dict(type='MaskFiles', root='data/masks/pconv')
train_dataloader = dict(
    batch_size=8,
    dataset=dict(data_root=data_root + '/train', random_crop=False,
                 mask=dict(train_mask, _delete_=True)))
val_dataloader = dict(
    batch_size=8,
    dataset=dict(data_root=data_root + '/val', random_crop=False,
                 mask=dict(train_mask, _delete_=True)))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=8000000, val_interval=10000)
optim_wrapper = dict(
    generator=dict(optimizer=dict(type='Adam', lr=1e-4, betas=(0.0, 0.999))),
    discriminator=dict(optimizer=dict(type='Adam', lr=1e-4, betas=(0.0, 0.999))),
)
default_hooks = dict(checkpoint=dict(interval=10000))
