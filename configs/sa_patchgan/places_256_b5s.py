# Ablation row B_5s: five-stage progressive training, SN-PatchGAN discriminator.
# B_5s+SA, the full model, is configs/sa_patchgan_5s.py.
_base_ = ['./places_256.py']
model = dict(discriminator=dict(_delete_=True, type='SNPatchGANDiscriminator',
                                base_channels=64, num_layers=6))
