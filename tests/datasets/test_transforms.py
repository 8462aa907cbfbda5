"""Pipeline transforms: mask generation labels, cropping small images, packing."""
import numpy as np

from toolbox.registry import TRANSFORMS


def test_generate_mask_labels_each_mask_with_the_type_that_drew_it():
    gen = TRANSFORMS.build(dict(type='GenerateMask', generator=dict(type='Mixture'),
                                deterministic=True))
    types = {gen(dict(img=np.zeros((64, 64, 3), np.uint8), sample_idx=i))['mask_type']
             for i in range(40)}
    assert {'ThickStrokes', 'EveryNLines', 'Completion', 'Expand'} <= types
    assert 'Mixture' not in types
    again = gen(dict(img=np.zeros((64, 64, 3), np.uint8), sample_idx=3))
    first = gen(dict(img=np.zeros((64, 64, 3), np.uint8), sample_idx=3))
    assert np.array_equal(again['mask'], first['mask']) and again['mask_type'] == first['mask_type']


def test_random_crop_scales_up_images_smaller_than_the_crop():
    crop = TRANSFORMS.build(dict(type='RandomCrop', size=32))
    out = crop(dict(img=np.full((20, 50, 3), 7, np.uint8)))
    assert out['img'].shape == (32, 32, 3) and (out['img'] == 7).all()


def test_pack_puts_guidance_and_meta_where_the_model_reads_them():
    pack = TRANSFORMS.build(dict(type='PackInpaintingInputs'))
    out = pack(dict(img=np.zeros((8, 8, 3), np.uint8), mask=np.ones((8, 8), np.uint8),
                    sketch=np.full((8, 8), 255, np.uint8), img_path='x.png', mask_type='Thin'))
    assert out['inputs']['gt'].shape == (3, 8, 8) and out['inputs']['sketch'].shape == (1, 8, 8)
    assert out['data_samples'].metainfo == dict(img_path='x.png', mask_type='Thin')
