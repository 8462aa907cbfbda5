#!/usr/bin/env python
"""``toolbox browse-masks`` as a script (``python tools/browse_masks.py --help``)."""
import sys

from toolbox.commands.browse_masks import main

if __name__ == '__main__':
    sys.exit(main())
