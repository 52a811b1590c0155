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
from ..graph.diff import CATEGORIES, NodeDiff, StageDiff, diff_graphs, diff_stages, twins
from ..graph.nodes import CleanGraph, names_graph
from .clean import clean_graph, infer_shapes
from .collapse import MAX_BOXES, Hierarchy, build_hierarchy, initial_expansion

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef

#: Height (px) of the notebook iframe.
DEFAULT_HEIGHT = 640
_CAT_INDEX = {key: k for k, (key, _) in enumerate(CATEGORIES)}
_STATUS = {"": 0, "kept": 1, "removed": 2, "added": 3, "changed": 4}
#: What can happen to a node, as the page colours it: the removal reasons (CATEGORIES, in
#: that order, so a fate index below len(CATEGORIES) is a category), then these.
FATES = (*((key, f"removed: {text}") for key, text in CATEGORIES),
         ("kept", "kept"), ("changed", "changed at freezing"), ("added", "added"))
_FATE_OF_STATUS = {"kept": len(CATEGORIES), "changed": len(CATEGORIES) + 1,
                   "added": len(CATEGORIES) + 2}


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


def pane_data(pg: PreparedGraph, status: list[str] | None = None,
              categories: list[str] | None = None,
              twins: list[int] | None = None) -> dict[str, Any]:
    """Return the JSON-ready data of one pane (column arrays; see ``assets/viewer.js``).

    In: a PreparedGraph, and optionally per-node diff status ("kept", "removed", "added",
    "changed"), removal categories (CATEGORIES keys) and the index of each node's twin in
    the other pane (the same node, see :func:`diff.twins`; -1: none). Out: a dict of plain lists,
    strings and numbers.
    """
    g, hier = pg.graph, pg.hier
    ops, shapes, attrs = _Table(), _Table(), _Table()
    cols: dict[str, list] = {k: [] for k in ("name", "op", "p", "in", "fo", "at", "sh", "st",
                                             "ca", "fd", "cc")}
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
        st = status[i] if status else ""
        cols["st"].append(_STATUS[st])
        cat = categories[i] if categories and st == "removed" else ""
        cols["ca"].append(_CAT_INDEX.get(cat, -1))
        cols["fd"].append(1 if n.is_folded else 0)
        cols["cc"].append(n.n_control)
    cols["tw"] = list(twins) if twins is not None else [-1] * len(g.nodes)
    rm, ad, rc, fc = _scope_diff_counts(pg, status, categories)
    scopes = hier.scopes
    return {
        "title": pg.title,
        "nNodes": len(g.nodes),
        "nOpTypes": len(ops.items),
        "nShown": sum(1 for n in g.nodes if not n.is_folded),
        "nFunctions": g.n_functions,
        "ops": ops.items,
        "shapes": shapes.items,
        "attrs": attrs.items,
        "n": cols,
        "s": {
            "label": [sc.label for sc in scopes],
            "path": [sc.path for sc in scopes],
            "p": [sc.parent for sc in scopes],
            "kind": [sc.kind for sc in scopes],
            "cnt": [sc.count for sc in scopes],
            "shown": [sc.shown for sc in scopes],
            "nb": [hier.n_boxes(k, g) for k in range(len(scopes))],
            "rm": rm,
            "ad": ad,
            "rc": rc,
            "fc": fc,
        },
        "expanded": sorted(pg.expanded),
    }


def _fate(status: str, cat: str) -> int:
    """Index into FATES of a node's status and removal category; -1 without a diff."""
    if status == "removed":
        return _CAT_INDEX.get(cat or "other", _CAT_INDEX["other"])
    return _FATE_OF_STATUS.get(status, -1)


def _scope_diff_counts(pg: PreparedGraph, status: list[str] | None,
                       categories: list[str] | None
                       ) -> tuple[list[int], list[int], list[int], list[list[int]]]:
    """Per scope: nodes removed and added beneath it, the commonest removal category, and
    ``[fate, count, fate, count, ...]`` of all nodes beneath it, commonest first."""
    hier = pg.hier
    n_scopes = len(hier.scopes)
    rm, ad = [0] * n_scopes, [0] * n_scopes
    cats: list[Counter] = [Counter() for _ in range(n_scopes)]
    fates: list[Counter] = [Counter() for _ in range(n_scopes)]
    if status:
        own: list[Counter] = [Counter() for _ in range(n_scopes)]
        for i, st in enumerate(status):
            own[hier.parent[i]][_fate(st, categories[i] if categories else "")] += 1
        # children have higher indices than their parents (preorder): sum bottom-up
        for s in range(n_scopes - 1, -1, -1):
            fates[s].update(own[s])
            up = hier.scopes[s].parent
            if up >= 0:
                fates[up].update(fates[s])
        n_cat = len(CATEGORIES)
        for s in range(n_scopes):
            c = fates[s]
            rm[s] = sum(v for f, v in c.items() if 0 <= f < n_cat)
            ad[s] = c.get(_FATE_OF_STATUS["added"], 0)
            cats[s] = Counter({CATEGORIES[f][0]: v for f, v in c.items() if 0 <= f < n_cat})
    rc = [_CAT_INDEX[c.most_common(1)[0][0]] if c else -1 for c in cats]
    fc = [[x for f, v in c.most_common() if f >= 0 for x in (f, v)] for c in fates]
    return rm, ad, rc, fc


def diff_table(diff: NodeDiff) -> list[list[Any]]:
    """Return rows ``[op type, removed, kept, added]``, most removed first."""
    ops = set(diff.removed) | set(diff.kept) | set(diff.added)
    rows = [[op, diff.removed.get(op, 0), diff.kept.get(op, 0), diff.added.get(op, 0)]
            for op in ops]
    rows.sort(key=lambda r: (-r[1], -r[3], r[0]))
    return rows


@cache
def _asset(name: str) -> str:
    text = resources.files("keras2pb.viewer").joinpath("assets", *name.split("/")).read_text(
        encoding="utf-8")
    if name.endswith(".js") and re.search(r"</script", text, re.IGNORECASE):
        raise RuntimeError(f"asset {name} holds '</script' and cannot be inlined")
    return text


def script_json(data: Any) -> str:
    """Return ``data`` as JSON that is safe inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` are written as ``\\u003c``, ``\\u003e``, ``\\u0026`` so no name in
    the graph can close the element or open a comment; JSON.parse reads them back unchanged.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def page_html(panes: list[dict[str, Any]], page_title: str, summary: str | None = None,
              table: list[list[Any]] | None = None, max_boxes: int = MAX_BOXES,
              stages: list[dict[str, Any]] | None = None) -> str:
    """Return the full standalone HTML page for one or two panes.

    In: pane dicts from :func:`pane_data`, the page title, an optional one-line diff summary
    and per-op-type table. Out: one HTML document holding the data, the vendored dagre and
    the viewer script; a Content-Security-Policy forbids every network request and every
    script but these two (by nonce). ``stages`` feeds the node-count bar (see
    :func:`stage_bars`).
    """
    data = {"panes": panes, "summary": summary, "table": table or [],
            "categories": [list(c) for c in CATEGORIES], "fates": [list(f) for f in FATES],
            "stages": stages or [], "maxBoxes": max_boxes}
    parts = {
        "NONCE": secrets.token_urlsafe(16),
        "TITLE": html.escape(page_title),
        "CSS": _asset("viewer.css"),
        "DATA": script_json(data),
        "DAGRE": _asset("vendor/dagre/dagre.min.js"),
        "VIEWER": _asset("viewer.js"),
    }
    return re.sub(r"@@([A-Z]+)@@", lambda m: parts[m.group(1)], _asset("viewer.html"))


def iframe_html(page: str, height: int = DEFAULT_HEIGHT, title: str = "graph viewer") -> str:
    """Return an ``<iframe srcdoc>`` holding ``page``: sandboxed (scripts and the SVG/PNG
    downloads the page makes; no same-origin access, no forms, no popups), 100 % wide."""
    return (f'<iframe sandbox="allow-scripts allow-downloads" title="{html.escape(title)}" '
            f'style="width:100%;height:{int(height)}px;border:1px solid #d5dbe5" '
            f'srcdoc="{html.escape(page, quote=True)}"></iframe>')


def single_page(graph_def: GraphDef, title: str = "graph") -> str:
    """Return the viewer page for one graph (no diff). In: a GraphDef and its title."""
    with gc_paused():
        pg = prepare(graph_def, title)
        return page_html([pane_data(pg)], title)


def removed_scopes(pg: PreparedGraph, status: list[str]) -> set[int]:
    """Scopes all of whose nodes are "removed": the first view leaves them closed."""
    hier, keep = pg.hier, set()
    for i, st in enumerate(status):
        if st != "removed":
            s = hier.parent[i]
            while s >= 0 and s not in keep:
                keep.add(s)
                s = hier.scopes[s].parent
    return set(range(1, len(hier.scopes))) - keep


#: Box budget of a side-by-side first view: few, big boxes that tell the story at a glance.
SIDE_BY_SIDE_BUDGET = 16


def first_views(lp: PreparedGraph, rp: PreparedGraph, left_status: list[str]) -> None:
    """Choose the first views of a side-by-side page (sets ``expanded`` of both).

    The left pane opens cheapest scopes first within ``SIDE_BY_SIDE_BUDGET`` boxes, never a
    scope whose nodes were all removed (one coloured box says it); the right pane opens the
    scopes of the same names, so both panes start at the same level. Without shared scope
    names, the right pane chooses its own.
    """
    lp.expanded = initial_expansion(lp.hier, lp.graph, SIDE_BY_SIDE_BUDGET, max_boxes=0,
                                    closed=removed_scopes(lp, left_status))
    names = {lp.hier.scopes[s].path for s in lp.expanded if lp.hier.scopes[s].kind == "scope"}
    right = {0} | {k for k, sc in enumerate(rp.hier.scopes)
                   if sc.kind == "scope" and sc.path in names}
    # a scope opens only with all its parents open
    rp.expanded = {k for k in right if all(p in right for p in _parents(rp.hier, k))}
    if len(rp.expanded) == 1 and len(rp.hier.scopes) > 1 and len(lp.expanded) > 1:
        rp.expanded = initial_expansion(rp.hier, rp.graph, SIDE_BY_SIDE_BUDGET, max_boxes=0)


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


def left_marks(diff: NodeDiff | StageDiff, twin: list[int]) -> list[str]:
    """What the left pane marks per node: its diff status, but "changed" for a kept node
    whose twin in the right graph has another op type (freezing changed it)."""
    right = diff.right_status
    return [("changed" if st == "kept" and j >= 0 and right[j] == "changed" else st)
            for st, j in zip(diff.left_status, twin, strict=True)]


def stage_bars(diff: NodeDiff | StageDiff, left: list[str] | None = None
               ) -> list[dict[str, Any]]:
    """The node-count bar: per stage its title, node count and ``[fate, count]`` parts
    (``left``: the left pane's marks, see :func:`left_marks`; default the diff's status)."""
    def parts(counter: Counter) -> list[list[int]]:
        return [[f, v] for f, v in sorted(counter.items()) if v and f >= 0]

    first = Counter(_fate(st, c) for st, c in zip(left or diff.left_status,
                                                  diff.left_category, strict=True))
    last = Counter(_fate(st, "") for st in diff.right_status)
    if isinstance(diff, StageDiff):
        middle = Counter(_fate(st if st != "removed" else "", "")
                         for st in diff.middle_status)
        return [{"title": t, "count": n, "parts": parts(c)} for t, n, c in
                zip(diff.titles, diff.counts, (first, middle, last), strict=True)]
    return [{"title": t, "count": n, "parts": parts(c)} for t, n, c in
            zip(diff.titles, diff.counts, (first, last), strict=True)]


def side_by_side_page(left: GraphDef, right: GraphDef,
                      titles: tuple[str, ...] | list[str] = ("training step", "frozen graph"),
                      inference: GraphDef | None = None,
                      ) -> tuple[str, NodeDiff | StageDiff]:
    """Return the two-pane viewer page with the diff marked, and the diff itself.

    In: the left (training step) and right (frozen) GraphDefs, their titles, and optionally
    the inference trace between them (then ``titles`` has three entries, the middle one for
    the trace, and the diff is a StageDiff). Out: (HTML page, NodeDiff or StageDiff). The
    left pane colours each removed node by why it went; the right pane marks what freezing
    changed and what was added; the header says it in words, with a node-count bar.
    """
    with gc_paused():
        return _side_by_side_page(left, right, tuple(titles), inference)


def _side_by_side_page(left: GraphDef, right: GraphDef, titles: tuple[str, ...],
                       inference: GraphDef | None) -> tuple[str, NodeDiff | StageDiff]:
    lp = prepare(left, titles[0])
    left_shapes = any(n.shape for n in lp.graph.nodes)
    rp = prepare(right, titles[-1], shapes=not left_shapes)
    lt, rt = twins(lp.graph, rp.graph)
    borrow_shapes(rp.graph, lp.graph, rt)
    if inference is not None:
        if len(titles) != 3:
            raise ValueError(f"three stages need three titles, got {len(titles)}")
        diff: NodeDiff | StageDiff = diff_stages(lp.graph, names_graph(inference), rp.graph,
                                                 titles)
    else:
        diff = diff_graphs(lp.graph, rp.graph, (titles[0], titles[-1]))
    first_views(lp, rp, diff.left_status)
    marks = left_marks(diff, lt)
    panes = [pane_data(lp, marks, diff.left_category, lt),
             pane_data(rp, diff.right_status, None, rt)]
    title = " → ".join(titles)
    return page_html(panes, title, diff.summary(), diff_table(diff),
                     stages=stage_bars(diff, marks)), diff


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
