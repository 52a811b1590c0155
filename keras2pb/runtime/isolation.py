"""Running a risky step (TensorFlow or OpenCV on an untrusted graph) in a child process.

TensorFlow and OpenCV validate less than they execute: a damaged graph, or inputs that do
not fit it, can kill the whole process with a signal (SIGSEGV, SIGABRT) on some CPUs and
builds. ``run_child`` is the one way keras2pb starts such a child: a child killed by a signal,
or one that hangs, becomes a one-line Keras2pbError naming the file. Children never import
code from the working folder (safe-path mode), die with their parent, and run under a time
and a memory limit (``KERAS2PB_CHILD_TIMEOUT`` seconds, ``KERAS2PB_CHILD_MEMORY_MB``). The
CLI's ``predict``, ``verify`` and ``export-onnx``, ``load(..., isolate=True)`` (through
``frozen_graph.probe_graph``), ``run_opencv``, the C client and the viewer's shape inference
use it.
"""

from __future__ import annotations

import contextlib
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
#: Seconds a child may run when its caller gives no limit (hangs become errors).
DEFAULT_TIMEOUT = 600.0
#: Environment variables that change the limits of every child (0: no limit).
TIMEOUT_ENV = "KERAS2PB_CHILD_TIMEOUT"
MEMORY_ENV = "KERAS2PB_CHILD_MEMORY_MB"
#: Python's safe-path flag (3.11+; ``PYTHONSAFEPATH=1`` in ``child_env`` does the same).
_SAFE_PATH = ["-P"] if sys.version_info >= (3, 11) else []


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


def _seconds(timeout: float | None) -> float | None:
    """The time limit in seconds (None: none): ``timeout`` if given, else
    ``$KERAS2PB_CHILD_TIMEOUT``, else ``DEFAULT_TIMEOUT``; 0 or less means none."""
    if timeout is None:
        text = os.environ.get(TIMEOUT_ENV, "").strip()
        try:
            timeout = float(text) if text else DEFAULT_TIMEOUT
        except ValueError:
            raise Keras2pbError(f"{TIMEOUT_ENV}={text!r} is not a number of seconds "
                                "(0 for no limit)") from None
    return timeout if timeout > 0 else None


def _memory_bytes() -> int:
    """The child's address-space limit in bytes (0: none): ``$KERAS2PB_CHILD_MEMORY_MB``, else
    the larger of 4 GiB and three quarters of this machine's memory."""
    text = os.environ.get(MEMORY_ENV, "").strip()
    if text:
        try:
            return max(0, int(float(text) * 2**20))
        except ValueError:
            raise Keras2pbError(f"{MEMORY_ENV}={text!r} is not a number of megabytes "
                                "(0 for no limit)") from None
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return 0
    return max(4 * 2**30, ram * 3 // 4)


def child_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a child: this one plus ``env``, with Python's safe-path mode on
    (``PYTHONSAFEPATH=1``: no folder of the working directory or a script on ``sys.path``),
    ``PYTHONPATH`` = this copy of keras2pb and only the absolute, non-empty entries the user
    had (an empty or relative entry means the working folder), and no start-up or
    interactive hooks."""
    full = dict(os.environ, **(env or {}))
    kept = [p for p in full.get("PYTHONPATH", "").split(os.pathsep) if p and os.path.isabs(p)]
    full["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([PACKAGE_ROOT, *kept]))
    full["PYTHONSAFEPATH"] = "1"
    full.setdefault("MALLOC_ARENA_MAX", "4")  # glibc's per-thread arenas count against the
    for name in ("PYTHONSTARTUP", "PYTHONINSPECT"):  # memory limit; the rest would run
        full.pop(name, None)  # code or wait for a prompt
    return full


#: Runs first in every child (``python -I``: nothing from the working folder or the
#: environment is imported): asks Linux to kill it with SIGKILL when its parent dies, sets the
#: memory limit, then becomes the real child (exec).
_GUARD = """
import os, sys
parent, memory = int(sys.argv[1]), int(sys.argv[2])
if sys.platform.startswith("linux"):
    import ctypes, signal
    ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
if os.getppid() != parent:  # the parent died before the line above
    os._exit(1)
if memory:
    import resource
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    resource.setrlimit(resource.RLIMIT_AS, (memory if hard < 0 else min(memory, hard), hard))
os.execvp(sys.argv[3], sys.argv[3:])
"""


def time_limit(timeout: float | None = None) -> float | None:
    """The time limit of a child in seconds, None for none: ``timeout`` if given, else
    ``$KERAS2PB_CHILD_TIMEOUT``, else ``DEFAULT_TIMEOUT``. Raises Keras2pbError when the
    variable is not a number."""
    return _seconds(timeout)


def _guarded(args: Sequence[str], program: str | None) -> list[str]:
    """The command line of a child: the guard, which execs ``python -P *args`` (or
    ``program *args``) once the death signal and the memory limit are set."""
    target = [program, *args] if program else [sys.executable, *_SAFE_PATH, *args]
    return [sys.executable, "-I", "-c", _GUARD, str(os.getpid()), str(_memory_bytes()),
            *target]


def start_child(args: Sequence[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``python *args`` as a long-lived child with ``run_child``'s guards (safe path,
    own process group, death with this process, memory limit) and binary pipes to its stdin
    and stdout (stderr is dropped). The caller enforces time limits (:func:`time_limit`) and
    ends it with :func:`stop_child`."""
    return subprocess.Popen(_guarded(args, None), env=child_env(env), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def stop_child(proc: subprocess.Popen) -> None:
    """Kill a child from ``start_child`` and its process group at once, and collect it."""
    for pipe in (proc.stdin, proc.stdout):
        with contextlib.suppress(OSError):
            if pipe is not None:
                pipe.close()
    _stop(proc, grace=0)


def _stop(proc: subprocess.Popen, grace: float) -> None:
    """Stop ``proc`` and its process group: SIGTERM (the keras2pb child then removes its temp
    files), after ``grace`` seconds SIGKILL; collect it."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, None)):
        if wait == 0:
            continue
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(Exception):
        proc.communicate(timeout=5)


def run_child(args: Sequence[str], *, path: str | os.PathLike, crashed: str,
              env: dict[str, str] | None = None, timeout: float | None = None,
              capture_stdout: bool = True, program: str | None = None
              ) -> subprocess.CompletedProcess:
    """Run ``python *args`` (e.g. ``["-m", "keras2pb.runtime.opencv", spec]``) in a child process.

    The child runs this Python in safe-path mode (``-P``) and imports this copy of keras2pb
    (see :func:`child_env`); ``program`` runs another program instead (``program *args``,
    e.g. the C client). ``env`` adds variables to the environment. Every child leads its own
    process group, is killed when this process (the thread that started it) dies, and has
    an address-space limit (``$KERAS2PB_CHILD_MEMORY_MB``; default: the larger of 4 GiB and
    3/4 of the memory) and a time limit: ``timeout`` seconds, or ``$KERAS2PB_CHILD_TIMEOUT``,
    or ``DEFAULT_TIMEOUT`` (0: none). stderr is always captured; stdout too unless
    ``capture_stdout=False`` (then it passes straight through). Returns the finished process,
    whatever its exit code. Raises Keras2pbError naming ``path``: ``crashed`` with
    ``{signal}`` filled in (``SIGSEGV``) when a signal killed the child, or a time-out
    message. If this process is interrupted meanwhile, the child's group is stopped too.
    """
    limit = _seconds(timeout)
    command = _guarded(args, program)
    proc = subprocess.Popen(command, env=child_env(env), stdin=subprocess.DEVNULL, text=True,
                            errors="replace", stderr=subprocess.PIPE,
                            stdout=subprocess.PIPE if capture_stdout else None,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired as exc:
        _stop(proc, grace=0)
        raise Keras2pbError(f"the child process did not finish within {limit:.0f} s (set "
                            f"{TIMEOUT_ENV} to more seconds, or 0 for no limit)", path) from exc
    except BaseException:  # Ctrl-C, SIGTERM: the child must not outlive us
        _stop(proc, grace=5)
        raise
    if proc.returncode < 0:
        message = crashed.format(signal=signal_name(proc.returncode))
        memory = _memory_bytes()
        if memory:  # past RLIMIT_AS, an allocation fails and TensorFlow dies of a signal too
            message += (f"; or it needed more than the child's memory limit of "
                        f"{memory // 2**20:,} MB (raise {MEMORY_ENV}, 0 for no limit, only for "
                        "a graph you trust)")
        raise Keras2pbError(message, path)
    return subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)


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
