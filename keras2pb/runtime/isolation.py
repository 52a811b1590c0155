"""Running a risky step (TensorFlow or OpenCV on an untrusted graph) in a child process.

TensorFlow and OpenCV validate less than they execute: a damaged graph, or inputs that do
not fit it, can kill the whole process with a signal (SIGSEGV, SIGABRT) on some CPUs and
builds. ``run_child`` is the one way keras2pb starts such a child: a child killed by a signal,
or one that hangs, becomes a one-line Keras2pbError naming the file. The CLI's ``predict`` and
``verify``, ``load(..., isolate=True)`` (through ``loading.probe_graph``) and ``run_opencv``
use it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import Keras2pbError

#: Set in the child's environment so that the CLI runs the command itself.
CHILD_ENV = "KERAS2PB_ISOLATED_CHILD"
#: What keras2pb's own stderr lines start with (the only ones relayed from a child).
OWN_PREFIX = "keras2pb:"
#: The folder that holds the ``keras2pb`` package: children import this same copy.
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def in_child() -> bool:
    """True inside the child process that ``run_isolated`` started."""
    return os.environ.get(CHILD_ENV) == "1"


def signal_name(returncode: int) -> str:
    """``"SIGSEGV"`` for a child's return code of -11 (killed by that signal)."""
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def own_lines(stderr: str) -> list[str]:
    """keras2pb's own lines of a child's stderr (TensorFlow's logs and C++ traces dropped)."""
    return [line for line in stderr.splitlines() if line.startswith(OWN_PREFIX)]


def run_child(args: Sequence[str], *, path: str | os.PathLike, crashed: str,
              env: dict[str, str] | None = None, timeout: float | None = None,
              capture_stdout: bool = True, program: str | None = None
              ) -> subprocess.CompletedProcess:
    """Run ``python *args`` (e.g. ``["-m", "keras2pb.runtime.opencv", spec]``) in a child process.

    The child runs this Python and imports this copy of keras2pb; ``program`` runs another
    program instead (``program *args``, e.g. the C client). ``env`` adds variables to the
    environment. stderr is always captured; stdout too unless ``capture_stdout=False``
    (then it passes straight through). Returns the finished process, whatever its exit code.
    Raises Keras2pbError naming ``path``: ``crashed`` with ``{signal}`` filled in (``SIGSEGV``)
    when a signal killed the child, or a time-out message after ``timeout`` seconds.
    """
    full_env = dict(os.environ, **(env or {}))
    paths = [PACKAGE_ROOT, *filter(None, [full_env.get("PYTHONPATH")])]
    full_env["PYTHONPATH"] = os.pathsep.join(paths)
    try:
        proc = subprocess.run([program or sys.executable, *args], env=full_env, check=False,
                              stdin=subprocess.DEVNULL, timeout=timeout, text=True,
                              errors="replace", stderr=subprocess.PIPE,
                              stdout=subprocess.PIPE if capture_stdout else None)
    except subprocess.TimeoutExpired as exc:
        raise Keras2pbError(f"the child process did not finish within {timeout:.0f} s", path) \
            from exc
    if proc.returncode < 0:
        raise Keras2pbError(crashed.format(signal=signal_name(proc.returncode)), path)
    return proc


#: How a TensorFlow crash reads (``run_child``'s ``crashed``).
TF_CRASHED = ("TensorFlow crashed ({signal}) while importing or running this graph: the inputs "
              "do not fit it (check their shapes against `keras2pb inspect`), or the file is "
              "damaged or hostile")


def run_isolated(argv: Sequence[str], graph: str) -> int:
    """Run ``keras2pb *argv`` in a child process; return its exit code.

    The child's stdout passes straight through. Of its stderr only keras2pb's own lines are
    relayed (all of it with ``--debug``): a dying TensorFlow prints a C++ stack trace there.
    If a signal kills the child, raise Keras2pbError naming ``graph``.
    """
    proc = run_child(["-m", "keras2pb", *argv], path=graph, crashed=TF_CRASHED,
                     env={CHILD_ENV: "1"}, capture_stdout=False)
    lines = proc.stderr.splitlines() if "--debug" in argv else own_lines(proc.stderr)
    for line in lines:
        print(line, file=sys.stderr)
    return proc.returncode
