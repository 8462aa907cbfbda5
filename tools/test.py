#!/usr/bin/env python
"""``toolbox test`` as a script (``python tools/test.py --help``)."""
import sys

from toolbox.commands.test import main

if __name__ == '__main__':
    sys.exit(main())
