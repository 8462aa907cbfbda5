#!/usr/bin/env python
"""``toolbox reproduce`` as a script (``python tools/reproduce.py --help``)."""
import sys

from toolbox.commands.reproduce import main

if __name__ == '__main__':
    sys.exit(main())
