"""Every runtime a frozen graph runs in, each written once: its name, what it needs, how it runs.

``verify --runtimes``, ``verify_runtimes``, the support matrix and ``benchmarks/bench_runtimes.py``
loop over ``RUNTIMES``; adding a runtime is one ``Runtime(...)`` entry here.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import Keras2pbError
from .optional import module_name
from .timing import median_ms

Feeds = dict[str, np.ndarray]


@dataclass
class Target:
    """What a runtime is prepared for: the frozen graph (loaded, and its file) and a folder
    where conversions (the OpenCV variant, the ONNX export, the C client) are written."""

    pb_path: Path
    graph: Any  # keras2pb.runtime.frozen_graph.FrozenGraph
    folder: Path
    c_binary: Path | None = None
    made: dict[str, Path] = field(default_factory=dict)  # conversions made once per target

    def onnx_file(self) -> Path:
        """The ONNX export of the graph, made once per target."""
        if "onnx" not in self.made:
            from .onnx_export import export_onnx

            path = self.folder / (self.pb_path.stem + ".onnx")
            export_onnx(self.pb_path, path)
            self.made["onnx"] = path
        return self.made["onnx"]


@dataclass
class Runner:
    """A runtime ready to run one graph: ``run(feeds) -> {output name: array}``, and
    ``time_ms(feeds, repeats)``, the median wall time of one call on ``feeds``."""

    run: Callable[[Feeds], Feeds]
    note: str
    time_ms: Callable[[Feeds, int], float | None] | None = None

    def median_ms(self, feeds: Feeds, repeats: int) -> float | None:
        """Median milliseconds of one ``run(feeds)``, timed in this process unless the runtime
        times itself (a child process is timed inside the child)."""
        if self.time_ms is not None:
            return self.time_ms(feeds, repeats)
        return median_ms(lambda: self.run(feeds), repeats)


@dataclass(frozen=True)
class Runtime:
    """One runtime: ``name`` (as ``--runtimes`` takes it), ``title`` (a table heading),
    ``modules`` it imports, the pip packages that provide them, and ``prepare``: a Target ->
    a Runner. ``child``: it runs in a child process, so a crash is a one-line error."""

    name: str
    title: str
    modules: tuple[str, ...]
    pip: str
    prepare: Callable[[Target], Runner]
    child: bool = False
    needs_compiler: bool = False
    #: ``run_nodes(frozen graph, feeds, tensor names) -> {tensor name: array}``: the graph run
    #: with its intermediate tensors as extra outputs, for per-node drift (None: not offered)
    run_nodes: Callable[[Any, Feeds, list[str]], Feeds] | None = None

    def missing(self) -> list[str]:
        """What this runtime needs that cannot be found here (empty when it can run)."""
        gone = [module_name(m) for m in self.modules
                if importlib.util.find_spec(module_name(m)) is None]
        if self.needs_compiler:
            from .c_client import c_compiler

            if c_compiler() is None:
                gone.append(f"a C compiler ({os.environ.get('CC', 'cc')})")
        return gone


def _tf(target: Target) -> Runner:
    return Runner(target.graph.run, "keras2pb.load(...): TensorFlow Session, in this process")


def _c(target: Target) -> Runner:
    from .c_client import build_c_client, run_c_client

    if target.c_binary is None:
        target.c_binary = build_c_client(target.folder / "keras2pb-predict")
    binary = target.c_binary
    return Runner(lambda feeds: run_c_client(binary, target.pb_path, feeds),
                  "keras2pb/runtime/c/predict.c (TensorFlow's C API), one process per call")


def _opencv(target: Target) -> Runner:
    from .opencv import opencv_ready_path, run_opencv

    path, converted = opencv_ready_path(target.pb_path, target.graph.graph_def, target.folder)
    note = "OpenCV DNN, child process"
    if converted:
        note += "; converted on the fly (ship it with freeze --for-opencv)"
    return Runner(lambda feeds: run_opencv(path, feeds).outputs, note,
                  lambda feeds, n: run_opencv(path, feeds, repeats=n).median_ms)


def _opencv_onnx(target: Target) -> Runner:
    from .opencv import run_opencv_onnx

    path = target.onnx_file()
    return Runner(lambda feeds: run_opencv_onnx(path, feeds).outputs,
                  "tf2onnx + cv2.dnn.readNetFromONNX, child process",
                  lambda feeds, n: run_opencv_onnx(path, feeds, repeats=n).median_ms)


def _onnx(target: Target) -> Runner:
    from .onnx_export import OnnxModel

    model = OnnxModel(target.onnx_file())
    return Runner(model, f"tf2onnx + onnxruntime {model.version}")


def _with_tensors(module: str) -> Callable[[Any, Feeds, list[str]], Feeds]:
    """``keras2pb.runtime.<module>.run_with_tensors``, imported when it is first called."""
    def run(graph: Any, feeds: Feeds, tensors: list[str]) -> Feeds:
        import importlib

        return importlib.import_module(f"{__package__}.{module}").run_with_tensors(
            graph, feeds, tensors)
    return run


def _openvino(target: Target) -> Runner:
    from .openvino import OpenVinoModel

    model = OpenVinoModel(target.pb_path)
    return Runner(model, f"OpenVINO {model.version} reads the .pb itself, float32 precision")


RUNTIMES: dict[str, Runtime] = {r.name: r for r in (
    Runtime("tf", "TensorFlow (keras2pb.load)", ("tensorflow",), "tensorflow", _tf),
    Runtime("c", "C client (TF C API)", ("tensorflow",), "tensorflow", _c, child=True,
            needs_compiler=True),
    Runtime("opencv", "OpenCV DNN (.pb)", ("cv2",), "opencv-python-headless", _opencv,
            child=True),
    Runtime("opencv-onnx", "OpenCV DNN (ONNX)", ("cv2", "tf2onnx", "onnx"),
            "opencv-python-headless tf2onnx onnx", _opencv_onnx, child=True),
    Runtime("onnx", "ONNX Runtime", ("tf2onnx", "onnxruntime"), "tf2onnx onnxruntime", _onnx,
            run_nodes=_with_tensors("onnx_export")),
    Runtime("openvino", "OpenVINO (.pb)", ("openvino",), "openvino", _openvino,
            run_nodes=_with_tensors("openvino")),
)}


def runtime(name: str) -> Runtime:
    """The runtime called ``name``; raises Keras2pbError naming the known ones otherwise."""
    try:
        return RUNTIMES[name]
    except KeyError:
        raise Keras2pbError(f"unknown runtime {name!r}: choose from "
                            f"{', '.join(RUNTIMES)}") from None


def missing_modules(name: str) -> list[str]:
    """What runtime ``name`` needs that cannot be found (empty when it can run).

    Raises Keras2pbError for an unknown name.
    """
    return runtime(name).missing()
