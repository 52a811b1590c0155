"""Build the self-contained viewer page (graph data, vendored dagre, viewer JS) and its iframe."""

from __future__ import annotations

import gc
import html
import json
import os
import re
import secrets
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from tensorflow.core.framework.graph_pb2 import GraphDef

from ..fileio import atomic_write_text
from .clean import CleanGraph, clean_graph, infer_shapes
from .collapse import MAX_BOXES, Hierarchy, build_hierarchy, initial_expansion
from .diff import CATEGORIES, NodeDiff, diff_graphs

#: Height (px) of the notebook iframe.
DEFAULT_HEIGHT = 640
_CAT_INDEX = {key: k for k, (key, _) in enumerate(CATEGORIES)}
_STATUS = {"": 0, "kept": 1, "removed": 2, "added": 3}


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
    output shapes by importing the graph into TensorFlow. Out: a PreparedGraph.
    """
    has_shapes = any("_output_shapes" in n.attr for n in graph_def.node[:50])
    shape_map = infer_shapes(graph_def) if shapes and not has_shapes else None
    enabled = gc.isenabled()
    gc.disable()  # tens of thousands of small objects, none of them cyclic garbage
    try:
        graph = clean_graph(graph_def, shape_map)
        hier = build_hierarchy(graph)
    finally:
        if enabled:
            gc.enable()
    return PreparedGraph(title, graph, hier, initial_expansion(hier, graph))


class _Table:
    """Interns repeated values (shapes, attribute lists) so the page stays small."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.index: dict[str, int] = {}

    def add(self, value: Any) -> int:
        key = json.dumps(value, ensure_ascii=False)
        if key not in self.index:
            self.index[key] = len(self.items)
            self.items.append(value)
        return self.index[key]


def pane_data(pg: PreparedGraph, status: list[str] | None = None,
              categories: list[str] | None = None) -> dict[str, Any]:
    """Return the JSON-ready data of one pane (column arrays; see ``assets/viewer.js``).

    In: a PreparedGraph, and optionally per-node diff status ("kept", "removed", "added") and
    removal categories (CATEGORIES keys). Out: a dict of plain lists, strings and numbers.
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
        cols["at"].append(attrs.add([list(kv) for kv in n.attrs]))
        cols["sh"].append(shapes.add(n.shape))
        st = status[i] if status else ""
        cols["st"].append(_STATUS[st])
        cat = categories[i] if categories and st == "removed" else ""
        cols["ca"].append(_CAT_INDEX.get(cat, -1))
        cols["fd"].append(1 if n.is_folded else 0)
        cols["cc"].append(n.n_control)
    rm, ad, rc = _scope_diff_counts(pg, status, categories)
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
        },
        "expanded": sorted(pg.expanded),
    }


def _scope_diff_counts(pg: PreparedGraph, status: list[str] | None,
                       categories: list[str] | None) -> tuple[list[int], list[int], list[int]]:
    """Per scope: nodes removed and added beneath it, and the commonest removal category."""
    hier = pg.hier
    n_scopes = len(hier.scopes)
    rm, ad = [0] * n_scopes, [0] * n_scopes
    cats: list[Counter] = [Counter() for _ in range(n_scopes)]
    if status:
        for i, st in enumerate(status):
            if st not in ("removed", "added"):
                continue
            s = hier.parent[i]
            while s >= 0:
                if st == "removed":
                    rm[s] += 1
                    cats[s][categories[i] if categories else "other"] += 1
                else:
                    ad[s] += 1
                s = hier.scopes[s].parent
    rc = [_CAT_INDEX[c.most_common(1)[0][0]] if c else -1 for c in cats]
    return rm, ad, rc


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
              table: list[list[Any]] | None = None, max_boxes: int = MAX_BOXES) -> str:
    """Return the full standalone HTML page for one or two panes.

    In: pane dicts from :func:`pane_data`, the page title, an optional one-line diff summary
    and per-op-type table. Out: one HTML document holding the data, the vendored dagre and
    the viewer script; a Content-Security-Policy forbids every network request and every
    script but these two (by nonce).
    """
    data = {"panes": panes, "summary": summary, "table": table or [],
            "categories": [list(c) for c in CATEGORIES], "maxBoxes": max_boxes}
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
    """Return an ``<iframe srcdoc>`` holding ``page``: sandboxed (scripts only), 100 % wide."""
    return (f'<iframe sandbox="allow-scripts" title="{html.escape(title)}" '
            f'style="width:100%;height:{int(height)}px;border:1px solid #d5dbe5" '
            f'srcdoc="{html.escape(page, quote=True)}"></iframe>')


def single_page(graph_def: GraphDef, title: str = "graph") -> str:
    """Return the viewer page for one graph (no diff). In: a GraphDef and its title."""
    pg = prepare(graph_def, title)
    return page_html([pane_data(pg)], title)


def side_by_side_page(left: GraphDef, right: GraphDef,
                      titles: tuple[str, str] | list[str] = ("training graph", "frozen graph"),
                      ) -> tuple[str, NodeDiff]:
    """Return the two-pane viewer page with the diff marked, and the diff itself.

    In: the left and right GraphDefs and their titles. Out: (HTML page, NodeDiff). In the
    left pane, ops the right graph lacks are coloured by why they went; in the right pane,
    ops the left lacked are green; the top line says what was removed, kept and added.
    """
    lp, rp = prepare(left, titles[0]), prepare(right, titles[1])
    diff = diff_graphs(lp.graph, rp.graph)
    panes = [pane_data(lp, diff.left_status, diff.left_category),
             pane_data(rp, diff.right_status)]
    title = f"{titles[0]} vs {titles[1]}"
    return page_html(panes, title, diff.summary(), diff_table(diff)), diff


def write_html(paths: list[str], output_path: str, titles: list[str] | None = None) -> Path:
    """Write the viewer page for one or two ``.pb`` files to a standalone HTML file.

    In: one or two paths to GraphDef files, the output path, optional titles (default: the
    file names). Out: the written path (atomically replaced). Raises Keras2pbError for a
    missing or bad graph file, a wrong number of paths, or an unwritable output.
    """
    from ..errors import Keras2pbError
    from ..graphio import read_graph_def

    paths = [os.fspath(p) for p in paths]
    if len(paths) not in (1, 2):
        raise Keras2pbError(f"show takes one or two .pb files, got {len(paths)}")
    titles = list(titles) if titles else [Path(p).name for p in paths]
    if len(titles) != len(paths):
        raise Keras2pbError(f"got {len(titles)} titles for {len(paths)} graphs")
    graphs = [read_graph_def(p) for p in paths]
    if len(graphs) == 1:
        page = single_page(graphs[0], titles[0])
    else:
        page, _ = side_by_side_page(graphs[0], graphs[1], (titles[0], titles[1]))
    return atomic_write_text(output_path, page)
