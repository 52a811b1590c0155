"""``python -m keras2pb``: the command line."""

import sys

from .cli import main

sys.exit(main())
