"""The method table of docs/methods.md is generated from the plugins' metadata, and stale
tables are caught (``python -m toolbox.docs_tables`` regenerates it)."""
import importlib.metadata as md
import os.path as osp
import re
import shutil

from toolbox import docs_tables
from toolbox.plugins import loaded_plugins, plugin_manager

from .utils import REPO


def test_the_method_table_in_the_docs_is_current():
    text = open(docs_tables.METHODS_PAGE, encoding='utf-8').read()
    shown = text.split(docs_tables.BEGIN)[1].split(docs_tables.END)[0].strip()
    assert shown == docs_tables.method_table().strip(), \
        'docs/methods.md is not current: run python -m toolbox.docs_tables'


def test_a_stale_table_is_reported_and_rewritten(tmp_path):
    page = tmp_path / 'methods.md'
    shutil.copy(docs_tables.METHODS_PAGE, page)
    assert docs_tables.main(['--check', '--path', str(page)]) == 0
    # stale inside the table only: the prose around it is the page's own
    head, rest = page.read_text().split(docs_tables.BEGIN)
    table, tail = rest.split(docs_tables.END)
    page.write_text(head + docs_tables.BEGIN + table.replace('ICCV 2019', 'ICCV 2018')
                    + docs_tables.END + tail)
    assert docs_tables.main(['--check', '--path', str(page)]) == 1
    assert 'ICCV 2018' in page.read_text()                 # --check writes nothing
    assert docs_tables.main(['--path', str(page)]) == 0
    assert page.read_text() == open(docs_tables.METHODS_PAGE, encoding='utf-8').read()
    page.write_text('# Methods\n')                         # no markers: one line, status 2
    assert docs_tables.main(['--check', '--path', str(page)]) == 2


def test_every_built_in_plugin_describes_its_methods():
    entry_points = [ep for ep in md.entry_points(group='toolbox.plugins')
                    if ep.dist is not None and ep.dist.metadata['Name'] == 'inpainting-toolbox']
    assert len(entry_points) >= 16
    pm = plugin_manager()
    described = set()
    for ep in entry_points:
        module = pm.get_plugin(ep.name)
        assert module is not None and loaded_plugins()[ep.name].module == ep.value
        impls = [i for i in pm.hook.toolbox_methods.get_hookimpls() if i.plugin is module]
        assert len(impls) == 1, f'plugin {ep.name} does not implement toolbox_methods'
        for method in impls[0].function():
            assert method['plugin'] == ep.name, method
            assert method['configs'] in (None, ep.name), method   # configs/<plugin folder>/
            assert method['official_code'] is None or re.fullmatch(
                r'[\w.-]+/[\w.-]+', method['official_code']), method
            assert (method['paper'] is None) == (method['venue'] is None), method
            assert method['venue'] is None or re.search(r'\b(19|20)\d\d\b', method['venue'])
            assert osp.isfile(osp.join(REPO, 'plugins', ep.name, 'README.md'))
            described.add(method['name'])
    assert {'DeepFill v2', 'LaMa', 'SA-PatchGAN (progressive)', 'RePaint'} <= described
    assert [m['name'] for m in docs_tables.builtin_methods()] == sorted(described, key=str.lower)


def test_the_model_zoo_table_is_current_and_generated_from_the_entries(tmp_path):
    text = open(docs_tables.ZOO_PAGE, encoding='utf-8').read()
    shown = text.split(docs_tables.ZOO_BEGIN)[1].split(docs_tables.ZOO_END)[0].strip()
    assert shown == docs_tables.zoo_table().strip(), \
        'docs/model-zoo.md is not current: run python -m toolbox.docs_tables'
    from toolbox.zoo import zoo_entries
    for name, entry in zoo_entries().items():      # one row each, with its one command
        assert f'toolbox download {name}' in shown and entry['config'] in shown
    page = tmp_path / 'model-zoo.md'
    page.write_text(text.replace('sha256 `10d15793…`', 'sha256 `00000000…`'))
    assert docs_tables.main(['--check', '--zoo-path', str(page)]) == 1
    assert docs_tables.main(['--zoo-path', str(page)]) == 0
    assert page.read_text() == text
