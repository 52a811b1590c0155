"""Per-node drift: run the same input through two sides and compare every node they share.

Sides: Keras' trace (``model(x, training=False)`` traced, its variables read now), the frozen
graph in TensorFlow, and the frozen graph in another runtime (ONNX Runtime, OpenVINO), each
asked for the intermediate tensors as extra outputs. Nodes are compared in topological order;
the first one past the tolerance is where the two runs part ways.

Tolerance per tensor: ``atol + max(rtol, DTYPE_ULPS * eps) * max |reference|``, where ``eps``
is ``np.finfo(dtype).eps`` of the coarser dtype of the two tensors: a float16 tensor may differ
by a few float16 rounding steps (eps 9.8e-4) between runtimes; for float32 (eps 1.2e-7) the
default rtol is larger, so nothing changes. ``max |reference|`` is over its finite values.

NaN and infinity: a tensor whose two sides disagree on where NaN/inf are (or on the sign of an
inf), or whose reference holds any NaN/inf at all, diverges; ``NodeDrift.nonfinite`` says what
each side holds ("keras: 48 NaN; tf: finite"), and ``max_abs_diff``/``max_rel_diff`` are
``inf`` when the sides disagree. ``to_dict()`` is strict JSON: a value that is not a finite
number is written as ``null`` (``json.dumps(report.to_dict(), allow_nan=False)`` passes).

Loops: a lowered while loop (``Enter``/``Merge``/``NextIteration``/``Exit``) is ordered without
its back edges, and only the nodes outside the loop are compared (a tensor inside the loop has
one value per iteration, not one to compare); a functional ``While`` op (control flow kept as
functions) is one node, compared by its outputs.
"""

from __future__ import annotations

import heapq
import math
import os
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..errors import Keras2pbError, one_line
from ..graph.signature import IMPORT_PREFIX, node_name, shape_text

#: A node diverges when its max abs difference exceeds
#: ATOL + max(RTOL, DTYPE_ULPS * eps(dtype)) * max |reference| (see the module docstring).
DEFAULT_ATOL = 1e-5
DEFAULT_RTOL = 1e-4
#: Rounding steps of the tensor's own dtype always allowed (relative to max |reference|).
DTYPE_ULPS = 8
#: Examples run by default (every intermediate tensor of both sides is held at once).
DEFAULT_EXAMPLES = 4
#: Ops whose outputs are not a computation worth comparing.
_SKIP_OPS = {"Placeholder", "Const", "NoOp"}
#: The back edge of a lowered while loop: NextIteration -> Merge.
_BACK_EDGE_OPS = {"NextIteration", "RefNextIteration"}
_ENTER_OPS = {"Enter", "RefEnter"}
_EXIT_OPS = {"Exit", "RefExit"}
#: Functional loops: output k is input k after the last iteration.
_WHILE_OPS = {"While", "StatelessWhile"}


@dataclass
class NodeDrift:
    """One compared tensor: its node, op, max abs and relative difference, and tolerance."""

    node: str
    tensor: str
    op: str
    max_abs_diff: float  # inf when the sides disagree on NaN/inf
    max_rel_diff: float  # max abs difference / max |reference| (0 when the reference is 0)
    tolerance: float  # the max abs difference allowed for this node
    diverged: bool
    nonfinite: str = ""  # what each side holds when NaN/inf are involved ("" when not)


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
                        "tolerance": n.tolerance, "nonfinite": n.nonfinite}
        return None

    def to_dict(self) -> dict[str, Any]:
        """Strict JSON-ready dict: non-finite numbers are ``None`` (see ``nonfinite``)."""
        return _strict({"reference": self.reference, "runtime": self.runtime,
                        "status": self.status, "note": self.note,
                        "first_divergence": self.first_divergence,
                        "nodes": [asdict(n) for n in self.nodes], "unmatched": self.unmatched})


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
        """A strict JSON-ready dict (``keras2pb verify --per-node --json`` prints it): a number
        that is not finite (``max_abs_diff`` of a node whose sides disagree on NaN/inf) is
        ``None``; the node's ``nonfinite`` text says what each side holds."""
        return _strict({"graph": self.graph, "n": self.n, "atol": self.atol, "rtol": self.rtol,
                        "first_divergence": self.first_divergence,
                        "pairs": [p.to_dict() for p in self.pairs]})

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
                             f"{n.tolerance:9.2e}{mark}"
                             + (f" ({n.nonfinite})" if n.nonfinite else ""))
        first = self.first_divergence
        if first is None:
            lines.append(f"no node drifts past the tolerance (atol {self.atol:g}, rtol "
                         f"{self.rtol:g}) on {self.n} examples")
        elif first["nonfinite"]:
            lines.append(f"first divergence: {first['node']} ({first['reference']} vs "
                         f"{first['runtime']}): NaN/inf: {first['nonfinite']}")
        else:
            lines.append(f"first divergence: {first['node']} ({first['reference']} vs "
                         f"{first['runtime']}): max abs diff {first['max_abs_diff']:.3g} > "
                         f"tolerance {first['tolerance']:.3g}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format_table()


def _strict(value: Any) -> Any:
    """``value`` with every float that is not finite replaced by None (strict JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(v) for v in value]
    return value


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


def _is_back_edge(src: Any) -> bool:
    """Whether an edge from node ``src`` is a lowered while loop's back edge."""
    return src.op in _BACK_EDGE_OPS


def topological_nodes(graph_def: Any, path: str | os.PathLike | None = None) -> list[Any]:
    """The GraphDef's nodes in topological order (inputs first; ties keep the file's order).

    A lowered while loop's back edges (``NextIteration`` -> ``Merge``) are left out, so a loop
    is ordered by its forward edges. Raises Keras2pbError (naming ``path``) for any other cycle.
    """
    nodes = list(graph_def.node)
    index = {n.name: i for i, n in enumerate(nodes)}
    waiting = [0] * len(nodes)
    users: list[list[int]] = [[] for _ in nodes]
    for i, n in enumerate(nodes):
        sources = {index[node_name(s)] for s in n.input if node_name(s) in index}
        for src in sources:
            if _is_back_edge(nodes[src]):
                continue
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
        stuck = [n.name for i, n in enumerate(nodes) if waiting[i]]
        raise Keras2pbError(f"the graph has a cycle that is not a while loop's back edge "
                            f"(through {', '.join(stuck[:3])}"
                            f"{', ...' if len(stuck) > 3 else ''}): no topological order", path)
    return order


def loop_depths(order: list[Any]) -> dict[str, int]:
    """How many lowered while loops each node is inside (0: outside every loop).

    ``order``: nodes in topological order (``topological_nodes``). ``Enter`` goes one frame in,
    ``Exit`` one frame out; every other node is in the deepest frame of its inputs.
    """
    depth: dict[str, int] = {}
    for node in order:
        inner = max((depth[node_name(s)] for s in node.input if node_name(s) in depth),
                    default=0)
        if node.op in _ENTER_OPS:
            inner += 1
        elif node.op in _EXIT_OPS:
            inner = max(0, inner - 1)
        depth[node.name] = inner
    return depth


def _computed_from(nodes: list[Any], inputs: set[str]) -> set[str]:
    """Names of the nodes a data edge path leads to from ``inputs`` (themselves included).

    Loop back edges count: a value written into a loop's accumulator in the body reaches the
    loop's ``Exit`` through ``NextIteration`` only.
    """
    users: dict[str, list[str]] = {}
    for node in nodes:
        for s in node.input:
            if not s.startswith("^"):
                users.setdefault(node_name(s), []).append(node.name)
    live, todo = set(inputs), list(inputs)
    while todo:
        for user in users.get(todo.pop(), []):
            if user not in live:
                live.add(user)
                todo.append(user)
    return live


def compared_tensors(graph) -> list[tuple[str, str, str]]:
    """``(node, tensor, op)`` for every floating-point tensor computed from the inputs.

    ``graph`` is a loaded ``FrozenGraph``; constants, the inputs themselves and anything that
    does not depend on an input (weights, shape constants) are left out, and so are the nodes
    inside a lowered while loop (they hold one value per iteration, not one to compare). A
    functional ``While``'s output is compared when its loop variable depends on an input.
    """
    inputs = {i.name for i in graph.inputs}
    order = topological_nodes(graph.graph_def, graph.path)
    depth = loop_depths(order)
    live = _computed_from(order, inputs)
    out = []
    for node in order:
        data = [s for s in node.input if not s.startswith("^")]
        if node.name in inputs or node.name not in live or node.op in _SKIP_OPS \
                or depth[node.name]:
            continue
        op = graph.graph.get_operation_by_name(f"{IMPORT_PREFIX}/{node.name}")
        for k, t in enumerate(op.outputs):
            if node.op in _WHILE_OPS and not (k < len(data) and node_name(data[k]) in live):
                continue  # a loop-invariant input passed through (a weight)
            if t.dtype.is_floating:
                out.append((node.name, f"{node.name}:{k}", node.op))
    return out


def _eps(dtype: np.dtype) -> float:
    """The rounding step of ``dtype`` at 1.0 (0.0 for a dtype numpy cannot describe)."""
    try:
        return float(np.finfo(dtype).eps)
    except (TypeError, ValueError):
        return 0.0


def _count(a: np.ndarray) -> str:
    """``"48 NaN, 2 +inf"`` for the values of ``a`` that are not finite (``"finite"``)."""
    parts = [f"{int(c)} {label}" for c, label in (
        (np.isnan(a).sum(), "NaN"), (np.isposinf(a).sum(), "+inf"),
        (np.isneginf(a).sum(), "-inf")) if c]
    return ", ".join(parts) or "finite"


def compare_tensor(ref: Any, out: Any, atol: float, rtol: float,
                   sides: tuple[str, str] = ("reference", "runtime")
                   ) -> tuple[float, float, float, bool, str]:
    """``(max abs diff, max rel diff, tolerance, diverged, nonfinite)`` of two arrays of one
    shape; see the module docstring for the tolerance and for NaN/inf."""
    eps = max(_eps(np.asarray(ref).dtype), _eps(np.asarray(out).dtype))
    ref = np.asarray(ref, dtype=np.float64)
    out = np.asarray(out, dtype=np.float64)
    ok_ref, ok_out = np.isfinite(ref), np.isfinite(out)
    both = ok_ref & ok_out
    scale = float(np.max(np.abs(ref[ok_ref]))) if ok_ref.any() else 0.0
    diff = float(np.max(np.abs(ref[both] - out[both]))) if both.any() else 0.0
    tol = atol + max(rtol, DTYPE_ULPS * eps) * scale
    nonfinite = ""
    if not (ok_ref.all() and ok_out.all()):
        same = (ref == out) | (np.isnan(ref) & np.isnan(out))  # inf == inf, NaN at NaN
        apart = int(np.sum(~both & ~same))
        nonfinite = f"{sides[0]}: {_count(ref)}; {sides[1]}: {_count(out)}"
        if apart:
            diff = math.inf
            nonfinite += f" ({apart} values disagree)"
        else:
            nonfinite += " (at the same places)"
    rel = diff / scale if scale else (math.inf if diff == math.inf else 0.0)
    return diff, rel, tol, diff > tol or not ok_ref.all(), nonfinite


def compare_nodes(tensors: list[tuple[str, str, str]], reference: dict[str, np.ndarray],
                  got: dict[str, np.ndarray], atol: float, rtol: float,
                  sides: tuple[str, str] = ("reference", "runtime")
                  ) -> tuple[list[NodeDrift], list[str]]:
    """Per tensor max abs / relative difference and whether it is past the tolerance.

    ``sides``: the names of the two runs, for the ``nonfinite`` text.
    """
    nodes, unmatched = [], []
    for node, tensor, op in tensors:
        if tensor not in reference or tensor not in got:
            unmatched.append(tensor)
            continue
        ref, out = np.asarray(reference[tensor]), np.asarray(got[tensor])
        if ref.shape != out.shape:
            unmatched.append(tensor)
            continue
        nodes.append(NodeDrift(node, tensor, op, *compare_tensor(ref, out, atol, rtol, sides)))
    return nodes, unmatched


def run_frozen(graph, feeds: dict[str, np.ndarray], tensors: list[str]) -> dict[str, np.ndarray]:
    """Every tensor in ``tensors`` of the loaded frozen graph, in one Session run."""
    import tensorflow as tf

    fetch = [f"{IMPORT_PREFIX}/{t}" for t in tensors]
    feed = {f"{IMPORT_PREFIX}/{i.tensor}": feeds[i.name] for i in graph.inputs}
    try:
        return dict(zip(tensors, graph.session.run(fetch, feed), strict=True))
    except tf.errors.OpError as exc:
        raise Keras2pbError(f"TensorFlow could not run the graph with its intermediate "
                            f"tensors: {one_line(exc, node_prefix=IMPORT_PREFIX + '/')}",
                            graph.path) from exc


def _model_label(model_or_path: Any, model: Any) -> str:
    return (f"model {model.name!r}" if model_or_path is model
            else f"model {os.fspath(model_or_path)}")


def _io_text(infos: list[Any]) -> str:
    return ", ".join(f"{i.extra.get('keras_input', i.name)!r} {shape_text(i.shape)} {i.dtype}"
                     for i in infos)


def check_same_model(serving, graph, label: str) -> None:
    """Raise Keras2pbError (naming the graph and the model) unless the traced model takes the
    graph's inputs (Keras names, shapes, dtypes) and has as many outputs."""
    want = {i.extra.get("keras_input", i.name): i for i in graph.inputs}
    have = {i.extra.get("keras_input", i.name): i for i in serving.inputs}
    problem = ""
    if set(want) != set(have):
        problem = (f"the model takes {_io_text(list(have.values()))}, the graph "
                   f"{_io_text(list(want.values()))}")
    else:
        for key, g in want.items():
            m = have[key]
            fits = (m.dtype == g.dtype and (m.shape is None or g.shape is None or (
                len(m.shape) == len(g.shape) and all(
                    a is None or b is None or a == b
                    for a, b in zip(m.shape, g.shape, strict=True)))))
            if not fits:
                problem = (f"input {key!r}: the model takes {shape_text(m.shape)} {m.dtype}, "
                           f"the graph {shape_text(g.shape)} {g.dtype}")
                break
    if not problem and len(serving.out_keras) != len(graph.outputs):
        problem = (f"the model has {len(serving.out_keras)} outputs, the graph "
                   f"{len(graph.outputs)}")
    if problem:
        raise Keras2pbError(f"{label} does not match this graph: {problem}; is it the model "
                            "the graph was frozen from?", graph.path)


def run_keras_trace(model, graph, feeds: dict[str, np.ndarray], tensors: list[str],
                    label: str | None = None) -> dict[str, np.ndarray]:
    """Run the traced ``model(x, training=False)`` with its variables as they are now.

    The trace is the graph ``freeze`` converts: the same node names, with each variable a
    captured resource handle. Here each captured handle becomes a variable of its own
    (``VarHandleOp``) holding the Keras variable's current value, so every reader of it works:
    ``ReadVariableOp``, control dependencies on the reads (the ``NoOp`` before a multi-output
    trace's ``Identity``) and a ``While`` loop taking the handle. ``tensors`` (by the frozen
    graph's names) are fetched; tensors the trace does not have, or has with another dtype,
    are left out. ``label`` names the model in errors. Raises Keras2pbError when the model
    does not match the graph or the trace cannot run.
    """
    import tensorflow as tf

    from ..freezing.freeze import serving_function

    label = label or f"model {model.name!r}"
    serving = serving_function(model)
    check_same_model(serving, graph, label)
    concrete = serving.concrete
    values = {id(v.handle): v for v in concrete.variables}
    by_capture = {internal.op.name: values[id(ext)] for ext, internal in concrete.graph.captures
                  if id(ext) in values}
    gd = concrete.graph.as_graph_def()
    for node in gd.node:
        if node.name in by_capture:
            var = by_capture[node.name]
            node.op = "VarHandleOp"
            node.ClearField("attr")
            node.attr["dtype"].type = tf.as_dtype(var.dtype).as_datatype_enum
            node.attr["shape"].shape.CopyFrom(tf.TensorShape(var.shape).as_proto())
            node.attr["shared_name"].s = node.name.encode()
    now = {name: np.asarray(var.numpy()) for name, var in by_capture.items()}
    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.import_graph_def(gd, name="")
        init, init_feed = [], {}
        for name, value in now.items():
            ph = tf.compat.v1.placeholder(tf.as_dtype(value.dtype), value.shape)
            init.append(tf.raw_ops.AssignVariableOp(resource=g.get_tensor_by_name(f"{name}:0"),
                                                    value=ph))
            init_feed[ph] = value
    names = {i.name: i.extra.get("keras_input", i.name) for i in graph.inputs}
    traced = {i.extra.get("keras_input", i.name): i for i in serving.inputs}
    feed = {g.get_tensor_by_name(traced[names[i.name]].tensor): feeds[i.name]
            for i in graph.inputs}
    have = {n.name for n in gd.node}
    wanted = []
    for t in tensors:
        if node_name(t) not in have:
            continue
        try:
            if g.get_tensor_by_name(t).dtype.is_floating:
                wanted.append(t)
        except (KeyError, ValueError):  # an output index the trace's op does not have
            continue
    try:
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(init, init_feed)
            results = sess.run([g.get_tensor_by_name(t) for t in wanted], feed)
    except tf.errors.OpError as exc:
        raise Keras2pbError(f"the trace of {label} could not run on the graph's inputs: "
                            f"{one_line(exc)}", graph.path) from exc
    return dict(zip(wanted, results, strict=True))


def _check_tolerance(atol: float, rtol: float) -> None:
    for name, value in (("atol", atol), ("rtol", rtol)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise Keras2pbError(f"the {name} tolerance must be a number >= 0, got {value!r}")


def _runtime_names(runtimes: str | list[str] | tuple[str, ...]) -> list[str]:
    """``"tf,onnx"`` or ``["tf", "onnx"]`` -> ``["tf", "onnx"]`` (lower case, no repeats)."""
    if isinstance(runtimes, str):
        runtimes = runtimes.split(",")
    parts = [p for r in runtimes for p in str(r).split(",")]
    return list(dict.fromkeys(p.strip().lower() for p in parts if p.strip()))


def per_node_drift(model_or_path: Any, pb_path: str | os.PathLike,
                   runtimes: str | list[str] | tuple[str, ...] = ("tf",), x: Any = None, *,
                   atol: float = DEFAULT_ATOL, rtol: float = DEFAULT_RTOL,
                   custom_objects: dict[str, Any] | None = None,
                   safe_mode: bool = True) -> DriftReport:
    """Compare two runs of the frozen graph node by node; where do they part ways?

    Pairs: Keras' trace (``model(x, training=False)`` traced, its variables read now) against
    the frozen graph in TensorFlow, always; then, for each other runtime in ``runtimes``
    (``onnx``, ``openvino``; a list or a comma-separated string such as ``"tf,onnx"``), the
    frozen graph in TensorFlow against that runtime, which is asked for every intermediate
    tensor as an extra output. Every floating-point tensor computed from the inputs is
    compared (weights and shape arithmetic are not; nor the inside of a lowered while loop),
    in topological order; a node diverges when its max abs difference exceeds ``atol +
    max(rtol, DTYPE_ULPS * eps(dtype)) * max |reference|``, when its sides disagree on
    NaN/inf, or when its reference holds NaN/inf (module docstring). ``x``: inputs as for
    ``keras2pb.verify`` (default: ``DEFAULT_EXAMPLES`` MNIST digits or seeded noise). Returns
    a ``DriftReport``; ``report.first_divergence`` is ``{"node", "max_abs_diff", "tolerance",
    "nonfinite", ...}`` or None. A runtime that is not installed or fails is a pair with
    status ``skipped``/``failed``. Raises Keras2pbError for unknown runtimes, bad tolerances,
    unloadable files, a model that does not match the graph, or inputs that do not fit.
    """
    import keras

    from ..freezing.keras_files import load_keras_model
    from .frozen_graph import load
    from .registry import RUNTIMES, runtime
    from .verify import default_inputs

    _check_tolerance(atol, rtol)
    chosen = [runtime(name) for name in _runtime_names(runtimes)]  # unknown names raise first
    others = [rt for rt in chosen if rt.name != "tf"]
    for rt in others:
        if rt.run_nodes is None:
            able = [r.name for r in RUNTIMES.values() if r.run_nodes is not None]
            raise Keras2pbError(f"per-node drift cannot run {rt.name!r}: choose from "
                                f"tf, {', '.join(able)}")
    model = (model_or_path if isinstance(model_or_path, keras.Model)
             else load_keras_model(model_or_path, custom_objects, safe_mode))
    label = _model_label(model_or_path, model)
    with load(pb_path) as graph:
        feeds = graph.feeds(default_inputs(graph, DEFAULT_EXAMPLES) if x is None else x)
        n = len(next(iter(feeds.values())))
        tensors = compared_tensors(graph)
        wanted = [t for _, t, _ in tensors]
        trace = run_keras_trace(model, graph, feeds, wanted, label)
        frozen = run_frozen(graph, feeds, wanted)
        pairs = [DriftPair("keras", "tf", *compare_nodes(tensors, trace, frozen, atol, rtol,
                                                         ("keras", "tf")))]
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
            pairs.append(DriftPair("tf", rt.name, *compare_nodes(tensors, frozen, got, atol,
                                                                 rtol, ("tf", rt.name))))
    return DriftReport(os.fspath(pb_path), n, atol, rtol, pairs)
