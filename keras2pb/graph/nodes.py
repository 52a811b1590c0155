"""A GraphDef as a list of nodes with input indices: what the stage diff and the viewer share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .signature import node_name

if TYPE_CHECKING:  # works on TensorFlow's GraphDef and TensorBoard's copy alike
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef

DT_RESOURCE = 20  # tensorflow.DataType.DT_RESOURCE


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
    """Only node names and op types (and whether a Placeholder holds a variable handle, and
    the inputs of top-level nodes): what a diff needs, without the cost of attributes,
    shapes and edges."""
    nodes: list[ViewNode] = []
    index: dict[str, int] = {}
    for node in graph_def.node:
        if node.name in index:
            continue
        resource = (node.op == "Placeholder" and "dtype" in node.attr
                    and node.attr["dtype"].type == DT_RESOURCE)
        index[node.name] = len(nodes)
        nodes.append(ViewNode(node.name, node.op, attrs=[("dtype", "resource")] if resource
                              else [], input_refs=top_level_refs(node)))
    return CleanGraph(nodes, index)
