"""Running a frozen graph in several runtimes (TF, OpenCV DNN, ONNX Runtime) and comparing them."""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from ..errors import Keras2pbError
from .optional import RUNTIMES, missing_modules
from .timing import median_ms
from .verify import compare_outputs

#: Calls timed per runtime for the latency column (batch 1, median).
LATENCY_REPEATS = 50


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
    diff, agree, _ = compare_outputs(ref, graph.run(feeds))
    b1 = _first(feeds, _latency_batch(graph))
    latency = median_ms(lambda: graph(b1), LATENCY_REPEATS)
    return _row("tf", "ok", "keras2pb.load(...) call", diff, agree, latency, n)


def _run_opencv(graph, pb_path, feeds, ref, n, tmp):
    from .opencv import opencv_ready_path, run_opencv

    path, converted = opencv_ready_path(pb_path, graph.graph_def, tmp)
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


def _run_openvino(pb_path, feeds, ref, n, graph):
    from .openvino import OpenVinoModel

    model = OpenVinoModel(pb_path)
    diff, agree, _ = compare_outputs(ref, model(feeds))
    b1 = _first(feeds, _latency_batch(graph))
    latency = median_ms(lambda: model(b1), LATENCY_REPEATS)
    return _row("openvino", "ok", f"OpenVINO {model.version}, float32", diff, agree, latency, n)


def verify_runtimes(model_or_path: Any, pb_path: str | os.PathLike, runtimes: list[str],
                    x: Any = None, *, custom_objects: dict[str, Any] | None = None,
                    safe_mode: bool = True) -> list[dict[str, Any]]:
    """Run the same inputs through Keras and each runtime in ``runtimes``; one row per runtime.

    ``model_or_path``: a Keras model or ``.h5``/``.keras`` file (the reference);
    ``pb_path``: the frozen graph with its sidecar; ``runtimes``: names from ``RUNTIMES``
    (``tf``, ``opencv``, ``onnx``, ``opencv-onnx``,
    ``openvino``); ``x``: an array or dict input name ->
    array (default as in ``keras2pb.verify``). Each row: ``runtime``, ``status`` (``ok``,
    ``skipped`` when the runtime is not installed, ``failed`` when it errors or crashes),
    ``max_abs_diff``, ``argmax_agreement`` (fraction), ``latency_ms`` (median of one batch-1
    call), ``n``, ``note``. OpenCV always runs in a child process, so a crash becomes a failed row.
    Raises Keras2pbError for unknown runtime names or unloadable files.
    """
    import tempfile

    import keras

    from ..freezing.keras_files import load_keras_model
    from .frozen_graph import load
    from .verify import keras_reference

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
                elif name == "openvino":
                    rows.append(_run_openvino(pb_path, feeds, ref, n, graph))
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
