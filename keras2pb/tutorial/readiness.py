"""Workshop readiness check (`keras2pb check`): a green/red checklist of what the tutorial needs."""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Keras2pbError, one_line
from ..versions import range_text

#: Python version the tutorial needs (TensorFlow and Keras: keras2pb.versions).
MIN_PYTHON = (3, 10)
_SETUP_HINT = "run: bash scripts/setup.sh (or pip install -r requirements.txt)"
#: The same fix for a keras2pb installed from a wheel, with no checkout around.
_PIP_HINT = "pip install 'keras2pb[notebooks,runtimes]'"
_GREEN, _RED, _BOLD, _RESET = "\033[32m", "\033[31m", "\033[1m", "\033[0m"
#: A script, stylesheet, image or frame the viewer page would fetch from the network.
_REMOTE_REF = re.compile(
    r"<(?:script|link|img|iframe|source|embed|object)\b[^>]*?\b(?:src|href|data)\s*=\s*"
    r"[\"']?\s*(?:https?:)?//", re.IGNORECASE)


@dataclass(frozen=True)
class Check:
    """One line of the checklist: what was checked, whether it passed, and what was found."""

    name: str
    ok: bool
    detail: str
    #: True for a check that does not apply here (a checkout's notebooks, outside a checkout).
    skipped: bool = False


class _Failed(Exception):
    """A check found a problem; the message says what and how to fix it."""


class _Skipped(Exception):
    """A check does not apply here; the message says why (not a failure)."""


def _checkout() -> Path | None:
    """The keras2pb checkout around the current folder (or this package's), else None."""
    from .notebooks import repo_root

    try:
        return repo_root()
    except Keras2pbError:
        return None


def _setup_hint() -> str:
    return _SETUP_HINT if _checkout() is not None else _PIP_HINT


def _no_checkout(what: str) -> _Skipped:
    return _Skipped(f"skipped: no keras2pb checkout in or above {Path.cwd()}; {what}")


def _version(module: Any) -> str:
    return str(getattr(module, "__version__", "?"))


def _check_python(ctx: dict) -> str:
    v = sys.version_info
    found = f"Python {v.major}.{v.minor}.{v.micro} ({sys.executable})"
    if (v.major, v.minor) < MIN_PYTHON:
        raise _Failed(f"{found}: needs Python {'.'.join(map(str, MIN_PYTHON))} or newer")
    return found


def _check_tensorflow(ctx: dict) -> str:
    import tensorflow as tf

    from ..versions import verdict

    result = verdict(tf.__version__)
    if not result.ok:
        raise _Failed(result.message)
    return result.message.removeprefix("warning: ")  # a tested older/newer one is still green


def _check_keras(ctx: dict) -> str:
    import keras

    from ..versions import FIX, keras_supported

    if not keras_supported(keras.__version__):
        raise _Failed(f"Keras {keras.__version__}: the tutorial needs Keras 3; {FIX}")
    return f"Keras {keras.__version__} (backend {keras.backend.backend()})"


def _check_tensorboard(ctx: dict) -> str:
    import tensorboard

    return f"TensorBoard {_version(tensorboard)}"


def _check_jupyter(ctx: dict) -> str:
    import ipykernel
    import jupyterlab
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        raise _Failed("no 'python3' Jupyter kernel: run "
                      f"{sys.executable} -m ipykernel install --sys-prefix") from None
    return (f"JupyterLab {_version(jupyterlab)}, ipykernel {_version(ipykernel)}, "
            f"kernel python3 ({spec.display_name})")


def _check_matplotlib(ctx: dict) -> str:
    import matplotlib

    return f"matplotlib {_version(matplotlib)}"


def _check_mnist(ctx: dict) -> str:
    from .data import SAMPLE_PATH, load_mnist

    (x_train, y_train), (x_test, y_test) = load_mnist()
    if x_train.shape[1:] != (28, 28, 1) or len(x_train) == 0 or len(x_test) == 0:
        raise _Failed(f"unexpected sample shapes {x_train.shape}, {x_test.shape}")
    ctx["digits"] = x_test[:2]
    path = os.environ.get("KERAS2PB_MNIST", str(SAMPLE_PATH))
    return f"{len(x_train):,} train + {len(x_test):,} test digits, offline ({path})"


def _check_freeze(ctx: dict) -> str:
    import numpy as np

    from ..freezing.freeze import freeze
    from ..runtime.frozen_graph import load
    from .models import mnist_cnn

    x = ctx.get("digits")
    if x is None:  # no MNIST sample (its own line is red): any two images will do here
        x = np.random.default_rng(0).random((2, 28, 28, 1), dtype=np.float32)
    model = mnist_cnn()
    pb = Path(ctx["tmp"]) / "check_mnist_cnn.pb"
    side = freeze(model, pb)
    with load(pb) as graph:
        probs = graph(x)
    expected = np.asarray(model(x, training=False))
    if probs.shape != (2, 10):
        raise _Failed(f"the frozen graph returned shape {probs.shape}, expected (2, 10)")
    diff = float(np.abs(probs - expected).max())
    if diff > 1e-4:
        raise _Failed(f"the frozen graph differs from Keras by {diff:.2g}")
    ctx["pb"] = pb
    return (f"built the CNN, froze it ({side['node_count']} nodes), loaded it and predicted "
            f"2 digits (max diff vs Keras {diff:.1g})")


def _check_viewer(ctx: dict) -> str:
    from importlib import resources

    from ..graph.reading import read_graph_def
    from ..viewer import single_page

    if "pb" not in ctx:
        raise _Failed("not checked: needs the frozen model of the check above")
    page = single_page(read_graph_def(ctx["pb"]), "keras2pb check")
    remote = _REMOTE_REF.findall(page)
    if remote:
        raise _Failed(f"the page would fetch from the network: {remote[:3]}")
    vendor = resources.files("keras2pb.viewer").joinpath("assets", "vendor", "dagre")
    dagre = vendor.joinpath("dagre.min.js").read_text(encoding="utf-8")
    if dagre.strip() not in page:
        raise _Failed("the page does not hold the vendored dagre")
    version = vendor.joinpath("VERSION.md").read_text(encoding="utf-8").splitlines()[0]
    version = version.lstrip("# ").replace(" (vendored)", "")
    return f"offline page built ({len(page) / 1e3:.0f} kB, {version} inlined, no network refs)"


def _check_notebooks(ctx: dict) -> str:
    import json

    from .notebooks import notebook_paths

    root = _checkout()
    if root is None:  # a wheel install: the notebooks come with the repository, not the wheel
        raise _no_checkout("the notebooks come with the repository (git clone it and run "
                           "keras2pb check there)")
    folder = root / "notebooks"
    paths = notebook_paths(folder)
    if not paths:
        raise _Failed(f"{folder}: no NN_*.ipynb notebooks")
    for p in paths:
        try:
            json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise _Failed(f"{p}: not a readable notebook: {exc}") from exc
    names = ", ".join(p.name[:2] for p in paths)
    return f"{len(paths)} notebooks ({names}) in {folder}"


def _check_models_dir(ctx: dict) -> str:
    from .notebooks import MODELS_ENV, models_dir

    if not os.environ.get(MODELS_ENV, "").strip() and _checkout() is None:
        raise _no_checkout(f"the notebooks write models/ in the repository (or in {MODELS_ENV})")
    folder = models_dir()
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".keras2pb-check-"):
            pass
    except OSError as exc:
        raise _Failed(f"{folder}: not writable ({exc.strerror or exc}); fix its permissions "
                      "or set KERAS2PB_MODELS_DIR") from exc
    return f"{folder} is writable"


def _check_runtimes(ctx: dict) -> str:
    from ..runtime.c_client import c_compiler
    from ..runtime.optional import optional_module
    from ..runtime.registry import RUNTIMES

    # the C compiler is a line of its own below: 05 runs without the C client
    missing = sorted({m for rt in RUNTIMES.values() if not rt.needs_compiler
                      for m in rt.missing()})
    if missing:
        fix = ("pip install -r requirements-runtimes.txt" if _checkout() is not None
               else "pip install 'keras2pb[runtimes]'")
        raise _Failed(f"not installed: {', '.join(missing)}; notebook 05 skips them: {fix}")
    found = []
    for module, label in (("cv2", "OpenCV"), ("onnxruntime", "ONNX Runtime"),
                          ("tf2onnx", "tf2onnx"), ("onnx", "onnx"), ("openvino", "OpenVINO")):
        found.append(f"{label} {_version(optional_module(module))}")
    cc = c_compiler()
    found.append(f"C compiler {cc}" if cc else "no C compiler (05 skips the C client)")
    return ", ".join(found)


#: The checks, in the order they are shown: (name, function).
CHECKS: list[tuple[str, Callable[[dict], str]]] = [
    ("Python", _check_python),
    (f"TensorFlow {range_text()}", _check_tensorflow),
    ("Keras 3", _check_keras),
    ("TensorBoard", _check_tensorboard),
    ("Jupyter", _check_jupyter),
    ("matplotlib", _check_matplotlib),
    ("MNIST sample (offline)", _check_mnist),
    ("freeze and load a model", _check_freeze),
    ("graph viewer (offline)", _check_viewer),
    ("other runtimes (notebook 05)", _check_runtimes),
    ("notebooks", _check_notebooks),
    ("models/ folder writable", _check_models_dir),
]


def _run_one(name: str, fn: Callable[[dict], str], ctx: dict, debug: bool) -> Check:
    try:
        return Check(name, True, fn(ctx))
    except _Failed as exc:
        return Check(name, False, str(exc))
    except _Skipped as exc:
        return Check(name, True, str(exc), skipped=True)
    except ImportError as exc:
        return Check(name, False, f"cannot import {exc.name or exc}: {_setup_hint()}")
    except Exception as exc:  # any failure is a red line, never a crash of the checklist
        detail = f"{type(exc).__name__}: {one_line(exc)}"
        if debug:
            detail += "\n" + traceback.format_exc()
        return Check(name, False, detail)


def run_checks(progress: Callable[[Check], None] | None = None,
               debug: bool = False) -> list[Check]:
    """Run every check of the workshop checklist; return one Check per line, in order.

    Nothing is downloaded; the model is built, frozen and loaded in a temp folder (no
    training), which is removed afterwards. ``progress`` (if given) is called with each
    Check as soon as it is known; ``debug`` adds the traceback to an unexpected failure's
    detail. Never raises for a failed check: it becomes a Check with ``ok=False``.
    """
    results = []
    with tempfile.TemporaryDirectory(prefix="keras2pb-check-") as tmp:
        ctx: dict[str, Any] = {"tmp": tmp}
        for name, fn in CHECKS:
            check = _run_one(name, fn, ctx, debug)
            results.append(check)
            if progress is not None:
                progress(check)
    return results


def format_check(check: Check, color: bool = False) -> str:
    """One checklist line: ``✓ name: detail`` (green), ``✗ name: detail`` (red), or
    ``- name: skipped: ...`` (a check that does not apply here, uncoloured)."""
    if check.skipped:
        return f"- {check.name}: {check.detail}"
    mark = "✓" if check.ok else "✗"
    if color:
        mark = f"{_GREEN if check.ok else _RED}{_BOLD}{mark}{_RESET}"
        name = check.name if check.ok else f"{_RED}{check.name}{_RESET}"
    else:
        name = check.name
    return f"{mark} {name}: {check.detail}"


def summary_line(checks: list[Check], color: bool) -> str:
    """The checklist's last line: all passed (green), or how many failed (red)."""
    failed = sum(not c.ok for c in checks)
    skipped = sum(c.skipped for c in checks)
    if not failed and skipped:
        text = (f"all {len(checks) - skipped} checks that apply passed ({skipped} skipped: "
                "they need a keras2pb checkout): the library is ready")
        return f"{_GREEN}{text}{_RESET}" if color else text
    if not failed:
        text = f"all {len(checks)} checks passed: ready for the workshop"
        return f"{_GREEN}{text}{_RESET}" if color else text
    text = f"{failed} of {len(checks)} checks failed: fix the red lines above"
    return f"{_RED}{text}{_RESET}" if color else text


def use_color(stream: Any = None) -> bool:
    """True when ``stream`` (default stdout) is a terminal and ``NO_COLOR`` is not set."""
    stream = stream if stream is not None else sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def main_check(args: argparse.Namespace | None = None) -> int:
    """The ``keras2pb check`` command: print the checklist as it runs; 0 if all green, else 1.

    ``args.debug`` (optional) adds tracebacks to unexpected failures. Colours are used only
    on a terminal without ``NO_COLOR``.
    """
    color = use_color()
    debug = bool(getattr(args, "debug", False))
    checks = run_checks(lambda c: print(format_check(c, color), flush=True), debug=debug)
    print(summary_line(checks, color), flush=True)
    return 0 if all(c.ok for c in checks) else 1
