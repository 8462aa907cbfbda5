"""Plugin loading: a real third-party distribution, a broken one, conflicts, isolation."""
from __future__ import annotations

import json
import os.path as osp
import subprocess
import sys
import textwrap
import itertools
import warnings

import pytest

from toolbox.plugins import PluginConflictError, PluginInfo, PluginWarning, load_plugin
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
        from toolbox.plugins import component_origin, config_dirs, methods
        names = {'generators': sorted(GENERATORS.module_dict),
                 'masks': sorted(MASK_GENERATORS.module_dict)}
    origin = component_origin('generators', 'TinyGenerator')
    extras = dict(methods=[m['name'] for m in methods()], config_dirs=config_dirs())
    out = io.StringIO()
    from toolbox.cli import main
    with contextlib.redirect_stdout(out):
        main(['list'])
    print(json.dumps(dict(names=names, warnings=[str(w.message) for w in caught],
                          origin=origin and [origin.name, origin.distribution, origin.version],
                          listing=out.getvalue(), **extras)))
''')


def _probe(site: str, **env) -> dict:
    result = run_python(['-c', PROBE], env=dict(PYTHONPATH=site, **env))
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope='module')
def default_probe(plugin_site) -> dict:
    return _probe(plugin_site)


@pytest.mark.slow
def test_third_party_and_broken_plugins(default_probe):
    found = default_probe
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
    misspelled = [w for w in found['warnings'] if "'toolbox_method'" in w]
    assert len(misspelled) == 1 and "did you mean 'toolbox_methods'" in misspelled[0]
    assert "'example'" in misspelled[0]


def test_extension_points_reach_a_third_party_plugin(default_probe):
    found = default_probe
    assert 'Tiny' in found['methods'] and 'DeepFill v2' in found['methods']
    shipped = [d for d in found['config_dirs'] if 'toolbox_example_plugin' in d]
    assert len(shipped) == 1 and osp.isfile(osp.join(shipped[0], 'tiny.py'))


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
        _base_ = [{osp.join(REPO, 'configs/basic/demo.py')!r}]
        model = dict(type='GANInpaintor', _delete_=True,
                     generator=dict(type='TinyGenerator', width=4),
                     losses=[dict(type='L1Loss')])
        optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                             optimizer=dict(type='Adam', lr=1e-3))
        train_dataloader = dict(dataset=dict(data_root={demo_root!r}, crop_size=32,
                                             mask=dict(_delete_=True, type='StripeMask')))
        train_cfg = dict(max_iters=1, val_interval=1000)
        val_dataloader = None
        val_cfg = None
        val_evaluator = None
    '''))
    result = run_python([osp.join(REPO, 'tools/train.py'), str(cfg),
                         '--work-dir', str(tmp_path / 'work')], env=dict(PYTHONPATH=plugin_site))
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / 'work' / 'iter_1.pth').exists()


# -- in-process checks with plugin modules that are not installed -------------------------

_serial = itertools.count()


@pytest.fixture
def write_plugin(tmp_path, monkeypatch):
    """Write a plugin module into a folder on sys.path; return its (unique) module name.
    Whatever a test's plugin registered is removed from the registries afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    GENERATORS.module_dict  # the built-in plugins first
    before = {id(r): dict(r._module_dict) for r in (GENERATORS, LOSSES)}

    def write(source: str) -> str:
        name = f'fake_plugin_{next(_serial)}'
        (tmp_path / f'{name}.py').write_text(textwrap.dedent(source))
        return name

    yield write
    for registry in (GENERATORS, LOSSES):
        registry._module_dict.clear()
        registry._module_dict.update(before[id(registry)])


_GEN = """
    from toolbox import BaseGenerator, GENERATORS, LOSSES

    class _Gen(BaseGenerator):
        def forward(self, masked_image, mask, **guidance):
            return {'output': masked_image}
"""


def test_two_plugins_registering_one_name_is_an_error_naming_both(write_plugin):
    builtin = GENERATORS.get('EncoderDecoderGenerator')
    module = write_plugin(_GEN + """
    @GENERATORS.register_module()
    class RivalOnlyGenerator(_Gen):     # registered before the clash: must not stay
        pass

    @GENERATORS.register_module()
    class EncoderDecoderGenerator(_Gen):
        pass
    """)
    with pytest.raises(PluginConflictError) as info:
        load_plugin(module, PluginInfo('rival', 'rival-dist', '2.0', module))
    msg = str(info.value)
    assert 'basic (inpainting-toolbox' in msg and 'rival (rival-dist 2.0)' in msg
    assert "generator 'EncoderDecoderGenerator'" in msg
    assert GENERATORS.get('EncoderDecoderGenerator') is builtin
    assert 'RivalOnlyGenerator' not in GENERATORS


def test_taking_a_name_with_force_is_a_conflict_too(write_plugin):
    builtin = GENERATORS.get('EncoderDecoderGenerator')
    module = write_plugin(_GEN + """
    @GENERATORS.register_module(force=True)
    class EncoderDecoderGenerator(_Gen):
        pass
    """)
    with pytest.raises(PluginConflictError, match='basic .*rival'):
        load_plugin(module, PluginInfo('rival', 'rival-dist', '2.0', module))
    assert GENERATORS.get('EncoderDecoderGenerator') is builtin


@pytest.mark.parametrize('body, expected', [
    ("""
    @LOSSES.register_module()
    class NotALoss(_Gen):
        pass
    """, 'not a subclass of toolbox.BaseLoss'),
    ("""
    def not_a_class(*args):
        return None
    GENERATORS.register_module(name='NotAClass', module=not_a_class)
    """, 'which is not a class'),
    ("""
    @GENERATORS.register_module()
    class HalfwayGenerator(_Gen):
        pass

    1 / 0
    """, 'ZeroDivisionError'),
    ("""
    from toolbox import hookimpl

    @GENERATORS.register_module()
    class HookedGenerator(_Gen):
        pass

    @hookimpl
    def toolbox_methods(parser):    # the hook takes no argument
        return []
    """, 'could not be registered with the plugin manager'),
])
def test_a_bad_plugin_is_one_warning_and_registers_nothing(write_plugin, body, expected):
    before = (sorted(GENERATORS.module_dict), sorted(LOSSES.module_dict))
    module = write_plugin(_GEN + body)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        assert load_plugin(module, PluginInfo('bad', 'bad-dist', '0.1', module)) is None
    messages = [str(w.message) for w in caught if issubclass(w.category, PluginWarning)]
    assert len(messages) == 1 and expected in messages[0], messages
    assert "'bad'" in messages[0] and 'bad-dist 0.1' in messages[0]
    assert (sorted(GENERATORS.module_dict), sorted(LOSSES.module_dict)) == before


def test_a_plugin_records_what_it_registered(write_plugin):
    from toolbox.plugins import component_origin, loaded_plugins
    module = write_plugin(_GEN + """
    @GENERATORS.register_module()
    class RecordedGenerator(_Gen):
        pass
    """)
    info = PluginInfo('recorded', 'recorded-dist', '1.0', module)
    assert load_plugin(module, info) is not None
    assert component_origin('generators', 'RecordedGenerator') == info
    assert loaded_plugins()['recorded'] == info
    assert component_origin('generators', 'EncoderDecoderGenerator').name == 'basic'


def test_an_old_style_component_hook_is_reported_with_the_decorator_to_use(write_plugin):
    module = write_plugin("""
    from toolbox import hookimpl

    @hookimpl
    def toolbox_generators():
        return []
    """)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        assert load_plugin(module, PluginInfo('old', 'old-dist', '0.1', module)) is not None
    messages = [str(w.message) for w in caught if issubclass(w.category, PluginWarning)]
    assert len(messages) == 1 and "'toolbox_generators', which is not a toolbox hook" in \
        messages[0] and '@GENERATORS.register_module()' in messages[0], messages


def test_method_metadata_with_wrong_keys_is_an_error_naming_the_plugin(write_plugin):
    from toolbox.plugins import methods, plugin_manager
    module = write_plugin("""
    from toolbox import hookimpl

    @hookimpl
    def toolbox_methods():
        return [dict(name='Sloppy', paper=None, plugin='sloppy')]
    """)
    plugin = load_plugin(module, PluginInfo('sloppy', 'sloppy-dist', '0.1', module))
    try:
        with pytest.raises(ValueError, match="plugin 'sloppy' returned 'Sloppy'.*official_code"):
            methods()
    finally:
        plugin_manager().unregister(plugin)
    assert 'DeepFill v2' in [m['name'] for m in methods()]


LAZY = textwrap.dedent('''
    import sys, threading, time
    import toolbox
    from toolbox.registry import GENERATORS, LOSSES
    assert not [m for m in sys.modules if m.startswith('toolbox_plugins')], 'loaded on import'
    assert 'toolbox.models' not in sys.modules, 'the engine models loaded on import'
    seen = []
    def look():
        seen.append((len(GENERATORS), len(LOSSES)))
    threads = [threading.Thread(target=look) for _ in range(4)]
    for t in threads:
        t.start()
        time.sleep(0.05)     # the first thread is loading when the others look
    for t in threads:
        t.join()
    assert 'toolbox_plugins.basic' in sys.modules and 'toolbox.models' in sys.modules
    assert len(set(seen)) == 1 and seen[0][0] > 10, seen
    print('ok')
''')


def test_plugins_load_on_the_first_lookup_and_other_threads_wait_for_them():
    result = run_python(['-c', LAZY])
    assert result.returncode == 0 and result.stdout.strip() == 'ok', result.stderr[-3000:]
