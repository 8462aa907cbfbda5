"""The tools behind ``toolbox COMMAND``: one module per command with ``main(argv) -> int``
(``toolbox.cli.COMMANDS`` maps the command names to the modules)."""
