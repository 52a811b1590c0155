"""OpenCV DNN: run a frozen graph (or its ONNX export) in a child process, where crashes stay.

The graph rewrite that makes a ``.pb`` readable by OpenCV is in ``keras2pb.graph.opencv_rewrite``.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import Keras2pbError, one_line
from ..graph.opencv_rewrite import make_opencv_ready
from ..graph.signature import Signature, as_feeds, node_name, require_signature, sidecar_path
from .isolation import run_child
from .optional import optional_module

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef

#: Where OpenCV says an error happened: "OpenCV(5.0.0) /io/opencv/.../x.cpp:167: error: ".
_CV_WHERE = re.compile(r"^OpenCV\([^)]*\) \S+:\d+: error: ")
#: Seconds a child process may take before it is stopped.
CHILD_TIMEOUT = 900.0


def _signature(pb_path: Path) -> Signature:
    return require_signature(pb_path, "naming the input layout and layer names; freeze it "
                                      "with keras2pb (freeze --for-opencv)")


def opencv_ready_path(pb_path: str | os.PathLike, graph_def: GraphDef,
                      folder: str | os.PathLike) -> tuple[Path, bool]:
    """``pb_path`` if it already is the OpenCV variant, else the variant written into ``folder``.

    Returns ``(path, converted)``. Raises Keras2pbError without a sidecar or when the graph
    cannot be made OpenCV-ready.
    """
    signature = _signature(Path(pb_path))
    if "opencv" in signature.extra:
        return Path(pb_path), False
    from ..fileio import atomic_write_many

    gd, side = make_opencv_ready(graph_def, signature, pb_path)
    out = Path(folder) / (Path(pb_path).stem + ".opencv.pb")
    atomic_write_many({out: gd.SerializeToString(), sidecar_path(out): side.to_json().encode()})
    return out, True


#: The batch sizes ``freeze --for-opencv`` runs the variant at before writing it: 1 and one
#: above. OpenCV 5.0 ran an adapted Normalization model right at batch 1, failed it at 2 and 4
#: and ran it 5 % off with no error at 3 (issue 21): an odd batch catches both kinds.
CHECK_BATCHES = (1, 3)
#: What to try when OpenCV cannot run the ``.pb`` variant: the route OpenCV keeps.
ONNX_WAY_OUT = ("use the ONNX route instead: keras2pb export-onnx, then "
                "cv2.dnn.readNetFromONNX (or run the .pb in TensorFlow or the C client)")


def check_opencv_variant(graph_def: GraphDef, signature: Signature, variant: GraphDef,
                         variant_signature: Signature, origin: str | os.PathLike
                         ) -> dict[str, Any]:
    """Run the OpenCV variant in OpenCV and the frozen graph it came from in TensorFlow, on the
    same seeded inputs at each batch of ``CHECK_BATCHES`` (or the graph's fixed batch), before
    ``freeze --for-opencv`` writes it.

    In: the plain frozen graph and its signature, the variant and its signature (from
    ``make_opencv_ready``), and ``origin``, the file named in errors. Out: what was checked,
    for the sidecar: ``{"checked": True, "opencv": version, "relative_error": {batch: e}}``,
    or ``{"checked": False, "reason": ...}`` when OpenCV is not installed. Raises
    Keras2pbError naming ``origin`` when OpenCV cannot read or run the variant, or its outputs
    differ from TensorFlow's (relative error > ``relative_tolerance`` or an argmax differs),
    with the way out.
    """
    import importlib.util

    from ..fileio import atomic_write_many
    from ..graph.signature import example_feeds
    from .frozen_graph import FrozenGraph
    from .verify import relative_error, relative_tolerance

    if importlib.util.find_spec("cv2") is None:
        return {"checked": False, "reason": "OpenCV is not installed here "
                "(pip install opencv-python-headless); run keras2pb verify --runtimes opencv"}
    fixed = sorted({i.shape[0] for i in signature.inputs if i.shape and i.shape[0]})
    batches = tuple(fixed) if fixed else CHECK_BATCHES
    feeds = example_feeds(signature.inputs, max(batches), seed=0)
    errors: dict[int, float] = {}
    version = "?"
    with FrozenGraph(graph_def, signature) as graph, \
            tempfile.TemporaryDirectory(prefix="keras2pb-opencv-check-") as tmp:
        pb = Path(tmp) / "variant.pb"
        atomic_write_many({pb: variant.SerializeToString(),
                           sidecar_path(pb): variant_signature.to_json().encode()})
        for b in batches:
            fb = {k: v[:b] for k, v in feeds.items()}
            try:
                run = run_opencv(pb, fb)
            except Keras2pbError as exc:
                reason = str(exc).removeprefix(f"{pb}: ")
                raise Keras2pbError(f"the --for-opencv variant does not run in OpenCV at batch "
                                    f"{b}: {reason}; {ONNX_WAY_OUT}", origin) from exc
            version = run.version
            rel, same = relative_error(graph.run(fb), run.outputs)
            errors[b] = rel
            if rel > relative_tolerance(graph_def) or not same:
                raise Keras2pbError(
                    f"OpenCV {version} runs the --for-opencv variant {rel:.1e} off TensorFlow "
                    f"(relative error) at batch {b}"
                    f"{'' if same else ', with a different argmax'}; nothing was written. "
                    f"Please report it with the model; {ONNX_WAY_OUT}", origin)
    return {"checked": True, "opencv": version,
            "relative_error": {str(b): e for b, e in errors.items()}}


@dataclass
class OpenCVRun:
    """What one OpenCV child process did: outputs by TF output name, and its timings."""

    outputs: dict[str, np.ndarray]
    version: str
    load_seconds: float
    seconds: list[float] = field(default_factory=list)  # one per timed call

    @property
    def median_ms(self) -> float | None:
        """Median of the timed calls in milliseconds (None when nothing was timed)."""
        return statistics.median(self.seconds) * 1e3 if self.seconds else None


def _blobs(feeds: Any, cv: dict[str, Any], pb_path: Path) -> dict[str, np.ndarray]:
    """``feeds`` (as ``as_feeds`` takes them) as float32 blobs, 4-D ones transposed to NCHW."""
    feeds = as_feeds(feeds, [i["name"] for i in cv["inputs"]], pb_path)
    blobs = {}
    for info in cv["inputs"]:
        arr = np.asarray(feeds[info["name"]], dtype=np.float32)
        if info["transpose"]:
            if arr.ndim != 4:
                raise Keras2pbError(f"input {info['name']!r} expects a 4-D NHWC array, got "
                                    f"shape {arr.shape}", pb_path)
            arr = arr.transpose(info["transpose"])
        blobs[info["name"]] = np.ascontiguousarray(arr)
    return blobs


def _run_cv_child(spec: dict[str, Any], blobs: dict[str, np.ndarray], n_outputs: int,
                  path: Path, timeout: float, crashed: str) -> tuple[list[np.ndarray], dict]:
    """Run ``python -m keras2pb.runtime.opencv`` on ``spec`` and ``blobs`` (input name -> array).

    Returns the child's ``n_outputs`` arrays and its result (version, timings). Raises
    Keras2pbError naming ``path`` with OpenCV's reason, or ``crashed`` when a signal killed it.
    """
    with tempfile.TemporaryDirectory(prefix="keras2pb-opencv-") as tmp:
        spec = dict(spec, **{"in": os.path.join(tmp, "in.npz"),
                             "out": os.path.join(tmp, "out.npz"),
                             "result": os.path.join(tmp, "result.json")})
        np.savez(spec["in"], **blobs)
        spec_path = os.path.join(tmp, "spec.json")
        Path(spec_path).write_text(json.dumps(spec), encoding="utf-8")
        proc = run_child(["-m", "keras2pb.runtime.opencv", spec_path], path=path, timeout=timeout,
                         crashed=crashed)
        result = {}
        if os.path.exists(spec["result"]):
            result = json.loads(Path(spec["result"]).read_text(encoding="utf-8"))
        if proc.returncode != 0 or "error" in result:
            last = one_line(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip()
                            else "no message")
            raise Keras2pbError(result.get("error") or f"OpenCV child failed: {last}", path)
        with np.load(spec["out"]) as data:
            return [data[f"out{i}"] for i in range(n_outputs)], result


def run_opencv(pb_path: str | os.PathLike, feeds: Any, *, repeats: int = 0,
               engine: str = "auto", timeout: float = CHILD_TIMEOUT) -> OpenCVRun:
    """Run the OpenCV variant ``pb_path`` on ``feeds`` in a child process.

    In: a ``.pb`` written by ``freeze(..., for_opencv=True)`` (its sidecar gives the layout and
    layer names); ``feeds``: an NHWC array (one input) or dict input name -> array, as for
    TensorFlow; ``repeats``: extra timed calls on the same feeds; ``engine``: ``auto``, ``new``
    or ``classic``. Out: ``OpenCVRun`` with outputs by TF output name (4-D ones back in NHWC).
    Raises Keras2pbError when OpenCV is missing, refuses the graph, crashes (a segfault kills
    only the child) or takes longer than ``timeout`` seconds.
    """
    pb_path = Path(pb_path)
    cv = _signature(pb_path).extra.get("opencv")
    if cv is None:
        raise Keras2pbError(f"{pb_path}: not the OpenCV variant (its sidecar has no 'opencv' "
                            "entry); freeze with --for-opencv / freeze(..., for_opencv=True)")
    if engine not in ("auto", "new", "classic"):
        raise Keras2pbError(f"unknown OpenCV engine {engine!r}: use auto, new or classic")
    blobs = _blobs(feeds, cv, pb_path)
    spec = {"pb": str(pb_path.resolve()), "inputs": list(blobs), "outputs": cv["output_layers"],
            "engine": engine, "repeats": int(repeats)}
    arrays, result = _run_cv_child(spec, blobs, len(cv["outputs"]), pb_path, timeout,
                                   "OpenCV crashed ({signal}) running the graph in a child "
                                   "process; is it the --for-opencv variant?")
    outputs = {}
    for info, arr in zip(cv["outputs"], arrays, strict=True):
        if info.get("transpose_back") and arr.ndim == 4:
            arr = arr.transpose(info["transpose_back"])
        outputs[info["name"]] = np.ascontiguousarray(arr)
    return OpenCVRun(outputs, result["version"], result["load_seconds"], result["seconds"])


def run_opencv_onnx(onnx_path: str | os.PathLike, feeds: Any, *, repeats: int = 0,
                    engine: str = "auto", timeout: float = CHILD_TIMEOUT) -> OpenCVRun:
    """Run an ONNX file (from ``keras2pb.runtime.onnx_export.export_onnx``) in OpenCV DNN, in
    a child process: ``cv2.dnn.readNetFromONNX``, the route OpenCV keeps (its new engine reads ONNX
    only, and its TensorFlow importer is being removed).

    In: ``feeds`` as for ``run_opencv`` (NHWC arrays: tf2onnx keeps TensorFlow's layout, so
    nothing is transposed), by input name with or without ``:0``. Out: ``OpenCVRun`` with
    outputs by output name without ``:0`` (``probs``). Raises Keras2pbError when OpenCV or
    onnx is missing, OpenCV refuses or crashes on the file, or the feeds do not fit.
    """
    onnx_path = Path(onnx_path)
    onnx = optional_module("onnx")
    if engine not in ("auto", "new", "classic"):
        raise Keras2pbError(f"unknown OpenCV engine {engine!r}: use auto, new or classic")
    try:
        graph = onnx.load(str(onnx_path), load_external_data=False).graph
    except Exception as exc:  # onnx raises DecodeError, OSError, its own types
        raise Keras2pbError(f"not a readable ONNX file: {one_line(exc, 200)}", onnx_path) \
            from exc
    known = {i.name for i in graph.initializer}
    in_names = [i.name for i in graph.input if i.name not in known]
    out_names = [o.name for o in graph.output]
    cv = {"inputs": [{"name": node_name(n), "transpose": None} for n in in_names]}
    blobs = _blobs(feeds, cv, onnx_path)
    spec = {"pb": str(onnx_path.resolve()), "format": "onnx", "engine": engine,
            "inputs": in_names, "outputs": out_names, "repeats": int(repeats)}
    arrays, result = _run_cv_child(
        spec, {full: blobs[node_name(full)] for full in in_names}, len(out_names), onnx_path,
        timeout, "OpenCV crashed ({signal}) reading or running the ONNX file in a child process")
    outputs = {node_name(n): np.ascontiguousarray(a)
               for n, a in zip(out_names, arrays, strict=True)}
    return OpenCVRun(outputs, result["version"], result["load_seconds"], result["seconds"])


def _child(spec_path: str) -> int:
    """The child process: load the graph in OpenCV, run it, write outputs and timings."""
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))

    def fail(message: str, code: int = 1) -> int:
        Path(spec["result"]).write_text(json.dumps({"error": message}), encoding="utf-8")
        return code

    try:
        cv2 = optional_module("cv2", "opencv-python-headless")
    except Keras2pbError as exc:
        return fail(str(exc), 4)
    t0 = time.perf_counter()
    try:
        net = _read_net(cv2, spec["pb"], spec.get("format", "tensorflow"), spec["engine"])
    except cv2.error as exc:
        return fail(f"OpenCV {cv2.__version__} could not read the graph: {_cv_message(exc)}")
    load_seconds = time.perf_counter() - t0
    layers = set(net.getLayerNames()) | set(net.getUnconnectedOutLayersNames())
    unknown = [n for n in spec["outputs"] if n not in layers]
    if unknown:
        return fail(f"OpenCV has no layer {', '.join(unknown)}; its output layers are "
                    f"{', '.join(net.getUnconnectedOutLayersNames())}")
    with np.load(spec["in"]) as data:
        blobs = {name: data[name] for name in spec["inputs"]}

    def once() -> list[np.ndarray]:
        for name, blob in blobs.items():
            net.setInput(blob, name)
        return list(net.forward(spec["outputs"]))

    try:
        outs = once()
        seconds = []
        for _ in range(spec["repeats"]):
            t = time.perf_counter()
            once()
            seconds.append(time.perf_counter() - t)
    except cv2.error as exc:
        return fail(f"OpenCV {cv2.__version__} could not run the graph: {_cv_message(exc)}")
    np.savez(spec["out"], **{f"out{i}": o for i, o in enumerate(outs)})
    Path(spec["result"]).write_text(json.dumps(
        {"version": cv2.__version__, "load_seconds": load_seconds, "seconds": seconds}),
        encoding="utf-8")
    return 0


def _read_net(cv2: Any, path: str, fmt: str, engine: str) -> Any:
    """``cv2.dnn.readNetFromONNX`` or ``readNetFromTensorflow`` with ``engine`` (auto, new,
    classic); OpenCV 4.x has one engine only, so there ``engine`` is ignored."""
    engines = {"auto": "ENGINE_AUTO", "new": "ENGINE_NEW", "classic": "ENGINE_CLASSIC"}
    flag = getattr(cv2.dnn, engines[engine], None)
    if fmt == "onnx":
        return cv2.dnn.readNetFromONNX(path) if flag is None else \
            cv2.dnn.readNetFromONNX(path, flag)
    return cv2.dnn.readNetFromTensorflow(path) if flag is None else \
        cv2.dnn.readNetFromTensorflow(path, "", flag)


def _cv_message(exc: Exception) -> str:
    """OpenCV's reason, without its ``OpenCV(5.0.0) /io/.../file.cpp:167: error:`` prefix."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    useful = [ln for ln in lines if "error:" in ln] or lines or ["unknown error"]
    return one_line(_CV_WHERE.sub("", useful[-1]))


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
