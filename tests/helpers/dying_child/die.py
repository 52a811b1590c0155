"""A child that dies by the signal named in argv[1] (e.g. SIGSEGV), after one line on stderr."""

import os
import signal
import sys

print("some C++ stack trace line", file=sys.stderr, flush=True)
signal.signal(getattr(signal, sys.argv[1]), signal.SIG_DFL)
os.kill(os.getpid(), getattr(signal, sys.argv[1]))
