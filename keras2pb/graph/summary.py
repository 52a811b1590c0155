"""Looking at GraphDefs: node counts, op-type histograms, inputs/outputs, and diffs by op type."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tensorflow.core.framework.graph_pb2 import GraphDef

from ..versions import require_supported
from .checks import all_nodes, training_ops, unknown_ops, unsafe_ops
from .reading import as_graph_def
from .signature import TensorInfo, discover_io, read_signature

require_supported()  # an old TensorFlow fails here (`keras2pb inspect` too), naming the minimum

if TYPE_CHECKING:
    from .diff import StageDiff


def op_histogram(gd: GraphDef) -> dict[str, int]:
    """Node count per op type (library functions included), most frequent first."""
    counts = Counter(n.op for n in all_nodes(gd))
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass
class GraphInfo:
    """What ``inspect`` reports about a graph."""

    node_count: int
    op_types: dict[str, int]
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    size_bytes: int
    path: str | None = None
    training_ops: list[tuple[str, str, str]] = field(default_factory=list)
    unsafe_ops: list[tuple[str, str]] = field(default_factory=list)
    unknown_ops: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        def io(infos: list[TensorInfo]) -> list[dict[str, Any]]:
            return [i.to_dict(extra=False) for i in infos]
        return {
            "path": self.path, "node_count": self.node_count, "size_bytes": self.size_bytes,
            "op_types": self.op_types, "inputs": io(self.inputs), "outputs": io(self.outputs),
            "training_ops": [list(t) for t in self.training_ops],
            "unsafe_ops": [list(t) for t in self.unsafe_ops],
            "unknown_ops": [list(t) for t in self.unknown_ops],
        }

    def __str__(self) -> str:
        def io(infos: list[TensorInfo]) -> str:
            return ", ".join(f"{i.tensor} {list(i.shape) if i.shape else '?'} {i.dtype}"
                             for i in infos) or "-"
        lines = [
            f"graph:     {self.path or '<memory>'} ({self.size_bytes / 1e6:.2f} MB)",
            f"nodes:     {self.node_count} ({len(self.op_types)} op types)",
            f"inputs:    {io(self.inputs)}",
            f"outputs:   {io(self.outputs)}",
            "op types:  " + ", ".join(f"{op} {n}" for op, n in self.op_types.items()),
        ]
        for title, found in (("training", self.training_ops), ("unsafe", self.unsafe_ops),
                             ("unknown", self.unknown_ops)):
            if found:
                lines.append(f"{title} ops: " + ", ".join(f"{t[0]} ({t[1]})" for t in found[:10])
                             + (f" and {len(found) - 10} more" if len(found) > 10 else ""))
        return "\n".join(lines)


def inspect(path_or_graph_def: str | os.PathLike | GraphDef | Any) -> GraphInfo:
    """Describe a graph (a ``.pb`` path, a GraphDef, a tf.Graph or a concrete function).

    Reports node count, op-type histogram, inputs and outputs (from the sidecar next to a
    ``.pb`` when there is one, else discovered), serialized size, and findings: training ops
    left, ops that touch files/network/Python, ops unknown to this TensorFlow. Never imports
    or runs the graph. Raises Keras2pbError for unreadable files.
    """
    gd = as_graph_def(path_or_graph_def)
    is_file = isinstance(path_or_graph_def, (str, os.PathLike))
    path = os.fspath(path_or_graph_def) if is_file else None
    signature = (read_signature(path) if is_file else None) or discover_io(gd)
    inputs, outputs = signature.inputs, signature.outputs
    hist = op_histogram(gd)
    return GraphInfo(sum(hist.values()), hist, inputs, outputs, gd.ByteSize(), path,
                     training_ops(gd), unsafe_ops(gd), unknown_ops(gd))


@dataclass
class GraphDiff:
    """Node counts per op type: ``removed`` (only in the left graph, or fewer on the right),
    ``kept`` (in both: the right graph's count), ``added`` (only or more on the right)."""

    left: dict[str, int]
    right: dict[str, int]
    removed: dict[str, int]
    kept: dict[str, int]
    added: dict[str, int]

    def summary(self) -> str:
        """One line, e.g. ``removed 412 nodes (Const 81, ...); kept 47 ...; added 1 nodes``
        (the MNIST CNN's training step and frozen graph, by op-type counts)."""
        def part(label: str, d: dict[str, int]) -> str:
            total = sum(d.values())
            top = ", ".join(f"{op} {n}" for op, n in list(d.items())[:6])
            more = ", …" if len(d) > 6 else ""
            return f"{label} {total} nodes" + (f" ({top}{more})" if d else "")
        return "; ".join([part("removed", self.removed), part("kept", self.kept),
                          part("added", self.added)])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"removed": self.removed, "kept": self.kept, "added": self.added,
                "left_nodes": sum(self.left.values()), "right_nodes": sum(self.right.values())}


def _sorted(d: dict[str, int]) -> dict[str, int]:
    return dict(sorted(((k, v) for k, v in d.items() if v > 0), key=lambda kv: (-kv[1], kv[0])))


def compare(left: Any, right: Any) -> GraphDiff:
    """Compare two graphs by op type (usually: training graph left, frozen graph right).

    Accepts anything ``inspect`` accepts. Node names differ between a training step and a
    frozen graph, so the comparison is by op type and count. The node-level comparison of the
    three stages is :func:`compare_stages`.
    """
    lh, rh = op_histogram(as_graph_def(left)), op_histogram(as_graph_def(right))
    removed = _sorted({op: n - rh.get(op, 0) for op, n in lh.items()})
    kept = _sorted({op: min(n, lh[op]) for op, n in rh.items() if op in lh})
    added = _sorted({op: n - lh.get(op, 0) for op, n in rh.items()})
    return GraphDiff(lh, rh, removed, kept, added)


def compare_stages(training: Any, inference: Any, frozen: Any,
                   titles: tuple[str, str, str] = ("training step", "inference trace",
                                                   "frozen graph")) -> StageDiff:
    """Compare the three stages of freezing node by node: what vanished, changed, stayed.

    In: the training step (``keras2pb.training_graph(model)``), the inference trace
    (``keras2pb.inference_graph(model)``) and the frozen graph (a ``.pb`` path or GraphDef;
    anything ``inspect`` accepts), and the stages' names. Out: a StageDiff; its
    ``summary()`` reads "training step 459 nodes → inference trace 48 nodes → frozen graph 48
    nodes; removed at tracing 414: optimizer …; added at tracing 3 …; changed at freezing 16:
    …". Nodes are matched by name, and a function's ``Identity``/``NoOp`` nodes also by their
    inputs (``viewer.diff.same_node``). Raises Keras2pbError for unreadable files.
    """
    from .diff import diff_stages
    from .nodes import names_graph

    graphs = [names_graph(as_graph_def(g)) for g in (training, inference, frozen)]
    return diff_stages(*graphs, titles=titles)
