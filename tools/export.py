#!/usr/bin/env python
"""``toolbox export`` as a script (``python tools/export.py --help``)."""
import sys

from toolbox.commands.export import main

if __name__ == '__main__':
    sys.exit(main())
