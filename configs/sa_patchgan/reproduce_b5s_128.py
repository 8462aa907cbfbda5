# Ablation row B_5s at 128x128: five progressive stages with DeepFill's SN-PatchGAN
# discriminator instead of the semantic-aware one. See sa_patchgan_b5s_sa_128.py.
_base_ = ['./reproduce_b5s_sa_128.py']
model = dict(discriminator=dict(_delete_=True, type='SNPatchGANDiscriminator',
                                base_channels=32, num_layers=5))
