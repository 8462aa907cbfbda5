# The official LBAM release (Vious/LBAM_Pytorch, its Paris StreetView model): the
# generator as released, without batch norm, fed the black holes of the official test.py
# (hole_offset=-1), with the official bounds on the attention parameters (clamp='values':
# the same outputs as its in-place clamping). Convert the released weights with
#   python tools/convert_weights.py official-lbam LBAM_xxx.pth converted.pth --no-discriminator
# (the release holds the generator only; the config's discriminator stays freshly initialised)
# and inpaint with this config. Training from here uses the paper config's settings.
_base_ = ['./paris_256.py']
model = dict(
    generator=dict(batch_norm=False, reverse_init='released', clamp='values',
                   hole_offset=-1.0),
)
