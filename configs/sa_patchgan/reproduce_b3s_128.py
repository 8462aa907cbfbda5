# Ablation row B_3s at 128x128: three progressive stages (1/4, 1/2, 1) with the SN-PatchGAN.
_base_ = ['./reproduce_b5s_128.py']
model = dict(scheduler=dict(scales=(0.25, 0.5, 1.0), stage_iters=(3200, 800, 400)))
train_cfg = dict(max_iters=4400)
