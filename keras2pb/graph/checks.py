"""Checks on GraphDefs: no training ops after freezing; safe to import before loading."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import Keras2pbError
from .optypes import training_reason
from .signature import node_name

if TYPE_CHECKING:  # TensorFlow is imported only where an op registry is needed
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef

#: Ops that read or write files, reach the network or run Python: refused on load by default.
_UNSAFE_OPS = {
    "ReadFile", "WriteFile", "MatchingFiles", "Save", "SaveV2", "SaveSlices", "Restore",
    "RestoreV2", "RestoreSlice", "MergeV2Checkpoints", "ShardedFilename", "ShardedFilespec",
    "PyFunc", "PyFuncStateless", "EagerPyFunc", "PrintV2", "Print", "WriteSummary",
    "WriteScalarSummary", "WriteHistogramSummary", "WriteImageSummary", "WriteAudioSummary",
    "WriteGraphSummary", "WriteRawProtoSummary", "CreateSummaryFileWriter", "CreateSummaryDbWriter",
    "ImportEvent", "FlushSummaryWriter", "DebugIdentity", "DebugIdentityV2", "DebugIdentityV3",
    "DebugNanCount", "DebugNumericSummary", "DebugNumericSummaryV2", "ImmutableConst",
    "LoadAndRemapMatrix", "GenerateVocabRemapping", "InitializeTableFromTextFile",
    "InitializeTableFromTextFileV2", "DecodeProtoV2", "EncodeProto",
}
#: The most ``/``-separated scopes a node name may have: real graphs stay far below; a name
#: thousands deep exhausts the recursion of every tool that draws the scope tree.
MAX_SCOPE_DEPTH = 500
_UNSAFE_SUBSTRINGS = ("Reader", "Dataset", "Iterator", "FileSystem", "Checkpoint",
                      "SummaryWriter", "Socket", "Rpc", "Gcs", "BigQuery", "Bigtable")


def all_nodes(gd: GraphDef) -> Iterator[NodeDef]:
    """Yield every node of ``gd``, including those inside its function library."""
    yield from gd.node
    for fn in gd.library.function:
        yield from fn.node_def


def training_op_reason(node: NodeDef) -> str | None:
    """Return why ``node`` has no place in a frozen inference graph, or None if it is fine.

    The reasons ("variable", "resource", "optimizer", "gradient", "random") come from the one
    op taxonomy, ``keras2pb.graph.optypes.training_reason``.
    """
    resource = (node.op == "Placeholder" and "dtype" in node.attr
                and node.attr["dtype"].type == 20)  # DT_RESOURCE: a variable handle
    return training_reason(node.name, node.op, resource)


def training_ops(gd: GraphDef) -> list[tuple[str, str, str]]:
    """Return ``(node name, op, reason)`` for every training-only op left in ``gd``."""
    found = []
    for node in all_nodes(gd):
        reason = training_op_reason(node)
        if reason:
            found.append((node.name, node.op, reason))
    return found


def check_frozen(gd: GraphDef, path: str | os.PathLike | None = None) -> None:
    """Raise Keras2pbError if ``gd`` still holds variable, resource, optimizer, gradient or
    random ops (which would make it no longer a self-contained inference graph)."""
    found = training_ops(gd)
    if found:
        shown = ", ".join(f"{n} ({op}: {why})" for n, op, why in found[:5])
        more = f" and {len(found) - 5} more" if len(found) > 5 else ""
        raise Keras2pbError(f"frozen graph still holds training ops: {shown}{more}", path)


def is_unsafe_op(op: str) -> bool:
    """True for ops that touch the file system, the network or Python."""
    return op in _UNSAFE_OPS or any(s in op for s in _UNSAFE_SUBSTRINGS)


def unsafe_ops(gd: GraphDef) -> list[tuple[str, str]]:
    """Return ``(node name, op)`` for every op in ``gd`` that touches files, network or Python."""
    return [(n.name, n.op) for n in all_nodes(gd) if is_unsafe_op(n.op)]


def unknown_ops(gd: GraphDef) -> list[tuple[str, str]]:
    """Return ``(node name, op)`` for ops this TensorFlow does not know (and are not functions)."""
    from tensorflow.python.framework import op_def_registry

    functions = {f.signature.name for f in gd.library.function}
    return [(n.name, n.op) for n in all_nodes(gd)
            if n.op not in functions and op_def_registry.get(n.op) is None]


def dangling_inputs(gd: GraphDef) -> list[tuple[str, str]]:
    """Return ``(node name, input)`` for top-level inputs that name no node of ``gd``."""
    names = {n.name for n in gd.node}
    bad = []
    for n in gd.node:
        for inp in n.input:
            src = node_name(inp)
            if src not in names:
                bad.append((n.name, inp))
    return bad


def cycle_nodes(gd: GraphDef) -> list[str]:
    """Names of top-level nodes on a cycle, ignoring TF1 loops' NextIteration -> Merge edges."""
    ops = {n.name: n.op for n in gd.node}
    pending = {n.name: 0 for n in gd.node}
    users: dict[str, list[str]] = {name: [] for name in pending}
    for n in gd.node:
        for inp in n.input:
            src = node_name(inp)
            if src in users and not (n.op == "Merge" and ops[src] == "NextIteration"):
                users[src].append(n.name)
                pending[n.name] += 1
    ready = [name for name, count in pending.items() if count == 0]
    while ready:
        for user in users[ready.pop()]:
            pending[user] -= 1
            if pending[user] == 0:
                ready.append(user)
    return [name for name, count in pending.items() if count > 0]


def check_names(gd: GraphDef, path: str | os.PathLike | None = None) -> None:
    """Raise Keras2pbError if a node name has more than ``MAX_SCOPE_DEPTH`` scopes."""
    for n in all_nodes(gd):
        if n.name.count("/") >= MAX_SCOPE_DEPTH:
            raise Keras2pbError(f"node name {n.name[:60]!r}... is {n.name.count('/') + 1:,} "
                                f"scopes deep (at most {MAX_SCOPE_DEPTH}); the file is damaged "
                                "or hostile", path)


def _calls(fn) -> set[str]:
    """Names of the functions a library function's nodes call (as ops or in attributes)."""
    called = set()
    for node in fn.node_def:
        called.add(node.op)
        for value in node.attr.values():
            if value.HasField("func"):
                called.add(value.func.name)
            called.update(f.name for f in value.list.func)
    return called


def recursive_functions(gd: GraphDef) -> list[str]:
    """Names of library functions that call themselves, directly or through others
    (TensorFlow recurses until its stack overflows: a segfault, not an error)."""
    names = {f.signature.name for f in gd.library.function}
    calls = {f.signature.name: _calls(f) & names for f in gd.library.function}
    state: dict[str, int] = {}  # 1: on the path being walked, 2: done
    found: list[str] = []
    for start in calls:
        if start in state:
            continue
        state[start] = 1
        stack = [(start, iter(sorted(calls[start])))]
        while stack:
            name, todo = stack[-1]
            nxt = next(todo, None)
            if nxt is None:
                state[name] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                found.append(nxt)
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(sorted(calls[nxt]))))
    return sorted(set(found))


def check_structure(gd: GraphDef, path: str | os.PathLike | None = None) -> None:
    """Raise Keras2pbError if ``gd`` is damaged: no nodes, nodes without a name or an op,
    names thousands of scopes deep, duplicate names, inputs that name no node, cycles outside
    TF1 control flow, or functions that call themselves."""
    if not gd.node:
        raise Keras2pbError("parsed as a GraphDef but holds no nodes; is it really a "
                            "frozen graph?", path)
    check_names(gd, path)
    empty = [n.name or "<unnamed>" for n in all_nodes(gd) if not n.op or not n.name]
    if empty:
        raise Keras2pbError(f"graph has nodes without a name or an op: {', '.join(empty[:5])};"
                            " the file is damaged", path)
    seen: set[str] = set()
    dupes = [n.name for n in gd.node if n.name in seen or seen.add(n.name)]
    if dupes:
        raise Keras2pbError(f"graph has duplicate node names: {', '.join(dupes[:5])}; "
                            "the file is damaged", path)
    dangling = dangling_inputs(gd)
    if dangling:
        shown = ", ".join(f"{n} <- {i}" for n, i in dangling[:5])
        raise Keras2pbError(f"graph has inputs that name no node: {shown}; "
                            "the file is damaged", path)
    cycle = cycle_nodes(gd)
    if cycle:
        raise Keras2pbError(f"graph has a cycle through {', '.join(cycle[:5])}; "
                            "the file is damaged", path)
    recursive = recursive_functions(gd)
    if recursive:
        raise Keras2pbError(f"graph function {recursive[0]!r} calls itself; TensorFlow would "
                            "recurse until it crashes: the file is damaged or hostile", path)


def validate_graph(gd: GraphDef, path: str | os.PathLike | None = None,
                   allow_unsafe_ops: bool = False) -> None:
    """Check ``gd`` before it is imported; raise Keras2pbError naming the offending nodes.

    ``gd`` comes from ``read_graph_def``, which has run ``check_structure`` on it already.
    Refuses ops this TensorFlow does not register, and (unless ``allow_unsafe_ops``) ops that
    touch files, the network or Python.
    """
    unknown = unknown_ops(gd)
    if unknown:
        shown = ", ".join(f"{n} ({op})" for n, op in unknown[:5])
        raise Keras2pbError(f"graph uses ops this TensorFlow does not know: {shown}; it needs "
                            "a newer TensorFlow or a custom op library", path)
    if not allow_unsafe_ops:
        unsafe = unsafe_ops(gd)
        if unsafe:
            shown = ", ".join(f"{n} ({op})" for n, op in unsafe[:5])
            raise Keras2pbError(
                f"graph contains ops that touch files, the network or Python: {shown}; "
                "refusing to load it (pass allow_unsafe_ops=True / --allow-unsafe-ops only "
                "if you trust where it came from)", path)
