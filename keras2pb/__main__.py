"""``python -m keras2pb``: the command line."""

import os
import sys

# `python -m` puts the working folder first on sys.path, so a keras.py or tensorflow.py beside a
# downloaded model would be imported instead of the real one (the console script has no such
# entry). Drop it before anything else is imported; keras2pb itself is imported already, and
# --custom-objects adds the folder back, on purpose, only while it imports the user's module.
if not sys.flags.safe_path and sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from .cli import main  # noqa: E402

sys.exit(main())
