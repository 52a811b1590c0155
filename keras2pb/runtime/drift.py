"""Per-node drift: run the same input through two sides and compare every node they share.

Sides: Keras' trace (``model(x, training=False)`` traced, its variables read now), the frozen
graph in TensorFlow, and the frozen graph in another runtime (ONNX Runtime, OpenVINO), each
asked for the intermediate tensors as extra outputs. Nodes are compared in topological order;
the first one past the tolerance is where the two runs part ways.
"""

from __future__ import annotations

import heapq
import math
import os
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..errors import Keras2pbError
from ..graph.signature import IMPORT_PREFIX, node_name

#: A node diverges when its max abs difference exceeds ATOL + RTOL * max |reference|.
DEFAULT_ATOL = 1e-5
DEFAULT_RTOL = 1e-4
#: Examples run by default (every intermediate tensor of both sides is held at once).
DEFAULT_EXAMPLES = 4
#: Ops whose outputs are not a computation worth comparing.
_SKIP_OPS = {"Placeholder", "Const", "NoOp"}


@dataclass
class NodeDrift:
    """One compared tensor: its node, op, max abs and relative difference, and tolerance."""

    node: str
    tensor: str
    op: str
    max_abs_diff: float
    max_rel_diff: float  # max abs difference / max |reference| (0 when the reference is 0)
    tolerance: float  # the max abs difference allowed for this node
    diverged: bool


@dataclass
class DriftPair:
    """Two sides compared node by node, in topological order of the frozen graph."""

    reference: str  # "keras" or "tf"
    runtime: str  # "tf", "onnx", "openvino"
    nodes: list[NodeDrift] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # tensors the runtime could not give
    status: str = "ok"
    note: str = ""

    @property
    def first_divergence(self) -> dict[str, Any] | None:
        """``{"node", "max_abs_diff", "tolerance"}`` of the first node past the tolerance."""
        for n in self.nodes:
            if n.diverged:
                return {"node": n.node, "tensor": n.tensor, "max_abs_diff": n.max_abs_diff,
                        "tolerance": n.tolerance}
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "runtime": self.runtime, "status": self.status,
                "note": self.note, "first_divergence": self.first_divergence,
                "nodes": [asdict(n) for n in self.nodes], "unmatched": self.unmatched}


@dataclass
class DriftReport:
    """Every pair compared on the same ``n`` examples; ``first_divergence`` over all pairs."""

    graph: str
    n: int
    atol: float
    rtol: float
    pairs: list[DriftPair]

    @property
    def first_divergence(self) -> dict[str, Any] | None:
        """The first diverging node of the first pair that has one (pairs in order: Keras vs
        TensorFlow first, then TensorFlow vs each runtime), with the pair named."""
        for p in self.pairs:
            first = p.first_divergence
            if first is not None:
                return dict(first, reference=p.reference, runtime=p.runtime)
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``keras2pb verify --per-node --json`` prints it)."""
        return {"graph": self.graph, "n": self.n, "atol": self.atol, "rtol": self.rtol,
                "first_divergence": self.first_divergence,
                "pairs": [p.to_dict() for p in self.pairs]}

    def format_table(self, rows: int = 12) -> str:
        """Per pair: a short table of the largest relative drifts and the first divergence."""
        lines = []
        for p in self.pairs:
            lines.append(f"{p.reference} vs {p.runtime}: "
                         + (f"{p.status}: {p.note}" if p.status != "ok" else
                            f"{len(p.nodes)} nodes compared"
                            + (f", {len(p.unmatched)} without a counterpart"
                               if p.unmatched else "")))
            if p.status != "ok" or not p.nodes:
                continue
            shown = _shown(p.nodes, rows)
            width = max(len(n.node) for n in shown)
            lines.append(f"  {'#':>4}  {'node':<{width}}  {'op':<14} {'max abs':>9} "
                         f"{'max rel':>9} {'tolerance':>9}")
            index = {id(n): i for i, n in enumerate(p.nodes)}
            for n in shown:
                mark = "  <- first divergence" if n is _first(p.nodes) else (
                    "  past tolerance" if n.diverged else "")
                lines.append(f"  {index[id(n)]:>4}  {n.node:<{width}}  {n.op:<14} "
                             f"{n.max_abs_diff:9.2e} {n.max_rel_diff:9.2e} "
                             f"{n.tolerance:9.2e}{mark}")
        first = self.first_divergence
        if first is None:
            lines.append(f"no node drifts past the tolerance (atol {self.atol:g}, rtol "
                         f"{self.rtol:g}) on {self.n} examples")
        else:
            lines.append(f"first divergence: {first['node']} ({first['reference']} vs "
                         f"{first['runtime']}): max abs diff {first['max_abs_diff']:.3g} > "
                         f"tolerance {first['tolerance']:.3g}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format_table()


def _first(nodes: list[NodeDrift]) -> NodeDrift | None:
    return next((n for n in nodes if n.diverged), None)


def _shown(nodes: list[NodeDrift], rows: int) -> list[NodeDrift]:
    """The rows worth printing, in graph order: the first divergence and the nodes just
    before it, then the largest relative drifts, then the last node."""
    first = _first(nodes)
    keep: set[int] = {len(nodes) - 1}
    if first is not None:
        i = nodes.index(first)
        keep.update(range(max(0, i - 2), i + 1))
    for i in sorted(range(len(nodes)), key=lambda i: -nodes[i].max_rel_diff):
        if len(keep) >= rows:
            break
        keep.add(i)
    return [nodes[i] for i in sorted(keep)]


def topological_nodes(graph_def: Any) -> list[Any]:
    """The GraphDef's nodes in topological order (inputs first; ties keep the file's order)."""
    nodes = list(graph_def.node)
    index = {n.name: i for i, n in enumerate(nodes)}
    waiting = [0] * len(nodes)
    users: list[list[int]] = [[] for _ in nodes]
    for i, n in enumerate(nodes):
        for src in {index[node_name(s)] for s in n.input if node_name(s) in index}:
            waiting[i] += 1
            users[src].append(i)
    ready = [i for i, w in enumerate(waiting) if w == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(nodes[i])
        for j in users[i]:
            waiting[j] -= 1
            if waiting[j] == 0:
                heapq.heappush(ready, j)
    if len(order) != len(nodes):
        raise Keras2pbError("the graph has a cycle: no topological order")
    return order


def compared_tensors(graph) -> list[tuple[str, str, str]]:
    """``(node, tensor, op)`` for every floating-point tensor computed from the inputs.

    ``graph`` is a loaded ``FrozenGraph``; constants, the inputs themselves and anything that
    does not depend on an input (weights, shape constants) are left out.
    """
    inputs = {i.name for i in graph.inputs}
    live: set[str] = set(inputs)
    out = []
    for node in topological_nodes(graph.graph_def):
        if node.name in inputs or not any(
                not s.startswith("^") and node_name(s) in live for s in node.input):
            continue
        live.add(node.name)
        if node.op in _SKIP_OPS:
            continue
        op = graph.graph.get_operation_by_name(f"{IMPORT_PREFIX}/{node.name}")
        for k, t in enumerate(op.outputs):
            if t.dtype.is_floating:
                out.append((node.name, f"{node.name}:{k}", node.op))
    return out


def compare_nodes(tensors: list[tuple[str, str, str]], reference: dict[str, np.ndarray],
                  got: dict[str, np.ndarray], atol: float, rtol: float
                  ) -> tuple[list[NodeDrift], list[str]]:
    """Per tensor max abs / relative difference and whether it is past the tolerance."""
    nodes, unmatched = [], []
    for node, tensor, op in tensors:
        if tensor not in reference or tensor not in got:
            unmatched.append(tensor)
            continue
        ref = np.asarray(reference[tensor], dtype=np.float64)
        out = np.asarray(got[tensor], dtype=np.float64)
        if ref.shape != out.shape:
            unmatched.append(tensor)
            continue
        scale = float(np.max(np.abs(ref))) if ref.size else 0.0
        if ref.size:
            d = np.abs(ref - out)
            bad = ~np.isfinite(d) & ~(np.isnan(ref) & np.isnan(out))
            diff = math.inf if bad.any() else float(np.max(np.nan_to_num(d, nan=0.0)))
        else:
            diff = 0.0
        tol = atol + rtol * scale
        nodes.append(NodeDrift(node, tensor, op, diff, diff / scale if scale else 0.0, tol,
                               diff > tol))
    return nodes, unmatched


def run_frozen(graph, feeds: dict[str, np.ndarray], tensors: list[str]) -> dict[str, np.ndarray]:
    """Every tensor in ``tensors`` of the loaded frozen graph, in one Session run."""
    fetch = [f"{IMPORT_PREFIX}/{t}" for t in tensors]
    feed = {f"{IMPORT_PREFIX}/{i.tensor}": feeds[i.name] for i in graph.inputs}
    return dict(zip(tensors, graph.session.run(fetch, feed), strict=True))


def run_keras_trace(model, graph, feeds: dict[str, np.ndarray], tensors: list[str]
                    ) -> dict[str, np.ndarray]:
    """Run the traced ``model(x, training=False)`` with its variables as they are now.

    The trace is the graph ``freeze`` converts: the same node names, with each
    ``ReadVariableOp`` still reading a variable. Here it runs in a Session with every
    variable read fed the variable's current value, and ``tensors`` (by the frozen graph's
    names) fetched; tensors the trace does not have are left out.
    """
    import tensorflow as tf

    from ..freezing.freeze import serving_function

    serving = serving_function(model)
    concrete = serving.concrete
    values = {id(v.handle): v.numpy() for v in concrete.variables}
    by_capture = {internal.op.name: values[id(ext)] for ext, internal in concrete.graph.captures
                  if id(ext) in values}
    gd = concrete.graph.as_graph_def()
    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.import_graph_def(gd, name="")
    feed = {}
    for node in gd.node:
        if node.op == "ReadVariableOp" and node_name(node.input[0]) in by_capture:
            feed[g.get_tensor_by_name(f"{node.name}:0")] = by_capture[node_name(node.input[0])]
    names = {i.name: i.extra.get("keras_input", i.name) for i in graph.inputs}
    traced = {names[i.name]: i for i in serving.inputs}  # by Keras input name
    for info in graph.inputs:
        feed[g.get_tensor_by_name(traced[names[info.name]].tensor)] = feeds[info.name]
    have = {n.name for n in gd.node}
    wanted = [t for t in tensors if node_name(t) in have]
    with tf.compat.v1.Session(graph=g) as sess:
        results = sess.run([g.get_tensor_by_name(t) for t in wanted], feed)
    return dict(zip(wanted, results, strict=True))



def _check_tolerance(atol: float, rtol: float) -> None:
    for name, value in (("atol", atol), ("rtol", rtol)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise Keras2pbError(f"the {name} tolerance must be a number >= 0, got {value!r}")


def per_node_drift(model_or_path: Any, pb_path: str | os.PathLike,
                   runtimes: list[str] | tuple[str, ...] = ("tf",), x: Any = None, *,
                   atol: float = DEFAULT_ATOL, rtol: float = DEFAULT_RTOL,
                   custom_objects: dict[str, Any] | None = None,
                   safe_mode: bool = True) -> DriftReport:
    """Compare two runs of the frozen graph node by node; where do they part ways?

    Pairs: Keras' trace (``model(x, training=False)`` traced, its variables read now) against
    the frozen graph in TensorFlow, always; then, for each other runtime in ``runtimes``
    (``onnx``, ``openvino``), the frozen graph in TensorFlow against that runtime, which is
    asked for every intermediate tensor as an extra output. Every floating-point tensor
    computed from the inputs is compared (weights and shape arithmetic are not), in
    topological order; a node diverges when its max abs difference exceeds ``atol + rtol *
    max |reference|``. ``x``: inputs as for ``keras2pb.verify`` (default: ``DEFAULT_EXAMPLES``
    MNIST digits or seeded noise). Returns a ``DriftReport``; ``report.first_divergence`` is
    ``{"node", "max_abs_diff", "tolerance", ...}`` or None. A runtime that is not installed or
    fails is a pair with status ``skipped``/``failed``. Raises Keras2pbError for unknown
    runtimes, bad tolerances, unloadable files or inputs that do not fit.
    """
    import keras

    from ..freezing.keras_files import load_keras_model
    from .frozen_graph import load
    from .registry import RUNTIMES, runtime
    from .verify import default_inputs

    _check_tolerance(atol, rtol)
    names = list(dict.fromkeys(r.strip().lower() for r in runtimes if r.strip()))
    chosen = [runtime(name) for name in names]  # unknown names raise before any work
    others = [rt for rt in chosen if rt.name != "tf"]
    for rt in others:
        if rt.run_nodes is None:
            able = [r.name for r in RUNTIMES.values() if r.run_nodes is not None]
            raise Keras2pbError(f"per-node drift cannot run {rt.name!r}: choose from "
                                f"tf, {', '.join(able)}")
    model = (model_or_path if isinstance(model_or_path, keras.Model)
             else load_keras_model(model_or_path, custom_objects, safe_mode))
    with load(pb_path) as graph:
        feeds = graph.feeds(default_inputs(graph, DEFAULT_EXAMPLES) if x is None else x)
        n = len(next(iter(feeds.values())))
        tensors = compared_tensors(graph)
        wanted = [t for _, t, _ in tensors]
        frozen = run_frozen(graph, feeds, wanted)
        trace = run_keras_trace(model, graph, feeds, wanted)
        pairs = [DriftPair("keras", "tf", *compare_nodes(tensors, trace, frozen, atol, rtol))]
        del trace
        for rt in others:
            missing = rt.missing()
            if missing:
                pairs.append(DriftPair("tf", rt.name, status="skipped",
                                       note=f"not installed ({', '.join(missing)}): "
                                            f"pip install {rt.pip}"))
                continue
            try:
                got = rt.run_nodes(graph, feeds, wanted)
            except Keras2pbError as exc:
                pairs.append(DriftPair("tf", rt.name, status="failed", note=str(exc)))
                continue
            pairs.append(DriftPair("tf", rt.name,
                                   *compare_nodes(tensors, frozen, got, atol, rtol)))
    return DriftReport(os.fspath(pb_path), n, atol, rtol, pairs)
