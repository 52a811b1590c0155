"""Loading a frozen .pb and running it: a fast call, the classic import/ route, and TF2's.

``python -m keras2pb.loading GRAPH.pb [--allow-unsafe-ops]`` is ``probe_graph``'s child.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow.core.framework.graph_pb2 import GraphDef

from .errors import EXIT_USER_ERROR, Keras2pbError, one_line
from .graphcheck import validate_graph
from .graphio import read_graph_def
from .isolation import OWN_PREFIX, TF_CRASHED, own_lines, run_child
from .sidecar import read_sidecar
from .versions import require_supported

require_supported()  # an old TensorFlow fails here, naming the minimum version

#: The name scope the classic tutorial imported graphs under: fetch "import/probs:0".
IMPORT_PREFIX = "import"
_NO_OUTPUT_OPS = {"NoOp", "Const", "Placeholder", "Assert", "VarHandleOp"}


@dataclass(frozen=True)
class TensorInfo:
    """One input or output of a frozen graph."""

    name: str  # node name, e.g. "image"
    tensor: str  # tensor name, e.g. "image:0"
    shape: tuple[int | None, ...] | None  # None when unknown
    dtype: str  # numpy dtype name, e.g. "float32"


def _info(entry: dict[str, Any]) -> TensorInfo:
    shape = entry.get("shape")
    return TensorInfo(entry["name"], entry["tensor"],
                      None if shape is None else tuple(shape), entry["dtype"])


def _attr_shape(node) -> tuple[int | None, ...] | None:
    if "shape" not in node.attr:  # test first: reading a missing map key inserts it
        return None
    shape = node.attr["shape"].shape
    if shape.unknown_rank:
        return None
    return tuple(None if d.size < 0 else d.size for d in shape.dim)


def _dtype_name(enum: int) -> str:
    try:
        return tf.as_dtype(enum).name
    except TypeError:
        return f"invalid-dtype-{enum}"


def discover_io(gd: GraphDef) -> tuple[list[TensorInfo], list[TensorInfo]]:
    """Guess inputs (Placeholders) and outputs (nodes nobody consumes) without a sidecar."""
    consumed = {i.lstrip("^").split(":")[0] for n in gd.node for i in n.input}
    inputs = [TensorInfo(n.name, f"{n.name}:0", _attr_shape(n),
                         _dtype_name(n.attr["dtype"].type if "dtype" in n.attr else 0))
              for n in gd.node if n.op == "Placeholder"]
    outputs = []
    for n in gd.node:
        if n.name in consumed or n.op in _NO_OUTPUT_OPS:
            continue
        dtype = n.attr["T"].type if "T" in n.attr else 1
        outputs.append(TensorInfo(n.name, f"{n.name}:0", None, _dtype_name(dtype)))
    return inputs, outputs


def graph_io(gd: GraphDef, sidecar: dict[str, Any] | None
             ) -> tuple[list[TensorInfo], list[TensorInfo]]:
    """Inputs and outputs of ``gd``: from its sidecar when there is one, else discovered."""
    if sidecar is None:
        return discover_io(gd)
    return [_info(e) for e in sidecar["inputs"]], [_info(e) for e in sidecar["outputs"]]


def closest_names(name: str, choices: list[str]) -> list[str]:
    """``choices`` ordered with the names closest to ``name`` first."""
    close = difflib.get_close_matches(name, choices, n=len(choices), cutoff=0.0)
    return close + [c for c in choices if c not in close]


class FrozenGraph:
    """A frozen graph loaded for inference.

    ``graph(x)`` runs it: ``x`` is an array (one input), a list of arrays (in ``inputs``
    order) or a dict name -> array; the result is an array (one output) or a dict name ->
    array. Under the hood: the GraphDef imported under ``import/`` into ``self.graph``, run by
    a ``Session`` callable (the fastest TF path for one call). ``self.session`` and
    ``self.graph`` are the classic TF1 route: ``session.run("import/probs:0",
    {"import/image:0": x})``. ``self.function`` is the TF2 route (a pruned
    ``wrap_function`` inside ``tf.function``).
    """

    def __init__(self, graph_def: GraphDef, inputs: list[TensorInfo],
                 outputs: list[TensorInfo], path: str | os.PathLike | None = None,
                 sidecar: dict[str, Any] | None = None) -> None:
        self.graph_def = graph_def
        self.inputs = inputs
        self.outputs = outputs
        self.path = None if path is None else Path(path)
        self.sidecar = sidecar
        self.graph = tf.Graph()
        with self.graph.as_default():
            try:
                tf.compat.v1.import_graph_def(graph_def, name=IMPORT_PREFIX)
            except (ValueError, TypeError, KeyError, tf.errors.OpError) as exc:
                raise Keras2pbError(f"TensorFlow could not import the graph: "
                                    f"{one_line(exc)}", path) from exc
        node_names = {n.name for n in graph_def.node}
        for info in inputs + outputs:
            if info.name not in node_names:
                raise Keras2pbError(f"sidecar names tensor {info.tensor!r}, which is not in "
                                    "the graph; freeze again", path)
        self.session = tf.compat.v1.Session(graph=self.graph)
        self._callables: dict[tuple[str, ...], Any] = {}
        self._function = None

    @property
    def input_names(self) -> list[str]:
        """Node names of the inputs, e.g. ``["image"]``."""
        return [i.name for i in self.inputs]

    @property
    def output_names(self) -> list[str]:
        """Node names of the outputs, e.g. ``["probs"]``."""
        return [o.name for o in self.outputs]

    def tensor(self, name: str) -> TensorInfo:
        """Look up an input or output by node or tensor name, with or without ``import/``.

        Raises Keras2pbError listing the real names, closest first, when it does not exist.
        """
        key = name.removeprefix(f"{IMPORT_PREFIX}/").split(":")[0]
        for info in self.inputs + self.outputs:
            if info.name == key:
                return info
        return self._unknown(name, [i.name for i in self.inputs + self.outputs], "tensor")

    def _fetchable(self, name: str) -> TensorInfo:
        """An output, or any other tensor of the graph by name (``"dense/Relu:0"``)."""
        try:
            return self.tensor(name)
        except Keras2pbError as unknown:
            key = name.removeprefix(f"{IMPORT_PREFIX}/")
            key = key if ":" in key else f"{key}:0"
            try:
                t = self.graph.get_tensor_by_name(f"{IMPORT_PREFIX}/{key}")
            except (KeyError, ValueError):
                raise unknown from None
            return TensorInfo(key.split(":")[0], key, None, t.dtype.name)

    def _unknown(self, name: str, names: list[str], what: str):
        real = ", ".join(closest_names(name, names))
        raise Keras2pbError(f"no {what} named {name!r}; this graph has: {real}", self.path)

    def _feeds(self, x: Any) -> list[np.ndarray]:
        if isinstance(x, dict):
            given = {}
            for key, value in x.items():
                info = self.tensor(key)
                if info not in self.inputs:
                    self._unknown(key, self.input_names, "input")
                given[info.name] = value
            missing = [n for n in self.input_names if n not in given]
            if missing:
                raise Keras2pbError(f"missing input(s) {', '.join(missing)}; the graph needs "
                                    f"{', '.join(self.input_names)}", self.path)
            values = [given[n] for n in self.input_names]
        elif isinstance(x, (list, tuple)) and len(self.inputs) > 1:
            if len(x) != len(self.inputs):
                raise Keras2pbError(f"got {len(x)} arrays, the graph has {len(self.inputs)} "
                                    f"inputs: {', '.join(self.input_names)}", self.path)
            values = list(x)
        else:
            if len(self.inputs) != 1:
                raise Keras2pbError(f"the graph has {len(self.inputs)} inputs: pass a dict "
                                    f"{{{', '.join(repr(n) for n in self.input_names)}}}",
                                    self.path)
            values = [x]
        return [self._check_array(v, info) for v, info in zip(values, self.inputs, strict=True)]

    def _check_array(self, value: Any, info: TensorInfo) -> np.ndarray:
        try:
            want = np.dtype(object if info.dtype == "string" else info.dtype)
        except TypeError as exc:
            raise Keras2pbError(f"input {info.name!r} has dtype {info.dtype}, which cannot be "
                                "fed from numpy", self.path) from exc
        arr = np.asarray(value)
        if arr.dtype != want:
            expected = (f"input {info.name!r} expects dtype {want.name} with shape "
                        f"{_shape_text(info.shape)}, got {arr.dtype.name}")
            if arr.dtype.kind not in "biuf" or want.kind not in "biuf":
                raise Keras2pbError(expected, self.path)
            cast = arr.astype(want)
            # widening casts and numbers into floats are fine; narrower ints must still fit
            if not (np.can_cast(arr.dtype, want, "safe") or want.kind == "f"
                    or np.array_equal(cast, arr)):
                raise Keras2pbError(f"{expected} whose values do not fit in {want.name}",
                                    self.path)
            arr = cast
        if info.shape is not None:
            ok = arr.ndim == len(info.shape) and all(
                d is None or d == a for d, a in zip(info.shape, arr.shape, strict=True))
            if not ok:
                raise Keras2pbError(f"input {info.name!r} expects shape {_shape_text(info.shape)},"
                                    f" got {tuple(arr.shape)}", self.path)
        return arr

    def _callable(self, fetch: tuple[str, ...]):
        fn = self._callables.get(fetch)
        if fn is None:
            g = self.graph
            fn = self.session.make_callable(
                [g.get_tensor_by_name(f"{IMPORT_PREFIX}/{t}") for t in fetch],
                [g.get_tensor_by_name(f"{IMPORT_PREFIX}/{i.tensor}") for i in self.inputs])
            self._callables[fetch] = fn
        return fn

    def __call__(self, x: Any, outputs: list[str] | None = None) -> Any:
        """Run the graph on ``x``; return an array (one output) or a dict name -> array.

        ``outputs`` picks outputs by name (default: all), or any other tensor of the graph
        (``"flatten/Reshape:0"``). Raises Keras2pbError for wrong
        names, missing inputs, or arrays of the wrong shape or dtype.
        """
        chosen = self.outputs if outputs is None else [self._fetchable(n) for n in outputs]
        feeds = self._feeds(x)
        try:
            results = self._callable(tuple(o.tensor for o in chosen))(*feeds)
        except tf.errors.InvalidArgumentError as exc:
            raise Keras2pbError(f"TensorFlow refused the input: {self._reason(exc)}; check "
                                "the inputs against `keras2pb inspect`, or the graph is "
                                "damaged", self.path) from exc
        except tf.errors.OpError as exc:
            raise Keras2pbError(f"TensorFlow could not run the graph: "
                                f"{self._reason(exc)}", self.path) from exc
        except ValueError as exc:  # raised by Session while it reports a damaged node's error
            raise Keras2pbError(f"TensorFlow could not run the graph (damaged node names?): "
                                f"{one_line(exc, 200)}", self.path) from exc
        if len(chosen) == 1:
            return results[0]
        return {o.name: r for o, r in zip(chosen, results, strict=True)}

    @staticmethod
    def _reason(exc: Exception) -> str:
        """TensorFlow's reason for refusing a run, with the node named as in the file."""
        return one_line(exc, node_prefix=f"{IMPORT_PREFIX}/")

    @property
    def function(self):
        """The TF2 route: a ``tf.function`` taking the inputs positionally, returning a list.

        Built from ``tf.compat.v1.wrap_function`` + ``prune``, wrapped in ``tf.function``
        (unwrapped, a pruned function costs several ms per call).
        """
        if self._function is None:
            gd = self.graph_def
            wrapped = tf.compat.v1.wrap_function(
                lambda: tf.compat.v1.import_graph_def(gd, name=""), [])
            pruned = wrapped.prune(
                [wrapped.graph.get_tensor_by_name(i.tensor) for i in self.inputs],
                [wrapped.graph.get_tensor_by_name(o.tensor) for o in self.outputs])
            self._function = tf.function(pruned)
        return self._function

    def close(self) -> None:
        """Release the session."""
        self.session.close()

    def __enter__(self) -> FrozenGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        ins = ", ".join(f"{i.name}{_shape_text(i.shape)}" for i in self.inputs)
        outs = ", ".join(f"{o.name}{_shape_text(o.shape)}" for o in self.outputs)
        return f"FrozenGraph({self.path or '<memory>'}: {ins} -> {outs})"


def _shape_text(shape: tuple[int | None, ...] | None) -> str:
    if shape is None:
        return "(?)"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def zero_feeds(graph: FrozenGraph, batch: int = 1) -> dict[str, np.ndarray]:
    """Zeros for every input of ``graph`` (unknown dimensions set to ``batch``)."""
    return {i.name: np.zeros([batch if d is None else d for d in (i.shape or [batch])],
                             object if i.dtype == "string" else i.dtype)
            for i in graph.inputs}


def load(path: str | os.PathLike, *, allow_unsafe_ops: bool = False,
         isolate: bool = False) -> FrozenGraph:
    """Load a frozen graph from ``path`` for inference.

    Inputs/outputs come from the sidecar ``<path>.json`` when present, else are discovered
    (Placeholders; nodes nobody consumes). The graph is checked before it is imported:
    unknown ops, dangling inputs and (unless ``allow_unsafe_ops``) ops that touch files, the
    network or Python are refused. ``isolate=True`` (for graphs from elsewhere) first imports
    and runs the graph once in a child process, so a graph that crashes TensorFlow raises
    Keras2pbError instead of killing this process. Raises Keras2pbError with the file and
    the problem.
    """
    gd = read_graph_def(path)
    validate_graph(gd, path, allow_unsafe_ops=allow_unsafe_ops)
    if isolate:
        probe_graph(path, allow_unsafe_ops)
    sidecar = read_sidecar(path)
    inputs, outputs = graph_io(gd, sidecar)
    if not inputs:
        raise Keras2pbError("graph has no Placeholder inputs; nothing to feed", path)
    return FrozenGraph(gd, inputs, outputs, path, sidecar)


def probe_graph(path: str | os.PathLike, allow_unsafe_ops: bool = False) -> None:
    """Load ``path`` and run it once on zeros in a child process.

    Use before ``load`` for a graph from elsewhere: a graph that crashes TensorFlow then
    raises Keras2pbError here instead of killing the caller. Raises Keras2pbError with the
    child's message when the graph is refused, or naming the signal when TensorFlow crashed.
    """
    args = ["-m", "keras2pb.loading", os.fspath(path)]
    if allow_unsafe_ops:
        args.append("--allow-unsafe-ops")
    proc = run_child(args, path=path, crashed=TF_CRASHED, env={"TF_CPP_MIN_LOG_LEVEL": "3"})
    if proc.returncode != 0:
        mine = own_lines(proc.stderr)
        raise Keras2pbError(mine[-1][len(OWN_PREFIX):].strip() if mine
                            else f"the probe failed (exit {proc.returncode})", path)


def _probe_main(argv: Sequence[str]) -> int:
    """The probe's child: load the graph and run it on zeros; errors as one keras2pb: line."""
    path, allow = argv[0], "--allow-unsafe-ops" in argv[1:]
    try:
        with load(path, allow_unsafe_ops=allow) as graph:
            graph(zero_feeds(graph))
    except Keras2pbError as exc:
        print(f"{OWN_PREFIX} {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(_probe_main(sys.argv[1:]))
