# PRVS as the official code runs (jingyuanli001/PRVS-Image-Inpainting 1a9322c), for its
# weights (tools/convert: format 'official-prvs'): no activation after the second-to-last
# layer (the official dec_2 asks for 'leaky', its VSR layer only knows 'Leaky'), and VGG-16
# fed plain [0, 1] images as the official loss does. Everything else as paris_256.py.
_base_ = ['./paris_256.py']
model = dict(
    generator=dict(dec2_activation='none'),
    losses=[
        dict(type='PRVSImageLoss', vgg_weights=None, vgg_input='unit'),
        dict(type='PRVSEdgeGANLoss', loss_weight=0.1),
    ],
)
