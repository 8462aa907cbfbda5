#!/usr/bin/env python
"""``toolbox download`` as a script (``python tools/download.py --help``)."""
import sys

from toolbox.commands.download import main

if __name__ == '__main__':
    sys.exit(main())
