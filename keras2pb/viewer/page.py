"""Build the self-contained viewer page (graph data, vendored dagre, viewer JS) and its iframe."""

from __future__ import annotations

import contextlib
import gc
import html
import json
import os
import re
import secrets
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..fileio import atomic_write_text
from ..graph.diff import (
    CATEGORIES,
    NodeDiff,
    StageDiff,
    _counts,
    _nodes,
    diff_graphs,
    diff_stages,
    twins,
)
from ..graph.nodes import CleanGraph, ViewNode
from ..graph.optypes import CATEGORY_LABELS, freeze_change
from .clean import clean_graph, infer_shapes
from .collapse import (
    MAX_BOXES,
    Hierarchy,
    build_hierarchy,
    initial_expansion,
    visible_graph,
)

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef

#: Height (px) of the notebook iframe (the page asks its frame for the height it needs).
DEFAULT_HEIGHT = 680
#: What can happen to a node, as the page colours it: the removal reasons (CATEGORIES, in
#: that order), then these; the texts of "added" and "removed_freeze" depend on the page.
FATES = (*CATEGORIES, ("kept", "kept"), ("changed", "changed at freezing"),
         ("input", "input changed at freezing"), ("added", "added"),
         ("added_freeze", "added at freezing"), ("removed_freeze", "removed at freezing"))
FATE = {key: k for k, (key, _) in enumerate(FATES)}
#: Ops that hold a variable, and those that only pass one on (a read, an Identity).
VARIABLE_OPS = frozenset({"VarHandleOp", "VariableV2", "Variable"})
READ_OPS = frozenset({"ReadVariableOp", "Identity"})
_ITEMSIZE = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int32": 4, "int64": 8,
             "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "bool": 1, "complex64": 8}


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
              role: str = "", caption: str = "") -> dict[str, Any]:
    """Return the JSON-ready data of one pane (column arrays; see ``assets/js/panes.js``).

    In: a PreparedGraph; optionally per node its fate (an index into FATES, -1: none, see
    :func:`stage_fates`), per other pane the index of each node's twin there (the same node,
    see :func:`diff.twins`; -1: none; None: not linked directly), the chips of the ops that
    read variables (see :func:`chips_of`), the pane's role ("training", "trace", "frozen")
    and the caption its exports carry. Out: a dict of plain lists, strings and numbers.
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
    scopes = hier.scopes
    return {
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
    count = 1
    for d in dims:
        count *= int(d)
    return shape, count * _ITEMSIZE.get(dtype, 4)


def _is_variable(n: ViewNode) -> bool:
    return n.op in VARIABLE_OPS or (n.op == "Placeholder" and ("dtype", "resource") in n.attrs)


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
        if _is_variable(n):
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
            if n.op == "Const" or _is_variable(n):
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


def transition_sentences(diff: NodeDiff | StageDiff, frozen: CleanGraph | None = None,
                         sizes: dict[str, tuple[str, int]] | None = None,
                         ) -> list[dict[str, str]]:
    """One sentence per transition, every number from the diff (and, for what freezing made
    constant, the sizes of the frozen graph's constants)."""
    if not isinstance(diff, StageDiff):
        return [{"title": f"{diff.titles[0]} → {diff.titles[1]}", "text": diff.summary()
                 .split("; ", 1)[-1]}]
    t, f = diff.tracing, diff.freezing
    n_rm, n_add = sum(t.removed.values()), sum(t.added.values())
    text = f"{n_rm:,} training-step {_nodes(n_rm)} were never recorded"
    if n_rm:
        text += " (" + _counts(t.removed_by_category, None, CATEGORY_LABELS.get) + ")"
    text += f" and {n_add:,} {'was' if n_add == 1 else 'were'} added"
    if n_add:
        text += f" ({_counts(t.added, 4)})"
    tracing = {"title": "Tracing model(x, training=False)", "text": text}
    n_frm = sum(f.removed.values())
    text = f"{n_frm:,} {_nodes(n_frm)} removed"
    variables = [j for j, (st, k) in enumerate(zip(f.right_status, f.right_match, strict=True))
                 if st == "changed" and frozen is not None and frozen.nodes[j].op == "Const"]
    if variables:
        weights = size = 0
        for j in variables:
            shape, nbytes = (sizes or {}).get(frozen.nodes[j].name, ("", 0))
            dims = re.findall(r"\d+", shape)
            count = 1
            for d in dims:
                count *= int(d)
            weights += count if shape else 0
            size += nbytes
        text += (f"; {len(variables):,} {'variable' if len(variables) == 1 else 'variables'} "
                 f"({weights:,} weights, {size / 1e6:.2f} MB) became constants inside the .pb")
    others = sum(f.changed.values()) - len(variables)
    if others:
        text += f"; {others:,} other {_nodes(others)} changed op type (" + ", ".join(
            f"{v:,} {freeze_change(*key.split('→'))}" for key, v in f.changed.most_common()
            if not key.endswith("→Const")) + ")"
    n_fadd = sum(f.added.values())
    if n_fadd:
        text += f"; {n_fadd:,} added ({_counts(f.added, 4)})"
    return [tracing, {"title": "Freezing", "text": text}]


#: Per fate key, the pane that lists it in the change navigator and its transition.
NAV_STAGES = {**{key: [0, 0] for key, _ in CATEGORIES}, "added": [1, 0],
              "changed": [2, 1], "input": [2, 1], "added_freeze": [2, 1],
              "removed_freeze": [1, 1]}
NAV_PAIR = {**{key: [0, 0] for key, _ in CATEGORIES}, "added": [1, 0], "changed": [1, 0],
            "input": [1, 0]}


@cache
def _asset(name: str) -> str:
    text = resources.files("keras2pb.viewer").joinpath("assets", *name.split("/")).read_text(
        encoding="utf-8")
    if name.endswith(".js") and re.search(r"</script", text, re.IGNORECASE):
        raise RuntimeError(f"asset {name} holds '</script' and cannot be inlined")
    return text


#: The viewer's scripts, inlined in this order inside one function (they share its scope).
VIEWER_SCRIPTS = ("js/base.js", "js/panes.js", "js/layout.js", "js/details.js",
                  "js/navigate.js", "js/export.js", "viewer.js")


@cache
def viewer_script() -> str:
    """The viewer's JavaScript: the files of VIEWER_SCRIPTS in one function."""
    return "(function () {\n" + "\n".join(_asset(n) for n in VIEWER_SCRIPTS) + "\n})();"


def script_json(data: Any) -> str:
    """Return ``data`` as JSON that is safe inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` are written as ``\\u003c``, ``\\u003e``, ``\\u0026`` so no name in
    the graph can close the element or open a comment; JSON.parse reads them back unchanged.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def page_html(panes: list[dict[str, Any]], page_title: str, summary: str | None = None,
              table: dict[str, Any] | None = None, max_boxes: int = MAX_BOXES,
              stages: list[dict[str, Any]] | None = None,
              transitions: list[dict[str, str]] | None = None,
              nav: dict[str, list[int]] | None = None,
              fate_texts: dict[str, str] | None = None) -> str:
    """Return the full standalone HTML page for one, two or three panes.

    In: pane dicts from :func:`pane_data`, the page title, an optional one-line diff summary,
    per-op-type table (:func:`diff_table`), node-count bars (:func:`stage_bars`), sentences
    per transition (:func:`transition_sentences`), the change navigator's homes (NAV_*) and
    texts replacing FATES' defaults. Out: one HTML document holding the data, the vendored
    dagre and the viewer script; a Content-Security-Policy forbids every network request and
    every script but these two (by nonce).
    """
    texts = fate_texts or {}
    data = {"panes": panes, "summary": summary, "table": table or {},
            "categories": [list(c) for c in CATEGORIES],
            "fates": [[k, texts.get(k, v)] for k, v in FATES],
            "stages": stages or [], "maxBoxes": max_boxes, "transitions": transitions or [],
            "nav": nav or {}, "removedHead": texts.get("", "removed:")}
    parts = {
        "NONCE": secrets.token_urlsafe(16),
        "TITLE": html.escape(page_title),
        "CSS": _asset("viewer.css"),
        "DATA": script_json(data),
        "DAGRE": _asset("vendor/dagre/dagre.min.js"),
        "VIEWER": viewer_script(),
    }
    return re.sub(r"@@([A-Z]+)@@", lambda m: parts[m.group(1)], _asset("viewer.html"))


def iframe_html(page: str, height: int = DEFAULT_HEIGHT, title: str = "graph viewer") -> str:
    """Return an ``<iframe srcdoc>`` holding ``page``: sandboxed (scripts and the SVG/PNG
    downloads the page makes; no same-origin access, no forms, no popups), 100 % wide,
    ``height`` px high until the page asks for the height its first view needs (a small
    script beside the frame listens; where scripts in outputs do not run, it stays)."""
    ident = "k2f" + secrets.token_hex(6)
    listen = ("<script>(function(){var f=document.getElementById('" + ident + "');"
              "window.addEventListener('message',function(e){if(!f||e.source!==f.contentWindow)"
              "return;var h=e.data&&e.data.k2pbHeight;if(typeof h==='number'&&h>200&&h<3000)"
              "f.style.height=Math.round(h)+'px';});})();</script>")
    return (f'<iframe id="{ident}" sandbox="allow-scripts allow-downloads" '
            f'title="{html.escape(title)}" '
            f'style="width:100%;height:{int(height)}px;border:1px solid #d5dbe5" '
            f'srcdoc="{html.escape(page, quote=True)}"></iframe>' + listen)


def single_page(graph_def: GraphDef, title: str = "graph") -> str:
    """Return the viewer page for one graph (no diff). In: a GraphDef and its title."""
    with gc_paused():
        pg = prepare(graph_def, title)
        chips = chips_of(pg.graph, None, {})
        return page_html([pane_data(pg, chips=chips)], title)


def removed_scopes(pg: PreparedGraph, fates: list[int]) -> set[int]:
    """Scopes all of whose nodes were removed: the first view leaves them closed."""
    hier, keep = pg.hier, set()
    n_cat = len(CATEGORIES)
    for i, f in enumerate(fates):
        if not 0 <= f < n_cat:
            s = hier.parent[i]
            while s >= 0 and s not in keep:
                keep.add(s)
                s = hier.scopes[s].parent
    return set(range(1, len(hier.scopes))) - keep


#: Box budget of a side-by-side first view: few, big boxes that tell the story at a glance.
SIDE_BY_SIDE_BUDGET = 16


#: Most boxes a pane's first view shows when it opens the model's own scope to its layers.
FIRST_VIEW_MAX = 60


def first_views(first: PreparedGraph, others: list[PreparedGraph], fates: list[int]) -> None:
    """Choose the first views of a comparison page (sets ``expanded`` of each).

    The first pane opens cheapest scopes first within ``SIDE_BY_SIDE_BUDGET`` boxes, never a
    scope whose nodes were all removed (one coloured box says it). The other panes open the
    scopes of the same names and the model's own scope (see :func:`dominant_scopes`), so its
    layers show with what freezing did to them, unless that would show more than
    ``FIRST_VIEW_MAX`` boxes. Without shared scope names, a pane chooses its own.
    """
    first.expanded = initial_expansion(first.hier, first.graph, SIDE_BY_SIDE_BUDGET,
                                       max_boxes=0, closed=removed_scopes(first, fates))

    def names(pg: PreparedGraph) -> set[str]:
        return {pg.hier.scopes[s].path for s in pg.expanded if pg.hier.scopes[s].kind == "scope"}

    wanted = names(first) | (dominant_scopes(others[0]) if others else set())
    for pg in others:
        chosen = _open_named(pg, wanted)
        if visible_count(pg, chosen) > FIRST_VIEW_MAX:
            chosen = _open_named(pg, names(first))
        if len(chosen) == 1 and len(pg.hier.scopes) > 1 and len(first.expanded) > 1:
            chosen = initial_expansion(pg.hier, pg.graph, SIDE_BY_SIDE_BUDGET, max_boxes=0)
        pg.expanded = chosen


def dominant_scopes(pg: PreparedGraph) -> set[str]:
    """The names of the scopes that each hold at least 80 % of their parent's drawn ops, from
    the top (a model's own scope, which opens to its layers)."""
    out, s, scopes = set(), 0, pg.hier.scopes
    while True:
        big = [c for c in scopes[s].scopes
               if scopes[c].kind == "scope" and scopes[c].shown >= 0.8 * scopes[s].shown]
        if not big:
            return out
        s = big[0]
        out.add(scopes[s].path)


def _open_named(pg: PreparedGraph, names: set[str]) -> set[int]:
    """The scopes of ``pg`` named in ``names`` whose parents are all named too (and the root)."""
    right = {0} | {k for k, sc in enumerate(pg.hier.scopes)
                   if sc.kind == "scope" and sc.path in names}
    return {k for k in right if all(p in right for p in _parents(pg.hier, k))}


def visible_count(pg: PreparedGraph, expanded: set[int]) -> int:
    """How many boxes ``pg`` shows with the scopes ``expanded`` open."""
    return len(visible_graph(pg.hier, pg.graph, expanded).boxes)


def _parents(hier: Hierarchy, s: int) -> list[int]:
    out = []
    while hier.scopes[s].parent > 0:
        s = hier.scopes[s].parent
        out.append(s)
    return out


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


def side_by_side_page(left: GraphDef, right: GraphDef,
                      titles: tuple[str, ...] | list[str] = ("training step", "frozen graph"),
                      inference: GraphDef | None = None,
                      ) -> tuple[str, NodeDiff | StageDiff]:
    """Return the comparison page with the diff marked, and the diff itself.

    In: the left (training step) and right (frozen) GraphDefs, their titles, and optionally
    the inference trace between them (then ``titles`` has three entries, the middle one for
    the trace, three panes are drawn and the diff is a StageDiff). Out: (HTML page, NodeDiff
    or StageDiff). Each pane colours what happened to its nodes (removed at tracing, and why;
    changed at freezing; input changed at freezing; added, and when); ops that read variables
    carry a chip per variable (a constant in the frozen graph); a sentence per transition
    says it in words.
    """
    with gc_paused():
        return _side_by_side_page(left, right, tuple(titles), inference)


def _side_by_side_page(left: GraphDef, right: GraphDef, titles: tuple[str, ...],
                       inference: GraphDef | None) -> tuple[str, NodeDiff | StageDiff]:
    lp = prepare(left, titles[0])
    left_shapes = any(n.shape for n in lp.graph.nodes)
    rp = prepare(right, titles[-1], shapes=not left_shapes)
    if inference is not None:
        if len(titles) != 3:
            raise ValueError(f"three stages need three titles, got {len(titles)}")
        mp = prepare(inference, titles[1], shapes=not left_shapes)
        lm, ml = twins(lp.graph, mp.graph)
        mr, rm = twins(mp.graph, rp.graph)
        borrow_shapes(rp.graph, mp.graph, rm)
        diff: NodeDiff | StageDiff = diff_stages(lp.graph, mp.graph, rp.graph, titles)
        prepared = [lp, mp, rp]
        links: list[list[list[int] | None]] = [[None, lm, None], [ml, None, mr],
                                               [None, rm, None]]
        nav, roles = NAV_STAGES, ("training", "trace", "frozen")
        texts = {"added": "added at tracing", "": "removed at tracing:"}
    else:
        lt, rt = twins(lp.graph, rp.graph)
        borrow_shapes(rp.graph, lp.graph, rt)
        diff = diff_graphs(lp.graph, rp.graph, (titles[0], titles[-1]))
        prepared = [lp, rp]
        links = [[None, lt], [rt, None]]
        nav, roles, texts = NAV_PAIR, ("", ""), {}
    fates = stage_fates(diff, [p.graph for p in prepared])
    first_views(lp, prepared[1:], fates[0])
    sizes = variable_sizes(*(p.graph for p in prepared))
    sentences = transition_sentences(diff, rp.graph, sizes)
    captions = ([sentences[0]["text"], " ".join(s["title"] + ": " + s["text"]
                                                for s in sentences),
                 sentences[-1]["text"]] if len(prepared) == 3 else [diff.summary()] * 2)
    panes = [pane_data(p, f, link, chips_of(p.graph, f, sizes), role, caption)
             for p, f, link, role, caption in zip(prepared, fates, links, roles, captions,
                                                   strict=True)]
    title = " → ".join(titles)
    return page_html(panes, title, diff.summary(), diff_table(diff),
                     stages=stage_bars(titles if len(prepared) == 3
                                       else (titles[0], titles[-1]), fates),
                     transitions=sentences, nav=nav, fate_texts=texts), diff


def write_html(paths: list[str], output_path: str, titles: list[str] | None = None) -> Path:
    """Write the viewer page for one, two or three ``.pb`` files to a standalone HTML file.

    In: one graph; or a training step and its frozen graph; or training step, inference
    trace and frozen graph (two panes, the trace's part in the diff); the output path,
    optional titles (default: the file names). Out: the written path (atomically replaced).
    Raises Keras2pbError for a missing or bad graph file, a wrong number of paths, or an
    unwritable output.
    """
    from ..errors import Keras2pbError
    from ..graph.reading import read_graph_def

    paths = [os.fspath(p) for p in paths]
    if len(paths) not in (1, 2, 3):
        raise Keras2pbError(f"show takes one, two or three .pb files, got {len(paths)}")
    titles = list(titles) if titles else [Path(p).name for p in paths]
    if len(titles) != len(paths):
        raise Keras2pbError(f"got {len(titles)} titles for {len(paths)} graphs")
    graphs = [read_graph_def(p, light=True) for p in paths]
    if len(graphs) == 1:
        page = single_page(graphs[0], titles[0])
    elif len(graphs) == 2:
        page, _ = side_by_side_page(graphs[0], graphs[1], titles)
    else:
        page, _ = side_by_side_page(graphs[0], graphs[2], titles, inference=graphs[1])
    return atomic_write_text(output_path, page)
