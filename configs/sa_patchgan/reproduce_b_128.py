# Ablation row B at 128x128: the DeepFill v2 backbone alone, one stage at full size, with
# the SN-PatchGAN.
_base_ = ['./reproduce_b5s_128.py']
model = dict(scheduler=dict(scales=(1.0,), stage_iters=(800,)))
train_cfg = dict(max_iters=800)
