#!/usr/bin/env python
"""``toolbox evaluate`` as a script (``python tools/evaluate.py --help``)."""
import sys

from toolbox.commands.evaluate import main

if __name__ == '__main__':
    sys.exit(main())
