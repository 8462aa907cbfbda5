# Progressive SA-PatchGAN (Cai et al., "Image Multi-Inpainting via Progressive Generative
# Adversarial Networks", NTIRE 2022): five DeepFill v2 backbones at 1/4, sqrt(2)/4, 1/2,
# sqrt(2)/2 and 1 of the image size, trained one after another with the earlier stages
# frozen, judged by the semantic-aware PatchGAN conditioned on a frozen pretrained network.
model = dict(
    type='ProgressiveInpaintor',
    generator=dict(type='DeepFillv2Generator', cnum=48),
    scheduler=dict(
        type='StageScheduler',
        scales=(0.25, 2 ** 0.5 / 4, 0.5, 2 ** 0.5 / 2, 1.0),
        # The paper does not state the iterations per stage; later stages, which see more
        # pixels and start from a good low-resolution result, get more.
        stage_iters=(50000, 50000, 100000, 100000, 200000),
        size_multiple=8,        # DeepFill v2 needs sizes divisible by 8: 64/88/128/184/256
    ),
    discriminator=dict(
        type='SAPatchGANDiscriminator',
        semantic_model='resnet50',      # C: any timm model; pooled features
        pretrained=True,                # from timm's cache or semantic_weights=PATH
        semantic_weights=None,
        base_channels=64, num_layers=6, embed_dim=256,
    ),
    share_weights=False,                # each stage has its own backbone, as in the paper
    losses=[
        dict(type='L1Loss', outputs=('coarse', 'output')),
        dict(type='HingeGANLoss', loss_weight=0.1),
    ],
)
