"""Running the risky step (TensorFlow importing and running an untrusted graph) in a child.

TensorFlow validates less than it executes: a damaged graph whose shapes do not fit can crash
the whole process with a segmentation fault while it runs. The CLI's ``predict`` and
``verify`` therefore run in a child process; a child killed by a signal becomes one line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence

from .errors import Keras2pbError

#: Set in the child's environment so that it runs the command itself.
CHILD_ENV = "KERAS2PB_ISOLATED_CHILD"


def in_child() -> bool:
    """True inside the child process that ``run_isolated`` started."""
    return os.environ.get(CHILD_ENV) == "1"


def signal_name(returncode: int) -> str:
    """``"SIGSEGV"`` for a child's return code of -11 (killed by that signal)."""
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def _crashed(returncode: int, graph: str | os.PathLike) -> Keras2pbError:
    return Keras2pbError(
        f"TensorFlow crashed ({signal_name(returncode)}) while importing or running this "
        "graph: the inputs do not fit it (check their shapes against `keras2pb inspect`), or "
        "the file is damaged or hostile", graph)


def run_isolated(argv: Sequence[str], graph: str) -> int:
    """Run ``keras2pb *argv`` in a child process; return its exit code.

    The child's stdout passes straight through. Of its stderr only keras2pb's own lines are
    relayed (all of it with ``--debug``): a dying TensorFlow prints a C++ stack trace there.
    If TensorFlow kills the child (a signal such as SIGSEGV or SIGABRT), raise Keras2pbError
    naming ``graph``.
    """
    env = dict(os.environ, **{CHILD_ENV: "1"})
    proc = subprocess.run([sys.executable, "-m", "keras2pb", *argv], env=env, check=False,
                          stderr=subprocess.PIPE, text=True, errors="replace")
    debug = "--debug" in argv
    for line in proc.stderr.splitlines():
        if debug or line.startswith("keras2pb:"):
            print(line, file=sys.stderr)
    if proc.returncode < 0:
        raise _crashed(proc.returncode, graph)
    return proc.returncode


def probe_graph(path: str | os.PathLike, allow_unsafe_ops: bool = False) -> None:
    """Load ``path`` and run it once on zeros in a child process.

    Use before ``load`` for a graph from elsewhere: a graph that crashes TensorFlow then
    raises Keras2pbError here instead of killing the caller. Raises Keras2pbError with the
    child's message when the graph is refused, or naming the signal when TensorFlow crashed.
    """
    code = f"""
import sys
from keras2pb import Keras2pbError, load
from keras2pb.loading import zero_feeds
try:
    with load({os.fspath(path)!r}, allow_unsafe_ops={allow_unsafe_ops!r}) as g:
        g(zero_feeds(g))
except Keras2pbError as exc:
    print(exc, file=sys.stderr)
    sys.exit(1)
"""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=False)
    if proc.returncode < 0:
        raise _crashed(proc.returncode, path)
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        raise Keras2pbError(lines[-1] if lines else f"probe failed (exit {proc.returncode})")
