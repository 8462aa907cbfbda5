"""Registries: lookups right after import, and errors that point at the config."""
import pytest

import toolbox
from toolbox.builder import ConfigKeywordError, UnknownComponentError
from toolbox.registry import (DISCRIMINATORS, GENERATORS, KIND_REGISTRIES, LOSSES,
                              MASK_GENERATORS, MODELS, STAGE_SCHEDULERS)


def test_lookups_work_right_after_import():
    assert GENERATORS.get('EncoderDecoderGenerator').__name__ == 'EncoderDecoderGenerator'
    assert 'PatchDiscriminator' in DISCRIMINATORS
    assert 'HingeGANLoss' in LOSSES and 'RandomRectangle' in MASK_GENERATORS
    assert 'StageScheduler' in STAGE_SCHEDULERS
    assert toolbox.GENERATORS is GENERATORS


@pytest.mark.parametrize('kind', sorted(KIND_REGISTRIES))
def test_one_letter_typo_names_the_right_component(kind):
    registry = KIND_REGISTRIES[kind]
    for name in registry.module_dict:
        i = len(name) // 2
        typo = name[:i] + ('x' if name[i] != 'x' else 'y') + name[i + 1:]   # one wrong letter
        with pytest.raises(UnknownComponentError) as info:
            registry.build(dict(type=typo))
        assert repr(name) in str(info.value), str(info.value)
        assert registry.kind in str(info.value)
        typo = name[:3] + name[4:]                      # drop one letter
        with pytest.raises(KeyError) as info:
            registry.get(typo)
        assert name in info.value.suggestions


def test_name_registered_under_another_kind_is_pointed_out():
    with pytest.raises(UnknownComponentError) as info:
        GENERATORS.build(dict(type='PatchDiscriminator'))
    msg = str(info.value)
    assert "'PatchDiscriminator' is registered as a discriminator" in msg
    assert 'not as a generator' in msg


def test_wrong_keyword_names_component_and_config_path():
    cfg = dict(type='GANInpaintor',
               generator=dict(type='EncoderDecoderGenerator', base_chanels=8),
               losses=[dict(type='L1Loss')])
    from toolbox.builder import config_path
    with config_path('model'), pytest.raises(ConfigKeywordError) as info:
        MODELS.build(cfg)
    msg = str(info.value)
    assert "'EncoderDecoderGenerator'" in msg and 'model.generator' in msg
    assert "unexpected key 'base_chanels'" in msg and "did you mean 'base_channels'" in msg


def test_unknown_type_deep_in_a_list_names_its_path():
    cfg = dict(type='GANInpaintor', generator=dict(type='EncoderDecoderGenerator'),
               losses=[dict(type='L1Loss'), dict(type='HingeGANLos')])
    with pytest.raises(UnknownComponentError) as info:
        MODELS.build(cfg)
    assert 'losses[1]' in str(info.value) and "'HingeGANLoss'" in str(info.value)


def test_missing_required_keyword_is_named():
    with pytest.raises(ConfigKeywordError, match="missing required key.*'scales'"):
        STAGE_SCHEDULERS.build(dict(type='StageScheduler', stage_iters=[1]))


def test_plugin_provenance_is_recorded():
    from toolbox.plugins import component_origin
    origin = component_origin('generators', 'EncoderDecoderGenerator')
    assert origin.name == 'basic' and origin.distribution == 'inpainting-toolbox'
    assert component_origin('models', 'GANInpaintor').name == 'toolbox'
