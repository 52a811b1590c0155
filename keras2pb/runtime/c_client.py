"""The C client (``keras2pb/runtime/c/predict.c``): build it against this TensorFlow, run it.

The C program loads a frozen ``.pb`` through TensorFlow's C API (shipped in the pip wheel) with
no Python at all; this module is how the tests, the benchmark, the support matrix and notebook
05 compile it (``keras2pb/runtime/c/build.sh``) and compare what it prints with ``keras2pb.load``.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import Keras2pbError, one_line
from ..graph.signature import as_feeds, node_name, require_signature
from .isolation import run_child

#: The C sources and their build script.
C_DIR = Path(__file__).resolve().parent / "c"
_HEADER = re.compile(r"^(\S+): shape \[([0-9, ]*)\]$")


def c_compiler() -> str | None:
    """The C compiler ``build.sh`` would use (``$CC``, default ``cc``), or None if absent."""
    return shutil.which(os.environ.get("CC", "cc"))


def build_c_client(out: str | os.PathLike, timeout: float = 300) -> Path:
    """Compile ``keras2pb/runtime/c/predict.c`` into ``out`` with ``c/build.sh`` beside it
    (headers and libraries of this Python's TensorFlow, found with ``tf.sysconfig``).

    Returns ``out`` as an absolute path (a bare name would not run from elsewhere). Raises
    Keras2pbError when there is no C compiler, the sources are missing (a damaged install) or
    the build fails; the message is one line.
    """
    out = Path(out).resolve()
    script = C_DIR / "build.sh"
    if not script.is_file():
        raise Keras2pbError(f"{script}: missing; reinstall keras2pb (the C client ships in "
                            "the package, keras2pb/runtime/c)")
    if c_compiler() is None:
        raise Keras2pbError(f"no C compiler ({os.environ.get('CC', 'cc')}): install one "
                            "(Debian/Ubuntu: apt-get install gcc) to build the C client")
    proc = run_child([str(script), str(out)], program="bash", path=script, timeout=timeout,
                     env={"PYTHON": sys.executable},
                     crashed="building the C client crashed ({signal})")
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()] or ["no message"]
        errors = [ln for ln in lines if "error" in ln] or lines
        raise Keras2pbError(f"building the C client failed: {one_line(errors[0])}", script)
    return out


def parse_c_output(text: str) -> dict[str, np.ndarray]:
    """What ``predict`` printed -> ``{output name without ":0": array}``."""
    arrays: dict[str, np.ndarray] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _HEADER.match(lines[i])
        if not match:
            raise Keras2pbError(f"unexpected line from the C client: {lines[i][:100]!r}")
        shape = tuple(int(d) for d in match.group(2).split(",") if d.strip())
        rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
        values = " ".join(lines[i + 1:i + 1 + rows])
        arrays[node_name(match.group(1))] = np.array(
            values.split(), dtype=np.float64).astype(np.float32).reshape(shape)
        i += 1 + rows
    return arrays


def c_command(binary: str | os.PathLike, pb_path: str | os.PathLike,
              inputs: dict[str, str | os.PathLike], outputs: list[str]) -> list[str]:
    """The command line running ``binary`` on ``pb_path`` (``inputs``: name -> .npy file)."""
    args = [str(binary), str(pb_path)]
    for name, path in inputs.items():
        args += ["-i", f"{name}={path}"]
    for name in outputs:
        args += ["-o", name]
    return args


def run_c_client(binary: str | os.PathLike, pb_path: str | os.PathLike, feeds: Any,
                 outputs: list[str] | None = None, timeout: float = 300
                 ) -> dict[str, np.ndarray]:
    """Run the compiled C client on ``pb_path`` and return its outputs by name.

    ``feeds``: one array (one-input graph) or a dict input name -> array, written as float32
    ``.npy`` files; ``outputs``: the names to fetch (default: all, from the sidecar). Raises
    Keras2pbError with the client's one-line message when it fails.
    """
    pb_path = Path(pb_path)
    signature = require_signature(pb_path)
    not_float = [f"{i.name} ({i.dtype})" for i in signature.inputs if i.dtype != "float32"]
    if not_float:
        raise Keras2pbError(f"the C client (predict.c) feeds float32 inputs only, and input "
                            f"{', '.join(not_float)} is not: run this .pb in TensorFlow "
                            "(keras2pb.load), or keep the text preprocessing outside the model "
                            "and freeze the model that takes numbers", pb_path)
    feeds = as_feeds(feeds, [i.name for i in signature.inputs], pb_path)
    outputs = outputs or [o.name for o in signature.outputs]
    with tempfile.TemporaryDirectory(prefix="keras2pb-c-") as tmp:
        files = {}
        for name, array in feeds.items():
            files[name] = Path(tmp) / f"in{len(files)}.npy"
            np.save(files[name], np.ascontiguousarray(array, dtype=np.float32))
        command = c_command(binary, pb_path, files, outputs)
        proc = run_child(command[1:], program=command[0], path=pb_path, timeout=timeout,
                         env={"TF_CPP_MIN_LOG_LEVEL": "2"},
                         crashed="the C client crashed ({signal}) importing or running the "
                                 "graph")
    if proc.returncode != 0:
        own = [ln for ln in proc.stderr.splitlines() if ln.startswith("predict: error:")]
        message = own[-1] if own else f"exit code {proc.returncode}"
        raise Keras2pbError(f"the C client failed: {message.removeprefix('predict: error: ')}")
    return parse_c_output(proc.stdout)
