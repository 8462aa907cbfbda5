#!/usr/bin/env python
"""``toolbox convert`` as a script (``python tools/convert_weights.py --help``)."""
import sys

from toolbox.commands.convert import main

if __name__ == '__main__':
    sys.exit(main())
