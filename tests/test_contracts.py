"""Every registered component of every kind honours its contract (toolbox.testing).

A new plugin is tested by registering it: these parameters are read from the registries.
"""
import pytest

from toolbox import testing
from toolbox.kinds import KINDS
from toolbox.registry import LOSSES

pytestmark = pytest.mark.filterwarnings('ignore::UserWarning')


# every registered component of every kind (toolbox.kinds.KINDS), by its kind's check
@pytest.mark.parametrize('key, name', [(k.key, name) for k in KINDS
                                       for name in testing.components(k.key)])
def test_component_contract(key, name):
    testing.check_kind(key, name)


def test_every_kind_has_components():
    for kind in KINDS:
        assert testing.components(kind.key), kind.key
        assert callable(getattr(testing, kind.check)), kind.check
    assert 'L1Loss' in LOSSES


@pytest.mark.parametrize('name', testing.models())
def test_model_contract(name):
    testing.check_model(name)


@pytest.mark.parametrize('name', testing.components('generators'))
def test_progressive_stages_build_on_each_other(name):
    testing.check_progressive(name)
