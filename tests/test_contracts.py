"""Every registered component of every kind honours its contract (toolbox.testing).

A new plugin is tested by registering it: these parameters are read from the registries.
"""
import pytest

from toolbox import testing
from toolbox.registry import LOSSES

pytestmark = pytest.mark.filterwarnings('ignore::UserWarning')


@pytest.mark.parametrize('name', testing.components('generators'))
def test_generator_contract(name):
    testing.check_generator(name)


@pytest.mark.parametrize('name', testing.components('discriminators'))
def test_discriminator_contract(name):
    testing.check_discriminator(name)


@pytest.mark.parametrize('name', testing.components('losses'))
def test_loss_contract(name):
    testing.check_loss(name)


@pytest.mark.parametrize('name', testing.components('mask_generators'))
def test_mask_generator_contract(name):
    testing.check_mask_generator(name)


@pytest.mark.parametrize('name', testing.components('progressive_schedulers'))
def test_progressive_scheduler_contract(name):
    testing.check_progressive_scheduler(name)


def test_every_kind_has_components():
    for kind in ('generators', 'discriminators', 'losses', 'mask_generators',
                 'progressive_schedulers'):
        assert testing.components(kind), kind
    assert 'L1Loss' in LOSSES


@pytest.mark.parametrize('name', testing.models())
def test_model_contract(name):
    testing.check_model(name)


@pytest.mark.parametrize('name', testing.components('generators'))
def test_progressive_stages_build_on_each_other(name):
    testing.check_progressive(name)
