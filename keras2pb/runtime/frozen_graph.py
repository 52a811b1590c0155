"""Loading a frozen .pb and running it: a fast call, the classic import/ route, and TF2's.

``python -m keras2pb.runtime.frozen_graph GRAPH.pb [--allow-unsafe-ops]`` is ``probe_graph``'s
child.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow.core.framework.graph_pb2 import GraphDef

from ..errors import EXIT_USER_ERROR, Keras2pbError, one_line
from ..graph.checks import validate_graph
from ..graph.reading import read_graph_def
from ..graph.signature import (
    IMPORT_PREFIX,
    Signature,
    TensorInfo,
    as_feeds,
    discover_io,
    node_name,
    read_signature,
    shape_text,
    unknown_name,
)
from ..versions import require_supported
from .isolation import OWN_PREFIX, TF_CRASHED, own_lines, run_child

require_supported()  # an old TensorFlow fails here, naming the minimum version


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

    def __init__(self, graph_def: GraphDef, signature: Signature,
                 path: str | os.PathLike | None = None) -> None:
        self.graph_def = graph_def
        self.signature = signature
        self.inputs = signature.inputs
        self.outputs = signature.outputs
        self.path = None if path is None else Path(path)
        self.graph = tf.Graph()
        with self.graph.as_default():
            try:
                tf.compat.v1.import_graph_def(graph_def, name=IMPORT_PREFIX)
            except (ValueError, TypeError, KeyError, tf.errors.OpError) as exc:
                raise Keras2pbError(f"TensorFlow could not import the graph: "
                                    f"{one_line(exc)}", path) from exc
        node_names = {n.name for n in graph_def.node}
        for info in self.inputs + self.outputs:
            if info.name not in node_names:
                raise Keras2pbError(f"sidecar names tensor {info.tensor!r}, which is not in "
                                    "the graph; freeze again", path)
            try:
                self.graph.get_tensor_by_name(f"{IMPORT_PREFIX}/{info.tensor}")
            except (KeyError, ValueError):
                count = len(self.graph.get_operation_by_name(f"{IMPORT_PREFIX}/{info.name}")
                            .outputs)
                raise Keras2pbError(f"sidecar names tensor {info.tensor!r}, but node "
                                    f"{info.name!r} has {count} output(s); freeze again",
                                    path) from None
        self.session = tf.compat.v1.Session(graph=self.graph)
        self._callables: dict[tuple[str, ...], Any] = {}
        self._function = None
        self.table_initializer = table_initializer(graph_def, signature)
        if self.table_initializer is not None:  # fill the lookup tables once, before any call
            try:
                self.session.run(f"{IMPORT_PREFIX}/{self.table_initializer}")
            except tf.errors.OpError as exc:
                raise Keras2pbError(f"TensorFlow could not fill the graph's lookup tables "
                                    f"({self.table_initializer}): {self._reason(exc)}",
                                    path) from exc

    @property
    def sidecar(self) -> dict[str, Any] | None:
        """The sidecar next to the ``.pb`` as a dict; None when the inputs were discovered."""
        return None if self.signature.source is None else self.signature.to_dict()

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
        plain = name.removeprefix(f"{IMPORT_PREFIX}/")
        key = node_name(plain)
        for info in self.inputs + self.outputs:
            if info.name == key and (":" not in plain or plain == info.tensor):
                return info
        raise unknown_name(name, [i.name for i in self.inputs + self.outputs], "tensor", self.path)

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
            return TensorInfo(node_name(key), key, None, t.dtype.name)

    def feeds(self, x: Any) -> dict[str, np.ndarray]:
        """``x`` (as ``graph(x)`` takes it) as checked arrays by input name.

        Raises Keras2pbError for unknown names, missing inputs, or a wrong shape or dtype.
        """
        given = as_feeds(x, self.input_names, self.path,
                         known=self.input_names + self.output_names)
        return {i.name: i.check(given[i.name], self.path) for i in self.inputs}

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
        """The notebook shortcut: :meth:`run`, but one output comes back as its array."""
        results = self.run(x, outputs)
        return next(iter(results.values())) if len(results) == 1 else results

    def run(self, x: Any, outputs: list[str] | None = None) -> dict[str, np.ndarray]:
        """Run the graph on ``x``; return ``{output name: array}``, always a dict.

        ``x``: an array (one input), a list (inputs in order) or a dict input name -> array.
        ``outputs`` picks outputs by name (default: all), or any other tensor of the graph
        (``"flatten/Reshape:0"``). Raises Keras2pbError for wrong
        names, missing inputs, or arrays of the wrong shape or dtype.
        """
        chosen = self.outputs if outputs is None else [self._fetchable(n) for n in outputs]
        feeds = self.feeds(x)
        try:
            results = self._callable(tuple(o.tensor for o in chosen))(*feeds.values())
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
            if self.table_initializer is not None:  # tables are shared by name: fill once
                wrapped.prune([], [wrapped.graph.get_operation_by_name(
                    self.table_initializer)])()
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
        ins = ", ".join(f"{i.name}{shape_text(i.shape)}" for i in self.inputs)
        outs = ", ".join(f"{o.name}{shape_text(o.shape)}" for o in self.outputs)
        return f"FrozenGraph({self.path or '<memory>'}: {ins} -> {outs})"


def table_initializer(graph_def: GraphDef, signature: Signature) -> str | None:
    """The node that fills the graph's lookup tables (``keras2pb.freezing.tables``): the one
    the sidecar names, or the one keras2pb names so when there is no sidecar; None when the
    graph has no tables. Raises Keras2pbError when the sidecar names a node not in the graph."""
    from ..freezing.tables import TABLE_INITIALIZER

    names = {n.name for n in graph_def.node}
    named = signature.extra.get("table_initializer")
    if named is not None and named not in names:
        raise Keras2pbError(f"sidecar names table initializer {named!r}, which is not in the "
                            "graph; freeze again")
    return named or (TABLE_INITIALIZER if TABLE_INITIALIZER in names else None)


def zero_feeds(graph: FrozenGraph, batch: int = 1) -> dict[str, np.ndarray]:
    """Zeros (empty strings for string inputs) for every input of ``graph`` (unknown
    dimensions set to ``batch``)."""
    def zeros(info: TensorInfo) -> np.ndarray:
        shape = [batch if d is None else d for d in (info.shape or [batch])]
        return np.full(shape, b"", object) if info.dtype == "string" else \
            np.zeros(shape, info.dtype)

    return {i.name: zeros(i) for i in graph.inputs}


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
    signature = read_signature(path) or discover_io(gd)
    if not signature.inputs:
        raise Keras2pbError("graph has no Placeholder inputs; nothing to feed", path)
    return FrozenGraph(gd, signature, path)


def probe_graph(path: str | os.PathLike, allow_unsafe_ops: bool = False) -> None:
    """Load ``path`` and run it once on zeros in a child process.

    Use before ``load`` for a graph from elsewhere: a graph that crashes TensorFlow then
    raises Keras2pbError here instead of killing the caller. Raises Keras2pbError with the
    child's message when the graph is refused, or naming the signal when TensorFlow crashed.
    """
    args = ["-m", "keras2pb.runtime.frozen_graph", os.fspath(path)]
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
