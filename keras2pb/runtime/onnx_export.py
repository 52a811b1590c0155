"""Converting a frozen .pb to ONNX with tf2onnx (names from the sidecar) and running it in ORT."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import Keras2pbError, one_line
from ..graph.signature import as_feeds, node_name, require_signature
from .optional import module_name, optional_module

_ORT_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64,
              "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(uint8)": np.uint8,
              "tensor(bool)": np.bool_, "tensor(float16)": np.float16}


class _Errors(logging.Handler):
    """Collects the ERROR records tf2onnx logs (it logs failed ops and carries on)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage().split(" (fct=")[0]  # drop tf2onnx's dump of the node
        self.messages.append(" ".join(text.split()))


@contextlib.contextmanager
def _quiet_loggers(*names: str) -> Iterator[_Errors]:
    """Raise these loggers to ERROR, drop their output, and yield the ERROR records."""
    loggers = [logging.getLogger(n) for n in names]
    saved = [(lg.level, lg.propagate, lg.handlers[:]) for lg in loggers]
    errors = _Errors()
    for lg in loggers:
        lg.setLevel(logging.ERROR)
        lg.propagate = False
        lg.handlers = [errors]
    try:
        yield errors
    finally:
        for lg, (level, propagate, handlers) in zip(loggers, saved, strict=True):
            lg.setLevel(level)
            lg.propagate = propagate
            lg.handlers = handlers


#: Ops in an ONNX export that say why it cannot run, and the way out.
_WAYS_OUT = (
    (("TensorList", "Enter", "Exit", "NextIteration", "LoopCond"),
     "the graph's loops were lowered when it was frozen (an older keras2pb): freeze the "
     "model again with this keras2pb, which keeps them as While loops tf2onnx converts"),
    (("HashTable", "LookupTable", "InitializeTable", "StringSplit", "RegexReplace",
      "StringLower", "StaticRegex"),
     "text ops and lookup tables (TextVectorization, StringLookup) have no ONNX conversion "
     "from a frozen graph: keep the text preprocessing outside the model and export the "
     "model that takes token ids (the .pb itself runs them in TensorFlow and the C API)"),
    (("PartitionedCall",),
     "a function call is left in the graph; please report it with the model"),
)


def _way_out(text: str) -> str:
    """The way out for an export error that names one of ``_WAYS_OUT``' ops, or ''."""
    for ops, advice in _WAYS_OUT:
        if any(op in text for op in ops):
            return f"; {advice}"
    return ""


def export_onnx(pb_path: str | os.PathLike, onnx_path: str | os.PathLike,
                opset: int | None = None, *, allow_unsafe_ops: bool = False) -> Path:
    """Convert the frozen graph ``pb_path`` to an ONNX file ``onnx_path`` with tf2onnx, check
    it, and run it once before writing it.

    In: a ``.pb`` with its keras2pb sidecar (``<pb>.json``): the input and output tensor
    names come from it, nothing is guessed; ``opset``: the ONNX opset (default: tf2onnx's).
    The ONNX inputs/outputs keep the TF tensor names (``image:0``, ``probs:0``); inputs stay
    NHWC. XLA-compiled calls (a grouped ``Conv2D``) are inlined first. The export must pass
    ``onnx.checker`` (full check) and, when ONNX Runtime is installed, run on a seeded batch of
    2 within ``relative_tolerance`` of TensorFlow with every argmax agreeing. Out: the written
    path (written atomically; nothing is written when a check fails). Raises Keras2pbError
    when tf2onnx is not installed, the sidecar is missing, the conversion or a check fails,
    with the way out where there is one. tf2onnx imports the graph and folds its constants
    (it runs ops), so the graph gets ``load``'s checks first: unknown ops, and unless
    ``allow_unsafe_ops`` ops that touch files, the network or Python, are refused; an
    unsupported TensorFlow is refused too.
    """
    from ..fileio import atomic_write_bytes
    from ..graph.checks import validate_graph
    from ..graph.opencv_rewrite import inline_compiled_calls
    from ..graph.reading import read_graph_def
    from ..versions import require_supported

    require_supported()
    pb_path = Path(pb_path)
    tf2onnx = optional_module("tf2onnx")
    onnx = optional_module("onnx")
    graph_def = read_graph_def(pb_path)
    validate_graph(graph_def, pb_path, allow_unsafe_ops=allow_unsafe_ops)
    signature = require_signature(pb_path)
    inputs = [i.tensor for i in signature.inputs]
    outputs = [o.tensor for o in signature.outputs]
    converted, _ = inline_compiled_calls(graph_def, [node_name(n) for n in inputs + outputs])
    try:
        with _quiet_loggers("tf2onnx", "tensorflow") as errors:
            model_proto, _ = tf2onnx.convert.from_graph_def(
                converted, input_names=inputs, output_names=outputs, opset=opset)
    except Exception as exc:  # tf2onnx raises many types (ValueError, KeyError, its own)
        raise Keras2pbError(f"tf2onnx could not convert the graph: {type(exc).__name__}: "
                            f"{one_line(exc)}{_way_out(str(exc))}", pb_path) from exc
    if errors.messages:  # tf2onnx converts with continue_on_error: a failed op is only logged
        more = len(errors.messages) - 1
        raise Keras2pbError(f"tf2onnx could not convert the graph: {one_line(errors.messages[0])}"
                            + (f" (and {more} more)" if more else "")
                            + _way_out(" ".join(errors.messages)), pb_path)
    model_proto.doc_string = f"converted by keras2pb from {pb_path.name}"
    try:
        onnx.checker.check_model(model_proto, full_check=True)
    except Exception as exc:  # onnx.checker.ValidationError, onnx's shape inference errors
        raise Keras2pbError(f"the ONNX export is not valid (onnx.checker: {one_line(exc, 200)})"
                            f"{_way_out(str(exc))}; nothing was written", pb_path) from exc
    data = model_proto.SerializeToString()
    _run_once(data, graph_def, signature, pb_path)
    return atomic_write_bytes(onnx_path, data)


#: The batch ``export_onnx`` runs the export at (> 1: a batch dimension wrongly fixed shows).
CHECK_BATCH = 2


def _run_once(data: bytes, graph_def: Any, signature: Any, pb_path: Path) -> None:
    """Run the export ``data`` in ONNX Runtime (when installed) on a seeded batch and compare it
    with TensorFlow running ``graph_def``; raises Keras2pbError when it fails or differs."""
    import importlib.util

    if importlib.util.find_spec(module_name("onnxruntime")) is None:
        return
    from ..graph.signature import example_feeds
    from .frozen_graph import FrozenGraph
    from .verify import relative_error, relative_tolerance

    fixed = [i.shape[0] for i in signature.inputs if i.shape and i.shape[0]]
    feeds = example_feeds(signature.inputs, fixed[0] if fixed else CHECK_BATCH, seed=0)
    try:
        got = OnnxModel(data, pb_path)(feeds)
    except Keras2pbError as exc:
        reason = str(exc).removeprefix(f"{pb_path}: ")
        raise Keras2pbError(f"the ONNX export does not run in ONNX Runtime: {reason}"
                            f"{_way_out(reason)}; nothing was written", pb_path) from exc
    with FrozenGraph(graph_def, signature) as graph:
        rel, same = relative_error(graph.run(feeds), got)
    if rel > relative_tolerance(graph_def) or not same:
        raise Keras2pbError(f"the ONNX export runs {rel:.1e} off TensorFlow (relative error)"
                            f"{'' if same else ', with a different argmax'} in ONNX Runtime; "
                            "nothing was written; please report it with the model", pb_path)


class OnnxModel:
    """An ONNX file exported by ``export_onnx``, run by ONNX Runtime on the CPU.

    ``model(feeds)`` takes a dict input name (``image`` or ``image:0``) -> array, or one array
    for a one-input model, and returns a dict output name (``probs``) -> array.
    """

    def __init__(self, onnx_path: str | os.PathLike | bytes,
                 path: str | os.PathLike | None = None) -> None:
        """``onnx_path``: the file, or the model's bytes (then ``path`` names it in errors)."""
        ort = optional_module("onnxruntime")
        self.path = Path(path if isinstance(onnx_path, bytes) else onnx_path)
        try:
            self.session = ort.InferenceSession(
                onnx_path if isinstance(onnx_path, bytes) else str(self.path),
                providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime's own exception types
            raise Keras2pbError(f"ONNX Runtime could not load the model: {one_line(exc)}",
                                self.path) from exc
        self.version = ort.__version__
        self.input_names = [i.name for i in self.session.get_inputs()]
        self._dtypes = {i.name: _ORT_TYPES.get(i.type) for i in self.session.get_inputs()}
        self.output_names = [o.name for o in self.session.get_outputs()]

    def __call__(self, feeds: Any) -> dict[str, np.ndarray]:
        """Run the model; ``feeds`` as in the class docstring. Raises Keras2pbError."""
        ort_feeds = {n: np.ascontiguousarray(v, dtype=self._dtypes[n])
                     for n, v in as_feeds(feeds, self.input_names, self.path).items()}
        try:
            results = self.session.run(self.output_names, ort_feeds)
        except Exception as exc:
            raise Keras2pbError(f"ONNX Runtime refused the input: {one_line(exc)}",
                                self.path) from exc
        return {node_name(n): r for n, r in zip(self.output_names, results, strict=True)}


def run_with_tensors(graph, feeds: dict[str, np.ndarray], tensors: list[str]
                     ) -> dict[str, np.ndarray]:
    """The frozen graph converted by tf2onnx with ``tensors`` as extra outputs (tf2onnx keeps
    TensorFlow's tensor names), run by ONNX Runtime. Raises Keras2pbError when it fails."""
    tf2onnx = optional_module("tf2onnx")
    ort = optional_module("onnxruntime")
    outputs = list(dict.fromkeys([o.tensor for o in graph.outputs] + tensors))
    try:
        with _quiet_loggers("tf2onnx", "tensorflow"):
            proto, _ = tf2onnx.convert.from_graph_def(
                graph.graph_def, input_names=[i.tensor for i in graph.inputs],
                output_names=outputs)
        session = ort.InferenceSession(proto.SerializeToString(),
                                       providers=["CPUExecutionProvider"])
        names = [o.name for o in session.get_outputs()]
        results = session.run(names, {i.tensor: feeds[i.name] for i in graph.inputs})
    except Exception as exc:  # tf2onnx and onnxruntime raise many types
        raise Keras2pbError(f"tf2onnx + ONNX Runtime could not run the graph with its "
                            f"intermediate tensors: {one_line(exc)}", graph.path) from exc
    return dict(zip(names, results, strict=True))
