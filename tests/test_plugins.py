"""Plugin loading: a real third-party distribution, a broken one, conflicts, hook checks."""
from __future__ import annotations

import json
import os.path as osp
import subprocess
import sys
import textwrap
import types
import warnings

import pytest

from toolbox import BaseGenerator, hookimpl
from toolbox.plugins import PluginConflictError, PluginInfo, PluginWarning, register_plugin
from toolbox.registry import GENERATORS, LOSSES

from .utils import REPO, run_python

FIXTURES = osp.join(osp.dirname(__file__), 'fixtures')


@pytest.fixture(scope='module')
def plugin_site(tmp_path_factory) -> str:
    """The example and the broken plugin pip-installed into one target directory."""
    target = str(tmp_path_factory.mktemp('site'))
    for project in ('example_plugin', 'broken_plugin'):
        subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet', '--no-deps',
                        '--no-build-isolation', '--no-index', '--target', target,
                        osp.join(FIXTURES, project)], check=True, capture_output=True)
    return target


PROBE = textwrap.dedent('''
    import io, json, sys, warnings, contextlib
    warnings.simplefilter('always')
    with warnings.catch_warnings(record=True) as caught:
        from toolbox.registry import GENERATORS, MASK_GENERATORS
        from toolbox.plugins import component_origin
        names = {'generators': sorted(GENERATORS.module_dict),
                 'masks': sorted(MASK_GENERATORS.module_dict)}
    origin = component_origin('generators', 'TinyGenerator')
    out = io.StringIO()
    from toolbox.cli import main
    with contextlib.redirect_stdout(out):
        main(['list'])
    print(json.dumps(dict(names=names, warnings=[str(w.message) for w in caught],
                          origin=origin and [origin.name, origin.distribution, origin.version],
                          listing=out.getvalue())))
''')


def _probe(site: str, **env) -> dict:
    result = run_python(['-c', PROBE], env=dict(PYTHONPATH=site, **env))
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_third_party_and_broken_plugins(plugin_site):
    found = _probe(plugin_site)
    assert 'TinyGenerator' in found['names']['generators']
    assert 'StripeMask' in found['names']['masks']
    assert 'EncoderDecoderGenerator' in found['names']['generators']   # built-ins still load
    assert found['origin'] == ['example', 'toolbox-example-plugin', '0.3.0']
    listing = found['listing'].splitlines()
    assert any('TinyGenerator' in l and 'example (toolbox-example-plugin 0.3.0)' in l
               for l in listing)
    assert any('StripeMask' in l and 'mask_generators' in l for l in listing)
    broken = [w for w in found['warnings'] if "'broken'" in w]
    assert len(broken) == 1, found['warnings']
    assert 'toolbox-broken-plugin 1.0.0' in broken[0]
    assert 'not_installed_anywhere' in broken[0]          # the cause
    misspelled = [w for w in found['warnings'] if 'toolbox_discriminator' in w]
    assert misspelled and "did you mean 'toolbox_discriminators'" in misspelled[0]


@pytest.mark.slow
def test_block_list_and_disabled_autoload(plugin_site):
    blocked = _probe(plugin_site, TOOLBOX_BLOCK_PLUGINS='broken,example')
    assert 'TinyGenerator' not in blocked['names']['generators']
    assert not any("'broken'" in w for w in blocked['warnings'])
    assert 'EncoderDecoderGenerator' in blocked['names']['generators']
    off = _probe(plugin_site, TOOLBOX_DISABLE_PLUGIN_AUTOLOAD='1',
                 TOOLBOX_PLUGINS='toolbox_example_plugin')
    assert 'TinyGenerator' in off['names']['generators']        # named explicitly
    assert 'EncoderDecoderGenerator' not in off['names']['generators']


@pytest.mark.slow
def test_train_one_iteration_with_third_party_components(plugin_site, demo_root, tmp_path):
    cfg = tmp_path / 'third_party.py'
    cfg.write_text(textwrap.dedent(f'''
        _base_ = [{osp.join(REPO, 'configs/demo/basic_demo.py')!r}]
        model = dict(type='GANInpaintor', _delete_=True,
                     generator=dict(type='TinyGenerator', width=4),
                     losses=[dict(type='L1Loss')])
        optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                             optimizer=dict(type='Adam', lr=1e-3))
        train_dataloader = dict(dataset=dict(data_root={demo_root!r}, pipeline=[
            dict(type='LoadImage'), dict(type='RandomCrop', size=32),
            dict(type='GenerateMask', generator=dict(type='StripeMask')),
            dict(type='PackInpaintingInputs')]))
        train_cfg = dict(max_iters=1, val_interval=1000)
        val_dataloader = None
        val_cfg = None
        val_evaluator = None
    '''))
    result = run_python([osp.join(REPO, 'tools/train.py'), str(cfg),
                         '--work-dir', str(tmp_path / 'work')], env=dict(PYTHONPATH=plugin_site))
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / 'work' / 'iter_1.pth').exists()


# -- in-process checks with plugin objects that are not installed -----------------------

class _Gen(BaseGenerator):
    def forward(self, masked_image, mask, **guidance):
        return {'output': masked_image}


def _plugin(**hooks) -> types.ModuleType:
    module = types.ModuleType('fake_plugin')
    for name, fn in hooks.items():
        setattr(module, name, hookimpl(fn))
    return module


def test_two_plugins_registering_one_name_is_an_error_naming_both():
    clash = type('EncoderDecoderGenerator', (_Gen,), {'__module__': 'other_pkg'})
    GENERATORS.module_dict  # load the built-ins first
    module = _plugin(toolbox_generators=lambda: [clash])
    with pytest.raises(PluginConflictError) as info:
        register_plugin(module, PluginInfo('rival', 'rival-dist', '2.0', 'other_pkg'))
    msg = str(info.value)
    assert 'basic (inpainting-toolbox' in msg and 'rival (rival-dist 2.0)' in msg
    assert GENERATORS.get('EncoderDecoderGenerator') is not clash


@pytest.mark.parametrize('hooks, expected', [
    (dict(toolbox_losses=lambda: [_Gen]), 'not a subclass of toolbox.BaseLoss'),
    (dict(toolbox_generators=lambda: ['_Gen']), 'is not a class'),
    (dict(toolbox_generators=lambda: 1 / 0), 'ZeroDivisionError'),
])
def test_a_bad_hook_result_is_one_warning_and_registers_nothing(hooks, expected):
    before = (len(GENERATORS), len(LOSSES))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        register_plugin(_plugin(**hooks), PluginInfo('bad', 'bad-dist', '0.1', 'bad'))
    messages = [str(w.message) for w in caught if issubclass(w.category, PluginWarning)]
    assert len(messages) == 1 and expected in messages[0] and "'bad'" in messages[0]
    assert (len(GENERATORS), len(LOSSES)) == before


def test_the_old_stage_scheduler_hook_still_registers_with_a_deprecation_warning():
    from toolbox import BaseStageScheduler
    from toolbox.registry import STAGE_SCHEDULERS
    old_style = type('OldStyleScheduler', (BaseStageScheduler,), {'__module__': 'old_pkg'})
    STAGE_SCHEDULERS.module_dict  # load the built-ins first
    with pytest.warns(DeprecationWarning, match='toolbox_progressive_schedulers.*'
                                                'toolbox_stage_schedulers'):
        register_plugin(_plugin(toolbox_progressive_schedulers=lambda: [old_style]),
                        PluginInfo('old', 'old-dist', '0.1', 'old_pkg'))
    try:
        assert STAGE_SCHEDULERS.get('OldStyleScheduler') is old_style
    finally:
        STAGE_SCHEDULERS._module_dict.pop('OldStyleScheduler')
