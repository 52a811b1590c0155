"""Build viewer pages from GraphDefs: one graph; two graphs (a training step and its frozen
graph, or a frozen graph and its rewrite); or the three stages of freezing. And write one to
a file (``keras2pb show``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..fileio import atomic_write_text
from ..graph.diff import REWRITE_REMOVED, NodeDiff, StageDiff, diff_graphs, diff_stages, twins
from .first_view import first_views
from .page import page_html
from .payload import (
    NAV_PAIR,
    NAV_REWRITE,
    NAV_STAGES,
    REWRITE_FATES,
    borrow_shapes,
    check_drift,
    chips_of,
    diff_table,
    gc_paused,
    pane_data,
    prepare,
    rewrite_fates,
    stage_bars,
    stage_fates,
    variable_sizes,
)

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef


def single_page(graph_def: GraphDef, title: str = "graph",
                drift: dict[str, Any] | None = None) -> str:
    """Return the viewer page for one graph (no diff). In: a GraphDef, its title and
    optionally a per-node drift report's dict of it (its nodes coloured by drift, the first
    divergence marked: ``payload.drift_overlay``)."""
    with gc_paused():
        pg = prepare(graph_def, title)
        chips = chips_of(pg.graph, None, {})
        return page_html([pane_data(pg, chips=chips, drift=drift)], title)


def side_by_side_page(left: GraphDef, right: GraphDef,
                      titles: tuple[str, ...] | list[str] = ("training step", "frozen graph"),
                      inference: GraphDef | None = None,
                      drift: dict[str, Any] | None = None,
                      ) -> tuple[str, NodeDiff | StageDiff]:
    """Return the comparison page with the diff marked, and the diff itself.

    In: the left (training step) and right (frozen) GraphDefs, their titles, and optionally
    the inference trace between them (then ``titles`` has three entries, the middle one for
    the trace, three panes are drawn and the diff is a StageDiff). Out: (HTML page, NodeDiff
    or StageDiff). Each pane colours what happened to its nodes (removed at tracing, and why;
    changed at freezing; input changed at freezing; added, and when); ops that read variables
    carry a chip per variable (a constant in the frozen graph); a sentence per transition
    says it in words. When the left graph is already frozen (``right`` a rewrite of it, e.g.
    ``freeze(for_opencv=True)``), each node says what the rewrite did (grappler, or which
    pass of ``opencv_rewrite.PASSES``), with the same colours and navigator. ``drift``, a
    per-node drift report's dict of the frozen graph, colours the frozen pane's nodes by
    drift instead (the left pane of a rewrite, else the right one).
    """
    with gc_paused():
        return _side_by_side_page(left, right, tuple(titles), inference, drift)


def _side_by_side_page(left: GraphDef, right: GraphDef, titles: tuple[str, ...],
                       inference: GraphDef | None, drift: dict[str, Any] | None = None,
                       ) -> tuple[str, NodeDiff | StageDiff]:
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
    rewrite = isinstance(diff, NodeDiff) and diff.kind == "rewrite"
    if rewrite:
        fates = rewrite_fates(diff)
        nav, texts = NAV_REWRITE, {"": "removed by the rewrite:"}
        roles = ("frozen", "rewrite")
    else:
        fates = stage_fates(diff, [p.graph for p in prepared])
    first_views(lp, prepared[1:], fates[0], len(REWRITE_REMOVED) if rewrite else None)
    sizes = variable_sizes(*(p.graph for p in prepared))
    sentences = [{"title": title, "text": text} for title, text in diff.sentences()]
    captions = ([sentences[0]["text"], " ".join(s["title"] + ": " + s["text"]
                                                for s in sentences),
                 sentences[-1]["text"]] if len(prepared) == 3 else [diff.summary()] * 2)
    frozen = 0 if rewrite else len(prepared) - 1
    panes = [pane_data(p, f, link, chips_of(p.graph, None if rewrite else f, sizes), role,
                       caption, drift if k == frozen else None)
             for k, (p, f, link, role, caption) in enumerate(
                 zip(prepared, fates, links, roles, captions, strict=True))]
    title = " → ".join(titles)
    extra = {"fates": REWRITE_FATES, "categories": REWRITE_REMOVED} if rewrite else {}
    return page_html(panes, title, diff.summary(), diff_table(diff),
                     stages=stage_bars(titles if len(prepared) == 3
                                       else (titles[0], titles[-1]), fates),
                     transitions=sentences, nav=nav, fate_texts=texts, **extra), diff


def write_html(paths: list[str], output_path: str, titles: list[str] | None = None,
               drift_path: str | None = None) -> Path:
    """Write the viewer page for one, two or three ``.pb`` files to a standalone HTML file.

    In: one graph; or two (a training step and its frozen graph, or a frozen graph and its
    rewrite, e.g. ``--for-opencv``); or training step, inference trace and frozen graph
    (three panes, a sentence per transition); the output path,
    optional titles (default: the file names), and optionally a per-node drift report
    (``keras2pb verify --per-node --json`` output) of the frozen graph to overlay. Out: the
    written path (atomically replaced). Raises Keras2pbError for a missing or bad graph or
    drift file, a wrong number of paths, or an unwritable output.
    """
    from ..errors import Keras2pbError
    from ..graph.reading import read_graph_def

    paths = [os.fspath(p) for p in paths]
    if len(paths) not in (1, 2, 3):
        raise Keras2pbError(f"show takes one, two or three .pb files, got {len(paths)}")
    titles = list(titles) if titles else [Path(p).name for p in paths]
    if len(titles) != len(paths):
        raise Keras2pbError(f"got {len(titles)} titles for {len(paths)} graphs")
    drift = read_drift(drift_path) if drift_path is not None else None
    graphs = [read_graph_def(p, light=True) for p in paths]
    if len(graphs) == 1:
        page = single_page(graphs[0], titles[0], drift)
    elif len(graphs) == 2:
        page, _ = side_by_side_page(graphs[0], graphs[1], titles, drift=drift)
    else:
        page, _ = side_by_side_page(graphs[0], graphs[2], titles, inference=graphs[1],
                                    drift=drift)
    return atomic_write_text(output_path, page)


def read_drift(path: str) -> dict[str, Any]:
    """Read a per-node drift report (JSON, ``keras2pb verify --per-node --json``) and check
    its shape. Raises Keras2pbError naming the file when it is missing, not JSON or not
    such a report."""
    import json

    from ..errors import Keras2pbError

    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
    except OSError as e:
        raise Keras2pbError(f"{path}: cannot read the drift report "
                            f"({e.strerror or e.__class__.__name__})") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise Keras2pbError(f"{path}: not a JSON drift report ({e})".splitlines()[0]) from None
    try:
        check_drift(report)
    except ValueError as e:
        raise Keras2pbError(f"{path}: {e}") from None
    return report

