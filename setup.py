"""Only the package list lives here; everything else is in setup.cfg.

The built-in plugins are the folder ``plugins/``, installed as the package
``toolbox_plugins`` (``package_dir`` in setup.cfg). setuptools' ``find:`` in setup.cfg
looks for packages by folder name, so it would call them ``plugins.*`` (or miss them);
here the subpackages of ``plugins/`` are found and given their installed names, so a new
plugin folder needs no line in any file but its entry point. ``configs/`` is installed the
same way, as ``toolbox_configs``, so that an installed package runs its own configs. The
same list serves
``pip install .`` (wheel) and ``pip install -e .`` (editable).
"""
from setuptools import find_namespace_packages, find_packages, setup

setup(packages=[
    *find_packages(include=['toolbox', 'toolbox.*']),
    'toolbox_plugins',
    *(f'toolbox_plugins.{name}' for name in find_packages('plugins')),
    # configs/ ships as ``toolbox_configs`` (package data read by toolbox.config_names, never
    # imported); its folders hold no __init__.py, so they are found as namespace packages
    'toolbox_configs',
    *(f'toolbox_configs.{name}' for name in find_namespace_packages('configs')),
])
