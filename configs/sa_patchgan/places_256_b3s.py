# Ablation row B_3s: three-stage progressive training, SN-PatchGAN discriminator.
_base_ = ['./places_256_3s.py']
model = dict(discriminator=dict(_delete_=True, type='SNPatchGANDiscriminator',
                                base_channels=64, num_layers=6))
