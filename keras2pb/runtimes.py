"""Running a frozen graph in several runtimes (TF, OpenCV DNN, ONNX Runtime) and comparing them."""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import Keras2pbError
from .verifying import compare_outputs

#: Environment variable remapping optional modules, e.g. ``cv2=no_such_cv2,onnxruntime=x``:
#: a way to run the "runtime not installed" path for real without uninstalling anything.
MODULES_ENV = "KERAS2PB_RUNTIME_MODULES"

#: Runtime name -> (modules it needs, pip package that provides them, what it runs).
RUNTIMES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "tf": (("tensorflow",), "tensorflow", "keras2pb.load(...) call (TF Session)"),
    "opencv": (("cv2",), "opencv-python-headless", "OpenCV DNN, in a child process"),
    "onnx": (("tf2onnx", "onnxruntime"), "tf2onnx onnxruntime", "tf2onnx + ONNX Runtime"),
    "opencv-onnx": (("cv2", "tf2onnx", "onnx"), "opencv-python-headless tf2onnx onnx",
                    "tf2onnx + cv2.dnn.readNetFromONNX, in a child process"),
}

#: Calls timed per runtime for the latency column (batch 1, median).
LATENCY_REPEATS = 50


def module_name(name: str) -> str:
    """The module actually imported for ``name``, after the ``KERAS2PB_RUNTIME_MODULES`` map."""
    for item in os.environ.get(MODULES_ENV, "").split(","):
        key, _, value = item.partition("=")
        if key.strip() == name and value.strip():
            return value.strip()
    return name


def optional_module(name: str, package: str | None = None) -> Any:
    """Import the optional module ``name`` (e.g. ``"cv2"``), honouring ``KERAS2PB_RUNTIME_MODULES``.

    Raises Keras2pbError saying which pip package to install when it cannot be imported.
    """
    real = module_name(name)
    try:
        return importlib.import_module(real)
    except ImportError as exc:
        pkg = package or name
        raise Keras2pbError(f"{real} is not installed: pip install {pkg} "
                            "(or keras2pb[runtimes])") from exc


def missing_modules(runtime: str) -> list[str]:
    """The modules ``runtime`` needs that cannot be found (empty when it is installed)."""
    if runtime not in RUNTIMES:
        raise Keras2pbError(f"unknown runtime {runtime!r}: choose from "
                            f"{', '.join(RUNTIMES)}")
    return [module_name(m) for m in RUNTIMES[runtime][0]
            if importlib.util.find_spec(module_name(m)) is None]


def median_ms(fn: Callable[[], Any], repeats: int, warmup: int = 3) -> float:
    """Median wall time of ``fn()`` in milliseconds over ``repeats`` calls after ``warmup``."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def _row(runtime: str, status: str, note: str = "", diff: float | None = None,
         agree: float | None = None, latency: float | None = None, n: int = 0) -> dict[str, Any]:
    return {"runtime": runtime, "status": status, "max_abs_diff": diff,
            "argmax_agreement": agree, "latency_ms": latency, "n": n, "note": note}


def _first(feeds: dict[str, np.ndarray], batch: int = 1) -> dict[str, np.ndarray]:
    return {k: np.ascontiguousarray(v[:batch]) for k, v in feeds.items()}


def _latency_batch(graph) -> int | None:
    """1 when every input has a dynamic batch; the fixed batch otherwise."""
    fixed = {i.shape[0] for i in graph.inputs if i.shape and i.shape[0] is not None}
    return next(iter(fixed)) if fixed else 1


def _run_tf(graph, feeds, ref, n):
    out = graph(feeds)
    out = out if isinstance(out, dict) else {graph.outputs[0].name: out}
    diff, agree, _ = compare_outputs(ref, out)
    b1 = _first(feeds, _latency_batch(graph))
    latency = median_ms(lambda: graph(b1), LATENCY_REPEATS)
    return _row("tf", "ok", "keras2pb.load(...) call", diff, agree, latency, n)


def _run_opencv(graph, pb_path, feeds, ref, n, tmp):
    from .opencv import opencv_ready_path, run_opencv

    path, converted = opencv_ready_path(pb_path, graph.graph_def, graph.sidecar, tmp)
    run = run_opencv(path, feeds)
    diff, agree, _ = compare_outputs(ref, run.outputs)
    timed = run_opencv(path, _first(feeds, _latency_batch(graph)), repeats=LATENCY_REPEATS)
    note = f"OpenCV {run.version}, child process"
    if converted:
        note += "; converted on the fly (ship it with freeze --for-opencv)"
    return _row("opencv", "ok", note, diff, agree, timed.median_ms, n)


def _onnx_file(pb_path, tmp) -> str:
    """The ONNX export of ``pb_path`` in ``tmp``, converted once per ``verify_runtimes``."""
    from .onnx_export import export_onnx

    path = os.path.join(tmp, "model.onnx")
    if not os.path.exists(path):
        export_onnx(pb_path, path)
    return path


def _run_opencv_onnx(pb_path, feeds, ref, n, tmp, graph):
    from .opencv import run_opencv_onnx

    path = _onnx_file(pb_path, tmp)
    run = run_opencv_onnx(path, feeds)
    diff, agree, _ = compare_outputs(ref, run.outputs)
    timed = run_opencv_onnx(path, _first(feeds, _latency_batch(graph)), repeats=LATENCY_REPEATS)
    return _row("opencv-onnx", "ok", f"OpenCV {run.version} readNetFromONNX, child process",
                diff, agree, timed.median_ms, n)


def _run_onnx(pb_path, feeds, ref, n, tmp, graph):
    from .onnx_export import OnnxModel

    model = OnnxModel(_onnx_file(pb_path, tmp))
    diff, agree, _ = compare_outputs(ref, model(feeds))
    b1 = _first(feeds, _latency_batch(graph))
    latency = median_ms(lambda: model(b1), LATENCY_REPEATS)
    return _row("onnx", "ok", f"onnxruntime {model.version}", diff, agree, latency, n)


def verify_runtimes(model_or_path: Any, pb_path: str | os.PathLike, runtimes: list[str],
                    x: Any = None, *, custom_objects: dict[str, Any] | None = None,
                    safe_mode: bool = True) -> list[dict[str, Any]]:
    """Run the same inputs through Keras and each runtime in ``runtimes``; one row per runtime.

    ``model_or_path``: a Keras model or ``.h5``/``.keras`` file (the reference);
    ``pb_path``: the frozen graph with its sidecar; ``runtimes``: names from ``RUNTIMES``
    (``tf``, ``opencv``, ``onnx``, ``opencv-onnx``); ``x``: an array or dict input name ->
    array (default as in ``keras2pb.verify``). Each row: ``runtime``, ``status`` (``ok``,
    ``skipped`` when the runtime is not installed, ``failed`` when it errors or crashes),
    ``max_abs_diff``, ``argmax_agreement`` (fraction), ``latency_ms`` (median of one batch-1
    call), ``n``, ``note``. OpenCV always runs in a child process, so a crash becomes a failed row.
    Raises Keras2pbError for unknown runtime names or unloadable files.
    """
    import tempfile

    import keras

    from .kerasio import load_keras_model
    from .loading import load
    from .verifying import keras_reference

    names = [r.strip().lower() for r in runtimes if r.strip()]
    if not names:
        raise Keras2pbError(f"no runtimes given: choose from {', '.join(RUNTIMES)}")
    for name in names:
        missing_modules(name)  # raises for unknown names before any work
    model = (model_or_path if isinstance(model_or_path, keras.Model)
             else load_keras_model(model_or_path, custom_objects, safe_mode))
    rows = []
    with load(pb_path) as graph, tempfile.TemporaryDirectory(prefix="keras2pb-") as tmp:
        feeds, ref = keras_reference(model, graph, x)
        n = len(next(iter(feeds.values())))
        for name in names:
            missing = missing_modules(name)
            if missing:
                rows.append(_row(name, "skipped", f"not installed ({', '.join(missing)}): "
                                 f"pip install {RUNTIMES[name][1]}", n=n))
                continue
            try:
                if name == "tf":
                    rows.append(_run_tf(graph, feeds, ref, n))
                elif name == "opencv":
                    rows.append(_run_opencv(graph, pb_path, feeds, ref, n, tmp))
                elif name == "opencv-onnx":
                    rows.append(_run_opencv_onnx(pb_path, feeds, ref, n, tmp, graph))
                else:
                    rows.append(_run_onnx(pb_path, feeds, ref, n, tmp, graph))
            except Keras2pbError as exc:
                rows.append(_row(name, "failed", str(exc), n=n))
    return rows


def _fmt(value: float | None, spec: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, spec)


def format_table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of ``verify_runtimes`` rows: status, max abs diff, argmax, latency."""
    lines = ["| runtime | status | max abs diff vs Keras | argmax agreement | "
             "latency (batch 1, ms) | note |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        agree = None if r["argmax_agreement"] is None else r["argmax_agreement"] * 100
        lines.append(f"| {r['runtime']} | {r['status']} | {_fmt(r['max_abs_diff'], '.2g')} | "
                     f"{_fmt(agree, '.1f')}{'' if agree is None else ' %'} | "
                     f"{_fmt(r['latency_ms'], '.3f')} | {r['note']} |")
    return "\n".join(lines)
