# Ablation row B: the DeepFill v2 backbone alone, one stage at full size, with DeepFill's
# SN-PatchGAN discriminator (no semantic awareness).
_base_ = ['./places_256.py']
model = dict(
    scheduler=dict(scales=(1.0,), stage_iters=(500000,)),
    discriminator=dict(_delete_=True, type='SNPatchGANDiscriminator', base_channels=64,
                       num_layers=6),
)
