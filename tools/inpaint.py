#!/usr/bin/env python
"""``toolbox inpaint`` as a script (``python tools/inpaint.py --help``)."""
import sys

from toolbox.commands.inpaint import main

if __name__ == '__main__':
    sys.exit(main())
