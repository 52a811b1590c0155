"""The same inputs through Keras and several runtimes (``registry.RUNTIMES``), compared."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import Keras2pbError
from .registry import RUNTIMES, Target, runtime
from .verify import RELATIVE_TOLERANCE, compare_outputs, relative_error

#: Calls timed per runtime for the latency column (median).
LATENCY_REPEATS = 50


def _row(runtime: str, status: str, note: str = "", diff: float | None = None,
         agree: float | None = None, latency: float | None = None, n: int = 0,
         latency_batch: int | None = None,
         batches: dict[int, float] | None = None) -> dict[str, Any]:
    return {"runtime": runtime, "status": status, "max_abs_diff": diff,
            "argmax_agreement": agree,
            "relative_error": None if not batches else max(batches.values()),
            "batches": {str(b): e for b, e in (batches or {}).items()},
            "latency_ms": latency, "latency_batch": latency_batch, "n": n, "note": note}


def check_batches(graph, n: int) -> list[int]:
    """The batch sizes every runtime runs at: 1 and ``n`` (the inputs' batch, >= 2 unless the
    caller gave one example), or the graph's fixed batch. A runtime can be right at batch 1
    and wrong, or failing, at 2 or 3 (issue 21)."""
    fixed = {i.shape[0] for i in graph.inputs if i.shape and i.shape[0] is not None}
    if fixed:
        return sorted(fixed)
    return [1, n] if n > 1 else [1]


def _first(feeds: dict[str, np.ndarray], batch: int = 1) -> dict[str, np.ndarray]:
    return {k: np.ascontiguousarray(v[:batch]) for k, v in feeds.items()}


def latency_batch(graph) -> int:
    """The batch a latency is timed at: 1 when every input has a dynamic batch, else the
    graph's fixed batch (a graph frozen for batch 8 cannot run batch 1)."""
    fixed = {i.shape[0] for i in graph.inputs if i.shape and i.shape[0] is not None}
    return next(iter(fixed)) if fixed else 1


def verify_runtimes(model_or_path: Any, pb_path: str | os.PathLike, runtimes: list[str],
                    x: Any = None, *, custom_objects: dict[str, Any] | None = None,
                    safe_mode: bool = True) -> list[dict[str, Any]]:
    """Run the same inputs through Keras and each runtime in ``runtimes``; one row per runtime.

    ``model_or_path``: a Keras model or ``.h5``/``.keras`` file (the reference);
    ``pb_path``: the frozen graph with its sidecar; ``runtimes``: names from
    ``keras2pb.runtime.registry.RUNTIMES`` (``tf``, ``c``, ``opencv``, ``opencv-onnx``,
    ``onnx``, ``openvino``); ``x``: an array or dict input name -> array (default as in
    ``keras2pb.verify``). Each runtime runs at batch 1 and at the inputs' batch ``n``
    (``check_batches``). Each row: ``runtime``, ``status`` (``ok`` when the relative error is
    <= ``RELATIVE_TOLERANCE`` at every batch and every argmax agrees, ``differs`` when it ran
    but is off, ``skipped`` when the runtime is not installed, ``failed`` when it errors or
    crashes at any batch), ``max_abs_diff`` and ``argmax_agreement`` (fraction) at batch
    ``n``, ``relative_error`` (the worst) and ``batches`` (batch -> relative error),
    ``latency_ms`` (median of one call at ``latency_batch``), ``n``, ``note``. Runtimes marked
    ``child`` run in a child process, so a crash becomes a failed row.
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
    chosen = [runtime(name) for name in names]  # raises for unknown names before any work
    model = (model_or_path if isinstance(model_or_path, keras.Model)
             else load_keras_model(model_or_path, custom_objects, safe_mode))
    rows = []
    with load(pb_path) as graph, tempfile.TemporaryDirectory(prefix="keras2pb-") as tmp:
        feeds, ref = keras_reference(model, graph, x)
        n = len(next(iter(feeds.values())))
        target = Target(Path(pb_path), graph, Path(tmp))
        batch = latency_batch(graph)
        for rt in chosen:
            missing = rt.missing()
            if missing:
                rows.append(_row(rt.name, "skipped", f"not installed ({', '.join(missing)}): "
                                 f"pip install {rt.pip}", n=n))
                continue
            try:
                runner = rt.prepare(target)
                errors: dict[int, float] = {}
                agreeing, diff, agree = True, None, None
                for b in check_batches(graph, n):
                    got = runner.run(_first(feeds, b))
                    ref_b = _first(ref, b)
                    errors[b], same = relative_error(ref_b, got)
                    agreeing = agreeing and same
                    if b == n:
                        diff, agree, _ = compare_outputs(ref_b, got)
                latency = runner.median_ms(_first(feeds, batch), LATENCY_REPEATS)
                status = "ok" if agreeing and max(errors.values()) <= RELATIVE_TOLERANCE \
                    else "differs"
                rows.append(_row(rt.name, status, runner.note, diff, agree, latency, n, batch,
                                 errors))
            except Keras2pbError as exc:
                rows.append(_row(rt.name, "failed", str(exc), n=n))
    return rows


def _fmt(value: float | None, spec: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, spec)


def _at(batch: int | None) -> str:
    return "" if batch is None else f" (batch {batch})"


def format_table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of ``verify_runtimes`` rows: status, max abs diff, argmax, relative
    error per batch, latency."""
    lines = ["| runtime | status | max abs diff vs Keras | argmax agreement | "
             "relative error (at batch) | latency (ms, at batch) | note |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        agree = None if r["argmax_agreement"] is None else r["argmax_agreement"] * 100
        batches = ", ".join(f"{e:.1e} ({b})" for b, e in (r.get("batches") or {}).items())
        lines.append(f"| {r['runtime']} | {r['status']} | {_fmt(r['max_abs_diff'], '.2g')} | "
                     f"{_fmt(agree, '.1f')}{'' if agree is None else ' %'} | "
                     f"{batches or '-'} | "
                     f"{_fmt(r['latency_ms'], '.3f')}{_at(r.get('latency_batch'))} | {r['note']} |")
    return "\n".join(lines)
