#!/usr/bin/env python
"""``toolbox make-mask-set`` as a script (``python tools/make_mask_set.py --help``)."""
import sys

from toolbox.commands.make_mask_set import main

if __name__ == '__main__':
    sys.exit(main())
