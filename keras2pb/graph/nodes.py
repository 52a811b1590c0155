"""A GraphDef as a list of nodes with input indices: what the stage diff and the viewer share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .signature import node_name

if TYPE_CHECKING:  # works on TensorFlow's GraphDef and TensorBoard's copy alike
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef

DT_RESOURCE = 20  # tensorflow.DataType.DT_RESOURCE
#: TensorFlow's DataType values of the common dtypes -> their names (``types.proto``).
DTYPE_NAMES = {1: "float32", 2: "float64", 3: "int32", 4: "uint8", 5: "int16", 6: "int8",
               7: "string", 8: "complex64", 9: "int64", 10: "bool", 14: "bfloat16",
               17: "uint16", 19: "float16"}


@dataclass
class ViewNode:
    """One node of the cleaned graph: what the viewer draws or folds into a consumer."""

    name: str
    op: str
    inputs: list[int] = field(default_factory=list)  # data inputs (not folded), node indices
    folded: list[int] = field(default_factory=list)  # folded nodes this one consumes
    attrs: list[tuple[str, str]] = field(default_factory=list)
    shape: str = ""
    is_folded: bool = False
    n_control: int = 0  # control inputs dropped
    #: the NodeDef's inputs as written (``a``, ``a:1``, ``^b``), kept only for top-level
    #: nodes (no name scope): the diff matches a function's ``Identity``/``NoOp`` by them
    input_refs: tuple[str, ...] = ()


@dataclass
class CleanGraph:
    """All nodes of a GraphDef (folded ones included) with data edges between shown ones."""

    nodes: list[ViewNode]
    index: dict[str, int]
    n_functions: int = 0

    @property
    def shown(self) -> list[int]:
        """Indices of the nodes that get a box of their own (not folded)."""
        return [i for i, n in enumerate(self.nodes) if not n.is_folded]


def input_name(ref: str) -> tuple[str, bool]:
    """Split a NodeDef input reference into (node name, is control edge): ``^a`` or ``a:1``."""
    return node_name(ref), ref.startswith("^")


def top_level_refs(node: NodeDef) -> tuple[str, ...]:
    """The inputs of a node without a name scope (see ``ViewNode.input_refs``), else ()."""
    return tuple(node.input) if "/" not in node.name else ()


def names_graph(graph_def: GraphDef) -> CleanGraph:
    """Only node names and op types (and whether a Placeholder holds a variable handle, the
    dtype and shape of a constant's value, and the inputs of top-level nodes): what a diff
    needs, without the cost of attributes, shapes and edges."""
    nodes: list[ViewNode] = []
    index: dict[str, int] = {}
    for node in graph_def.node:
        if node.name in index:
            continue
        resource = (node.op == "Placeholder" and "dtype" in node.attr
                    and node.attr["dtype"].type == DT_RESOURCE)
        attrs = [("dtype", "resource")] if resource else []
        if node.op == "Const" and "value" in node.attr:
            tensor = node.attr["value"].tensor
            dims = [str(d.size) if d.size >= 0 else "?" for d in tensor.tensor_shape.dim]
            shape = "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"
            dtype = DTYPE_NAMES.get(tensor.dtype, f"dtype({tensor.dtype})")
            attrs = [("value", f"tensor {dtype} {shape}")]  # as viewer.clean writes it
        index[node.name] = len(nodes)
        nodes.append(ViewNode(node.name, node.op, attrs=attrs,
                              input_refs=top_level_refs(node)))
    return CleanGraph(nodes, index)


#: Ops that hold a variable (a Placeholder of dtype resource, a captured handle, too).
VARIABLE_OPS = frozenset({"VarHandleOp", "VariableV2", "Variable"})
_ITEMSIZE = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int32": 4, "int64": 8,
             "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "bool": 1, "complex64": 8}


def is_variable(node: ViewNode) -> bool:
    """Whether ``node`` holds a variable (a variable op, or a Placeholder of a handle)."""
    return node.op in VARIABLE_OPS or (node.op == "Placeholder"
                                       and ("dtype", "resource") in node.attrs)


def tensor_size(node: ViewNode) -> tuple[str, int]:
    """The shape text and size in bytes of a constant's or variable's value, from its
    attributes (``value`` of a Const, ``shape`` and ``dtype`` of a VarHandleOp); ("", 0)
    when unknown (a captured variable handle's ``shape`` is the handle's, not the value's)."""
    if node.op == "Placeholder":
        return "", 0
    attrs = dict(node.attrs)
    m = re.match(r"tensor (\S+) (\([^)]*\))", attrs.get("value", ""))
    dtype, shape = (m.group(1), m.group(2)) if m else (attrs.get("dtype", ""),
                                                        attrs.get("shape", ""))
    dims = re.findall(r"-?\d+|\?", shape)
    if not shape.startswith("(") or any(d in ("?", "-1") for d in dims):
        return shape if shape.startswith("(") else "", 0
    return shape, element_count(shape) * _ITEMSIZE.get(dtype, 4)


def element_count(shape: str) -> int:
    """How many elements a tensor of shape text ``shape`` (``(3, 3, 1, 32)``) holds."""
    count = 1
    for d in re.findall(r"\d+", shape):
        count *= int(d)
    return count
