"""The data a viewer page carries (JSON): per pane its nodes, scopes, fates and chips; the
per-op table, the stage bars and the change navigator's homes. It receives GraphDefs and diffs
(``keras2pb.graph.diff``); the first-view policy is in ``first_view``, the HTML in ``page``.

A per-node overlay (e.g. how far each op's output drifts between runtimes) belongs here as one
more column of ``pane_data``'s ``n`` (one value per node, like ``f``), computed by its owner
and passed in by ``build``; the page draws it in its own js/ file, beside the fates.
"""

from __future__ import annotations

import contextlib
import gc
import math
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..graph.diff import CATEGORIES, REWRITE_ADDED, REWRITE_REMOVED, NodeDiff, StageDiff
from ..graph.nodes import CleanGraph, is_variable, tensor_size
from .clean import clean_graph, infer_shapes
from .collapse import Hierarchy, build_hierarchy, initial_expansion

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef


#: What can happen to a node, as the page colours it: the removal reasons (CATEGORIES, in
#: that order), then these; the texts of "added" and "removed_freeze" depend on the page.
FATES = (*CATEGORIES, ("kept", "kept"), ("changed", "changed at freezing"),
         ("input", "input changed at freezing"), ("added", "added"),
         ("added_freeze", "added at freezing"), ("removed_freeze", "removed at freezing"))
FATE = {key: k for k, (key, _) in enumerate(FATES)}


#: The fates of a page comparing a frozen graph with a rewrite of it (diff kind "rewrite"):
#: why a node was removed, kept, then what the rewrite did (``graph.diff.REWRITE_*``).
REWRITE_FATES = (*REWRITE_REMOVED, ("kept", "unchanged"), *REWRITE_ADDED)


#: Ops that only pass a variable on (a read, an Identity).
READ_OPS = frozenset({"ReadVariableOp", "Identity"})


@dataclass
class PreparedGraph:
    """A graph ready to show: its cleaned nodes, scope tree and first-view expansion."""

    title: str
    graph: CleanGraph
    hier: Hierarchy
    expanded: set[int]


def prepare(graph_def: GraphDef, title: str, shapes: bool = True) -> PreparedGraph:
    """Clean ``graph_def``, group it into scopes and choose the first view.

    In: a GraphDef (constants may be full or stripped), a title, and whether to infer missing
    output shapes by importing the graph into TensorFlow (done only when TensorFlow is
    imported already: ``keras2pb show`` stays free of its 4 s import). Out: a PreparedGraph.
    """
    has_shapes = any("_output_shapes" in n.attr for n in graph_def.node[:50])
    infer = shapes and not has_shapes and "tensorflow" in sys.modules
    shape_map = infer_shapes(graph_def) if infer else None
    with gc_paused():
        graph = clean_graph(graph_def, shape_map)
        hier = build_hierarchy(graph)
    return PreparedGraph(title, graph, hier, initial_expansion(hier, graph))


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block: a page makes millions of small
    objects, none of them cyclic garbage, and each full collection walks them all (a tenth
    of a second and more on a ResNet152 training step)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Table:
    """Interns repeated values (shapes, attribute lists) so the page stays small."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.index: dict[Any, int] = {}

    def add(self, value: Any, key: Any = None) -> int:
        """Index of ``value`` (added if new); ``key`` is a hashable stand-in for it."""
        key = value if key is None else key
        k = self.index.get(key)
        if k is None:
            k = self.index[key] = len(self.items)
            self.items.append(value)
        return k


def pane_data(pg: PreparedGraph, fates: list[int] | None = None,
              twins: list[list[int] | None] | None = None,
              chips: dict[int, list[list[Any]]] | None = None,
              role: str = "", caption: str = "",
              drift: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the JSON-ready data of one pane (column arrays; see ``assets/js/panes.js``).

    In: a PreparedGraph; optionally per node its fate (an index into FATES, -1: none, see
    :func:`stage_fates`), per other pane the index of each node's twin there (the same node,
    see :func:`diff.twins`; -1: none; None: not linked directly), the chips of the ops that
    read variables (see :func:`chips_of`), the pane's role ("training", "trace", "frozen")
    and the caption its exports carry; optionally a per-node drift report's dict (see
    :func:`drift_overlay`: column ``dr``, and ``drift``). Out: a dict of plain lists, strings
    and numbers.
    """
    g, hier = pg.graph, pg.hier
    ops, shapes, attrs = _Table(), _Table(), _Table()
    cols: dict[str, list] = {k: [] for k in ("name", "op", "p", "in", "fo", "at", "sh", "fd",
                                             "cc")}
    for i, n in enumerate(g.nodes):
        path = hier.scopes[hier.parent[i]].path
        if not path:
            suffix = n.name
        elif n.name == path:
            suffix = ""
        else:
            suffix = n.name[len(path) + 1:]
        cols["name"].append(suffix)
        cols["op"].append(ops.add(n.op))
        cols["p"].append(hier.parent[i])
        cols["in"].append(n.inputs)
        cols["fo"].append(n.folded)
        cols["at"].append(attrs.add(n.attrs, tuple(n.attrs)))
        cols["sh"].append(shapes.add(n.shape))
        cols["fd"].append(1 if n.is_folded else 0)
        cols["cc"].append(n.n_control)
    cols["f"] = list(fates) if fates is not None else [-1] * len(g.nodes)
    overlay = None
    if drift is not None:
        cols["dr"], overlay = drift_overlay(g, drift)
    scopes = hier.scopes
    return {
        "drift": overlay,
        "title": pg.title,
        "role": role,
        "caption": caption,
        "nNodes": len(g.nodes),
        "nOpTypes": len(ops.items),
        "nShown": sum(1 for n in g.nodes if not n.is_folded),
        "nFunctions": g.n_functions,
        "ops": ops.items,
        "shapes": shapes.items,
        "attrs": attrs.items,
        "n": cols,
        "tw": twins or [],
        "chips": {str(i): c for i, c in (chips or {}).items()},
        "s": {
            "label": [sc.label for sc in scopes],
            "path": [sc.path for sc in scopes],
            "p": [sc.parent for sc in scopes],
            "kind": [sc.kind for sc in scopes],
            "cnt": [sc.count for sc in scopes],
            "shown": [sc.shown for sc in scopes],
            "nb": [hier.n_boxes(k, g) for k in range(len(scopes))],
            "fc": scope_fates(pg, fates),
        },
        "expanded": sorted(pg.expanded),
    }


def drift_overlay(graph: CleanGraph, report: dict[str, Any]
                  ) -> tuple[list[float | None], dict[str, Any]]:
    """The drift column of a pane and its summary, from a per-node drift report's dict
    (``DriftReport.to_dict()``, what ``keras2pb verify --per-node --json`` prints).

    Per node of ``graph`` (matched by name with the report's frozen-graph nodes): its largest
    ``max_rel_diff`` over the report's pairs; ``None`` where no pair compared it; ``-1`` where
    a side is not finite (NaN or inf: the worst). The summary: the first divergence's node
    index (-1: none or not in this graph) and name, its numbers and pair, the tolerance range
    and the number of nodes matched. Raises ValueError when the dict is not such a report.
    """
    check_drift(report)
    worst: dict[str, float] = {}
    for pair in report["pairs"]:
        for n in pair["nodes"]:
            rel = n.get("max_rel_diff")
            value = float("inf") if rel is None else float(rel)
            if value > worst.get(n["node"], -1.0):
                worst[n["node"]] = value
    column: list[float | None] = []
    for n in graph.nodes:
        v = worst.get(n.name)
        column.append(None if v is None else (-1 if v == float("inf") else v))
    first = report.get("first_divergence") or None
    index = {n.name: i for i, n in enumerate(graph.nodes)}
    summary: dict[str, Any] = {
        "matched": sum(v is not None for v in column),
        "first": index.get(first["node"], -1) if first else -1,
        "firstNode": first.get("node") if first else None,
        "firstInfo": {k: _finite_or_text(first.get(k))
                      for k in ("max_abs_diff", "max_rel_diff", "tolerance", "reference",
                                "runtime")} if first else None,
        "rtol": report.get("rtol"), "atol": report.get("atol"),
    }
    return column, summary


def _finite_or_text(v: Any) -> Any:
    """``v`` when JSON can carry it (a finite number, a string), else None."""
    if isinstance(v, str) or (isinstance(v, (int, float)) and not isinstance(v, bool)
                              and math.isfinite(v)):
        return v
    return None


def check_drift(report: Any) -> None:
    """Raise ValueError when ``report`` is not a per-node drift report's dict."""
    pairs = report.get("pairs") if isinstance(report, dict) else None
    if not isinstance(pairs, list):
        raise ValueError("not a per-node drift report (no 'pairs' list; make one with "
                         "keras2pb verify MODEL GRAPH.pb --per-node --json)")
    first = report.get("first_divergence")
    if first is not None and not (isinstance(first, dict) and isinstance(first.get("node"),
                                                                          str)):
        raise ValueError("not a per-node drift report ('first_divergence' has no node)")
    for pair in pairs:
        nodes = pair.get("nodes") if isinstance(pair, dict) else None
        if not isinstance(nodes, list):
            raise ValueError("not a per-node drift report (a pair without a 'nodes' list)")
        for n in nodes:
            rel = n.get("max_rel_diff") if isinstance(n, dict) else None
            if (not isinstance(n, dict) or not isinstance(n.get("node"), str)
                    or not (rel is None or (isinstance(rel, (int, float))
                                            and not isinstance(rel, bool)))):
                raise ValueError("not a per-node drift report (a node without a name or "
                                 "a numeric max_rel_diff)")


def scope_fates(pg: PreparedGraph, fates: list[int] | None) -> list[list[int]]:
    """Per scope, ``[fate, count, fate, count, ...]`` of all nodes beneath it, commonest
    first (ties in FATES order)."""
    hier = pg.hier
    n_scopes = len(hier.scopes)
    out: list[Counter] = [Counter() for _ in range(n_scopes)]
    if fates:
        own: list[Counter] = [Counter() for _ in range(n_scopes)]
        for i, f in enumerate(fates):
            if f >= 0:
                own[hier.parent[i]][f] += 1
        # children have higher indices than their parents (preorder): sum bottom-up
        for s in range(n_scopes - 1, -1, -1):
            out[s].update(own[s])
            up = hier.scopes[s].parent
            if up >= 0:
                out[up].update(out[s])
    return [[x for f, v in sorted(c.items(), key=lambda fv: (-fv[1], fv[0])) for x in (f, v)]
            for c in out]


def _reads_changed(graph: CleanGraph, fates: list[int]) -> list[int]:
    """``fates`` with "kept" turned into "input changed at freezing" for the nodes that read
    (directly, or through a folded read) a node freezing changed."""
    changed = FATE["changed"]
    out = list(fates)
    for i, n in enumerate(graph.nodes):
        if fates[i] == FATE["kept"] and any(fates[j] == changed for j in (*n.folded, *n.inputs)):
            out[i] = FATE["input"]
    return out


def stage_fates(diff: NodeDiff | StageDiff, graphs: list[CleanGraph]) -> list[list[int]]:
    """Per pane (training step, [inference trace,] frozen graph) the fate of each node."""
    if isinstance(diff, StageDiff):
        tracing, freezing = diff.tracing, diff.freezing
        first = [FATE["kept"] if st == "kept" else FATE.get(c or "other", FATE["other"])
                 for st, c in zip(tracing.left_status, tracing.left_category, strict=True)]
        middle_of = {"kept": "kept", "changed": "changed", "added": "added",
                     "removed": "removed_freeze"}
        middle = [FATE[middle_of[st]] for st in diff.middle_status]
        last = []
        for st, k in zip(diff.right_status, freezing.right_match, strict=True):
            if st == "added":
                st = "added" if k >= 0 else "added_freeze"
            last.append(FATE[st])
        return [first, _reads_changed(graphs[1], middle), _reads_changed(graphs[2], last)]
    first = [FATE["kept"] if st == "kept" else FATE.get(c or "other", FATE["other"])
             for st, c in zip(diff.left_status, diff.left_category, strict=True)]
    last = [FATE[st] for st in diff.right_status]
    return [first, _reads_changed(graphs[1], last)]


def rewrite_fates(diff: NodeDiff) -> list[list[int]]:
    """Per pane (the frozen graph, its rewrite) the fate of each node: an index into
    REWRITE_FATES. A removed node has its reason; a kept one its twin's (what the rewrite
    did to it), or "kept"."""
    index = {key: k for k, (key, _) in enumerate(REWRITE_FATES)}
    left = [index[c or (diff.right_reason[j] if j >= 0 else "") or "kept"]
            for c, j in zip(diff.left_category, diff.left_match, strict=True)]
    return [left, [index[r or "kept"] for r in diff.right_reason]]


def chips_of(graph: CleanGraph, fates: list[int] | None,
             sizes: dict[str, tuple[str, int]]) -> dict[int, list[list[Any]]]:
    """Per op that reads variables (directly or through folded reads), one chip per variable:
    ``[name, shape text, bytes, kind, source node]``; kind 0: a variable, 1: the constant
    freezing made of one (a Const whose fate is "changed"). ``sizes`` gives the shape and
    bytes of a variable by name when its own node lacks them (a captured handle)."""
    changed = FATE["changed"]
    out: dict[int, list[list[Any]]] = {}
    nodes = graph.nodes

    def sources(j: int, depth: int = 0) -> list[tuple[int, int]]:
        n = nodes[j]
        if is_variable(n):
            return [(j, 0)]
        if n.op == "Const":
            return [(j, 1)] if fates and fates[j] == changed else []
        if n.op in READ_OPS and depth < 4:
            return [s for k in n.folded for s in sources(k, depth + 1)]
        return []

    for i, n in enumerate(nodes):
        if n.is_folded or not n.folded:
            continue
        found = [s for j in n.folded for s in sources(j)]
        if not found:
            continue
        chips = []
        for j, kind in dict.fromkeys(found):
            src = nodes[j]
            shape, size = tensor_size(src)
            if not size:
                shape, size = sizes.get(src.name, (shape, 0))
            chips.append([_chip_name(src.name, n.name), shape or "?", size, kind, j])
        out[i] = chips
    return out


def _chip_name(name: str, consumer: str) -> str:
    """A variable's short name on a chip: "kernel" of "dense/kernel"; for a captured handle
    "conv1/convolution/ReadVariableOp/resource", "" (its op's name says nothing more)."""
    for tail in ("/ReadVariableOp/resource", "/resource", "/ReadVariableOp"):
        if name.endswith(tail):
            return "" if tail != "/ReadVariableOp" else name.rsplit("/", 2)[-2]
    return name.rsplit("/", 1)[-1]


def variable_sizes(*graphs: CleanGraph) -> dict[str, tuple[str, int]]:
    """``{name: (shape text, bytes)}`` of every constant and variable with a known size (the
    last graph's first: a frozen graph's constants know what its variables held)."""
    out: dict[str, tuple[str, int]] = {}
    for g in reversed(graphs):
        for n in g.nodes:
            if n.op == "Const" or is_variable(n):
                shape, size = tensor_size(n)
                if size and n.name not in out:
                    out[n.name] = (shape, size)
    return out


def diff_table(diff: NodeDiff | StageDiff) -> dict[str, Any]:
    """The per-op-type table: ``{"groups": [[title, [column, ...]], ...], "rows": [[op type,
    count, ...], ...]}``, one column group per transition, most removed first."""
    def changed_by_op(d: NodeDiff) -> Counter:
        out: Counter = Counter()
        for key, v in d.changed.items():
            out[key.partition("→")[0]] += v
        return out

    if isinstance(diff, StageDiff):
        t, f = diff.tracing, diff.freezing
        cols = [t.removed, t.kept, t.added, f.removed, changed_by_op(f), f.added]
        groups = [["at tracing", ["removed", "kept", "added"]],
                  ["at freezing", ["removed", "changed", "added"]]]
    else:
        cols = [diff.removed, diff.kept, changed_by_op(diff), diff.added]
        groups = [[f"{diff.titles[0]} → {diff.titles[1]}",
                   ["removed", "kept", "changed", "added"]]]
    ops = set().union(*cols)
    rows = [[op, *(c.get(op, 0) for c in cols)] for op in ops]
    rows.sort(key=lambda r: (-r[1], -sum(r[2:]), r[0]))
    return {"groups": groups, "rows": rows}


#: Per fate key, the pane that lists it in the change navigator and its transition.
NAV_STAGES = {**{key: [0, 0] for key, _ in CATEGORIES}, "added": [1, 0],
              "changed": [2, 1], "input": [2, 1], "added_freeze": [2, 1],
              "removed_freeze": [1, 1]}


NAV_PAIR = {**{key: [0, 0] for key, _ in CATEGORIES}, "added": [1, 0], "changed": [1, 0],
            "input": [1, 0]}


NAV_REWRITE = {**{key: [0, 0] for key, _ in REWRITE_REMOVED},
               **{key: [1, 0] for key, _ in REWRITE_ADDED}}


def borrow_shapes(graph: CleanGraph, other: CleanGraph, twin: list[int]) -> None:
    """Give nodes without an output shape the shape of their twin in ``other`` when it
    computes the same tensor (same op, or a variable read that freezing made an Identity)."""
    for n, j in zip(graph.nodes, twin, strict=True):
        if n.shape or j < 0:
            continue
        o = other.nodes[j]
        if o.op == n.op or (o.op, n.op) == ("ReadVariableOp", "Identity"):
            n.shape = o.shape


def stage_bars(titles: tuple[str, ...], fates: list[list[int]]) -> list[dict[str, Any]]:
    """The node-count bars: per pane its title, node count and ``[fate, count]`` parts."""
    return [{"title": t, "count": len(f),
             "parts": [[k, v] for k, v in sorted(Counter(f).items()) if k >= 0]}
            for t, f in zip(titles, fates, strict=True)]
