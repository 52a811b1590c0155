"""Clean a GraphDef for display: strip constant bodies, fold constants into their consumers."""

from __future__ import annotations

import copy
import sys
from functools import cache
from typing import TYPE_CHECKING

from ..graph.nodes import DT_RESOURCE, CleanGraph, ViewNode, input_name, top_level_refs

if TYPE_CHECKING:  # works on TensorFlow's GraphDef and TensorBoard's copy alike
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef

#: Ops that never get a box of their own: they are shown inside the ops that consume them.
FOLDED_OPS = frozenset({"Const", "HostConst", "VarHandleOp", "VariableV2", "Variable", "NoOp"})
#: Ops folded too when everything they read is itself folded (a read of a constant/variable).
PASS_THROUGH_OPS = frozenset({"Identity", "ReadVariableOp"})
#: Longest attribute value kept for the tooltip (characters).
MAX_ATTR_CHARS = 160


def strip_consts(graph_def: GraphDef, max_const_size: int = 32) -> GraphDef:
    """Return a copy of ``graph_def`` whose large constant bodies are replaced by a note.

    In: a GraphDef and the largest ``tensor_content`` (bytes) kept as is. Out: a new GraphDef
    (the input is not changed) where bigger constants hold ``<stripped N bytes>`` instead,
    as the classic ``strip_consts`` did. The result is for display only; it cannot be run.
    """
    out = type(graph_def)()
    out.versions.CopyFrom(graph_def.versions)
    for node in graph_def.node:
        new = out.node.add()
        new.CopyFrom(node)
        if new.op in ("Const", "HostConst") and "value" in new.attr:
            tensor = new.attr["value"].tensor
            size = len(tensor.tensor_content)
            if size > max_const_size:
                tensor.tensor_content = b"<stripped %d bytes>" % size
            for name in ("float_val", "double_val", "int_val", "int64_val", "half_val"):
                values = getattr(tensor, name)
                if len(values) > max_const_size:
                    del values[:]
    return out


_DTYPE_NAMES = {"float": "float32", "double": "float64", "half": "float16"}


def _data_type():
    """The DataType enum: TensorBoard's copy unless TensorFlow is imported anyway (no 4 s)."""
    if "tensorflow" not in sys.modules:
        try:
            from tensorboard.compat.proto.types_pb2 import DataType
        except ImportError:  # pragma: no cover - tensorboard is a requirement
            pass
        else:
            return DataType
    from tensorflow.core.framework.types_pb2 import DataType

    return DataType


@cache
def _dtype_name(value: int) -> str:
    """TensorFlow's Python name of a DataType enum value: 1 -> "float32"."""
    try:
        name = _data_type().Name(value).removeprefix("DT_").lower()
    except ValueError:
        return f"dtype({value})"
    return _DTYPE_NAMES.get(name, name)


def _shape_text(shape) -> str:
    if shape.unknown_rank:
        return "<unknown rank>"
    dims = ["?" if d.size < 0 else str(d.size) for d in shape.dim]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def _attr_text(value) -> str:
    kind = value.WhichOneof("value")
    if kind == "type":
        return _dtype_name(value.type)
    if kind == "shape":
        return _shape_text(value.shape)
    if kind == "tensor":
        t = value.tensor
        n_bytes = len(t.tensor_content)
        body = f", {n_bytes} bytes stripped" if n_bytes else ""
        return f"tensor {_dtype_name(t.dtype)} {_shape_text(t.tensor_shape)}{body}"
    if kind == "s":
        return value.s.decode("utf-8", "replace")
    if kind in ("i", "f", "b"):
        return str(getattr(value, kind))
    if kind == "func":
        return f"function {value.func.name}"
    if kind == "list":
        lst = value.list
        if lst.type:
            return "[" + ", ".join(_dtype_name(t) for t in lst.type) + "]"
        if lst.shape:
            return "[" + ", ".join(_shape_text(s) for s in lst.shape) + "]"
        for name in ("i", "f", "b"):
            items = getattr(lst, name)
            if items:
                return "[" + ", ".join(str(x) for x in items) + "]"
        if lst.s:
            return "[" + ", ".join(x.decode("utf-8", "replace") for x in lst.s) + "]"
        if lst.func:
            return "[" + ", ".join(f.name for f in lst.func) + "]"
        return "[]"
    if kind == "placeholder":
        return f"${value.placeholder}"
    return ""


def node_attrs(node: NodeDef, memo: dict | None = None) -> list[tuple[str, str]]:
    """Return the node's attributes as sorted (name, short text) pairs, device-free.

    Attributes whose name starts with ``_`` (placement, colocation, output shapes) are left
    out; constant bodies appear only as dtype, shape and stripped size. ``memo`` (a dict the
    caller keeps across nodes) remembers texts by the value's bytes: ResNet152's training step
    has 70,996 attribute values, and their non-tensor ones take 21 distinct byte strings.
    """
    out = []
    attr = node.attr
    for key in sorted(attr):
        if key.startswith("_"):
            continue
        value = attr[key]
        if memo is None or value.WhichOneof("value") == "tensor":  # tensors may be big
            out.append((key, _short(value)))
            continue
        raw = value.SerializeToString()
        text = memo.get(raw)
        if text is None:
            text = memo[raw] = _short(value)
        out.append((key, text))
    return out


def _short(value) -> str:
    text = _attr_text(value)
    if len(text) > MAX_ATTR_CHARS:
        text = text[: MAX_ATTR_CHARS - 1] + "…"
    return text


def _output_shapes(node: NodeDef, memo: dict | None = None) -> str:
    if "_output_shapes" not in node.attr:
        return ""
    value = node.attr["_output_shapes"]
    if memo is not None:
        raw = value.SerializeToString()
        text = memo.get(raw)
        if text is None:
            text = memo[raw] = "; ".join(_shape_text(s) for s in value.list.shape)
        return text
    return "; ".join(_shape_text(s) for s in value.list.shape)


def _is_foldable(node: NodeDef) -> bool:
    if node.op in FOLDED_OPS:
        return True
    if node.op == "Placeholder" and node.attr["dtype"].type == DT_RESOURCE:
        return True  # a captured variable handle in a function graph
    return False


def clean_graph(graph_def: GraphDef, shapes: dict[str, str] | None = None) -> CleanGraph:
    """Clean ``graph_def`` for display.

    In: a GraphDef and optional ``{node name: shape text}`` (else ``_output_shapes`` is used).
    Out: a CleanGraph holding every node; constants, variable handles, NoOps, and
    Identity/ReadVariableOp nodes that read only such nodes are marked folded and listed in
    their consumers' ``folded``; control edges are dropped (counted in ``n_control``); data
    edges from folded nodes are dropped. Inputs naming unknown nodes are ignored.
    """
    nodes: list[ViewNode] = []
    index: dict[str, int] = {}
    kept = []  # the NodeDefs kept, in order (a duplicated name keeps its first)
    attr_memo: dict[bytes, str] = {}
    shape_memo: dict[bytes, str] = {}
    shapes = shapes or {}
    for node in graph_def.node:
        name = node.name
        if name in index:
            continue  # a duplicated name: keep the first, as TensorFlow would refuse it anyway
        shape = shapes.get(name) or _output_shapes(node, shape_memo)
        index[name] = len(nodes)
        kept.append(node)
        nodes.append(ViewNode(name, node.op, attrs=node_attrs(node, attr_memo), shape=shape,
                              is_folded=_is_foldable(node), input_refs=top_level_refs(node)))
    raw_inputs: list[list[int]] = [[] for _ in nodes]
    for i, node in enumerate(kept):
        ins = raw_inputs[i]
        for ref in node.input:
            if ref.startswith("^"):
                nodes[i].n_control += 1
                continue
            j = index.get(input_name(ref)[0] if ":" in ref else ref)
            if j is not None:
                ins.append(j)
    # Fold pass-through reads of folded nodes, repeatedly (Identity of Identity of Const).
    changed = True
    while changed:
        changed = False
        for i, n in enumerate(nodes):
            if (not n.is_folded and n.op in PASS_THROUGH_OPS and raw_inputs[i]
                    and all(nodes[j].is_folded for j in raw_inputs[i])):
                n.is_folded = True
                changed = True
    for i, n in enumerate(nodes):
        seen: set[int] = set()
        for j in raw_inputs[i]:
            if j in seen:
                continue
            seen.add(j)
            (n.folded if nodes[j].is_folded else n.inputs).append(j)
    return CleanGraph(nodes, index, n_functions=len(graph_def.library.function))


def infer_shapes(graph_def: GraphDef, max_nodes: int = 60_000) -> dict[str, str]:
    """Return ``{node name: output shape text}`` by importing ``graph_def`` into a tf.Graph.

    In: a GraphDef (with real constant bodies). Out: shapes as TensorFlow infers them
    statically; an empty dict when the graph is bigger than ``max_nodes`` or cannot be
    imported (unknown ops, a training graph with functions TensorFlow lacks...). Never raises.
    The graph may come from anywhere, and shape inference evaluates constant subgraphs (a
    ``ReadFile`` feeding a shape would read a local file into the page): a graph with ops
    that touch files, the network or Python gets no shapes, and the import happens in a
    child process with keras2pb's guards and limits (``keras2pb.runtime.isolation``). The
    child stays up for the next graph (its TensorFlow import costs seconds); one that dies
    or exceeds the time limit costs that graph its shapes and is started afresh next time.
    """
    from ..graph.checks import unsafe_ops

    if len(graph_def.node) > max_nodes or unsafe_ops(graph_def):
        return {}
    return _SHAPE_CHILD.shapes(graph_def.SerializeToString())


class _ShapeChild:
    """The long-lived child that infers shapes: one graph in (``<size>\\n<bytes>`` on its
    stdin), one JSON line out. Results are kept by the graph's SHA-256 (32 graphs)."""

    def __init__(self) -> None:
        import threading

        self.proc = None
        self.lock = threading.Lock()
        self.cache: dict[str, dict[str, str]] = {}

    def shapes(self, data: bytes) -> dict[str, str]:
        import hashlib

        key = hashlib.sha256(data).hexdigest()
        with self.lock:
            if key not in self.cache:
                shapes = self._ask(data)
                if shapes is None:
                    return {}
                if len(self.cache) >= 32:
                    self.cache.pop(next(iter(self.cache)))
                self.cache[key] = shapes
            return dict(self.cache[key])

    def _ask(self, data: bytes) -> dict[str, str] | None:
        import json
        import selectors

        from ..errors import Keras2pbError
        from ..runtime.isolation import start_child, time_limit

        try:
            limit = time_limit()
            if self.proc is None or self.proc.poll() is not None:
                self.proc = start_child(["-m", "keras2pb.viewer.clean"],
                                        env={"TF_CPP_MIN_LOG_LEVEL": "3"})
            self.proc.stdin.write(b"%d\n" % len(data) + data)
            self.proc.stdin.flush()
            with selectors.DefaultSelector() as sel:
                sel.register(self.proc.stdout, selectors.EVENT_READ)
                line = self.proc.stdout.readline() if sel.select(limit) else b""
            shapes = json.loads(line)  # b"": the child died or ran out of time
            if not isinstance(shapes, dict):
                raise ValueError("not a dict")
            return shapes
        except (Keras2pbError, OSError, ValueError):
            self.stop()
            return None

    def stop(self) -> None:
        from ..runtime.isolation import stop_child

        if self.proc is not None:
            stop_child(self.proc)
            self.proc = None


_SHAPE_CHILD = _ShapeChild()


def _infer_shapes_here(graph_def: GraphDef) -> dict[str, str]:
    """``infer_shapes``' child: import the graph in this process and read its shapes."""
    try:
        import tensorflow as tf

        graph = tf.Graph()
        with graph.as_default():
            tf.compat.v1.import_graph_def(copy.copy(graph_def), name="")
        out = {}
        for op in graph.get_operations():
            texts = []
            for t in op.outputs:
                shape = t.shape
                if shape.rank is None:
                    texts.append("<unknown rank>")
                else:
                    dims = ["?" if d is None else str(d) for d in shape.as_list()]
                    texts.append("(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")")
            out[op.name] = "; ".join(texts)
        return out
    except Exception:  # noqa: BLE001 - shapes are a nicety; a graph we cannot import has none
        return {}


def _serve() -> None:
    """The shape child's loop: read ``<size>\\n<bytes>`` graphs from stdin until it closes,
    answer each with one JSON line of shapes."""
    import json

    from tensorflow.core.framework.graph_pb2 import GraphDef as TFGraphDef

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while header := stdin.readline():
        data = stdin.read(int(header))
        try:
            shapes = _infer_shapes_here(TFGraphDef.FromString(data))
        except Exception:  # noqa: BLE001 - a graph that does not parse has no shapes
            shapes = {}
        stdout.write(json.dumps(shapes).encode() + b"\n")
        stdout.flush()


if __name__ == "__main__":  # python -m keras2pb.viewer.clean: infer_shapes' child
    _serve()
