"""Only the package list lives here; everything else is in setup.cfg.

The built-in plugins are the folder ``plugins/``, installed as the package
``toolbox_plugins`` (``package_dir`` in setup.cfg). setuptools' ``find:`` in setup.cfg
looks for packages by folder name, so it would call them ``plugins.*`` (or miss them);
here the subpackages of ``plugins/`` are found and given their installed names, so a new
plugin folder needs no line in any file but its entry point. The same list serves
``pip install .`` (wheel) and ``pip install -e .`` (editable).
"""
from setuptools import find_packages, setup

setup(packages=[
    *find_packages(include=['toolbox', 'toolbox.*']),
    'toolbox_plugins',
    *(f'toolbox_plugins.{name}' for name in find_packages('plugins')),
])
