# Three-stage progressive SA-PatchGAN (B_3s+SA): 1/4, 1/2 and 1 of the image size.
_base_ = ['./places_256.py']
model = dict(scheduler=dict(scales=(0.25, 0.5, 1.0), stage_iters=(100000, 100000, 300000)))
