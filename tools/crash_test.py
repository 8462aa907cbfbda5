#!/usr/bin/env python
"""``toolbox crash-test`` as a script (``python tools/crash_test.py --help``)."""
import sys

from toolbox.commands.crash_test import main

if __name__ == '__main__':
    sys.exit(main())
