# The official release (amjltc295/Free-Form-Video-Inpainting, the ICCV 2019 model
# "FFVI_3DGatedConv+TPGAN_trained_on_FVI_dataset"): the paper's generator and a T-PatchGAN
# with the official sigmoid and least-squares loss. Convert the released weights with
#   python tools/convert_weights.py official-ffvi <released>.pth converted.pth
# (the spatial discriminator of the official model is dropped) and inpaint with
#   python tools/inpaint.py --config configs/free_form_video/fvi_released.py \
#       --checkpoint converted.pth --video CLIP --mask MASKS --out FRAMES/
_base_ = ['./fvi_320x180.py']
model = dict(
    discriminator=dict(sigmoid=True),
    losses=[
        dict(type='L1Loss', hole_weight=1.0, valid_weight=0.0),
        dict(type='VideoPerceptualLoss', loss_weight=1.0),
        dict(type='VideoStyleLoss', loss_weight=10.0),
        dict(type='TemporalPatchGANLoss', loss_weight=1.0, gan_type='lsgan'),
    ],
)
