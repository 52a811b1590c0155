"""Put this folder on a child's PYTHONPATH to make the child die by a real signal at start-up.

``KERAS2PB_TEST_DIE_WITH=SIGSEGV`` (or ``SIGABRT``) in the child's environment kills it the
moment Python starts, on every machine: the tests of keras2pb.runtime.isolation use it instead of a
graph that happens to crash TensorFlow on one CPU.
"""

import os
import signal

_name = os.environ.get("KERAS2PB_TEST_DIE_WITH")
if _name:
    signal.signal(getattr(signal, _name), signal.SIG_DFL)  # no Python handler: a real death
    os.kill(os.getpid(), getattr(signal, _name))
