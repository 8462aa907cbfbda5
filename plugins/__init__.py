"""The toolbox's built-in plugins, installed as ``toolbox_plugins``.

Each sub-package is found through the ``toolbox.plugins`` entry-point group exactly as a
third-party plugin is; nothing in the engine imports this package.
"""
