"""Offline graph viewer: one graph; two graphs (a training step and its frozen graph, or a
frozen graph and its rewrite); or the three stages of freezing, side by side.

``build`` makes the pages from GraphDefs, ``payload`` the data they carry, ``first_view``
what opens first, ``page`` the HTML and its iframe; ``clean`` and ``collapse`` turn a
GraphDef into boxes; ``notebook`` and ``tbserver`` are what a notebook displays.
"""

from __future__ import annotations

from ..graph.diff import CATEGORIES, NodeDiff, StageDiff, category, diff_graphs, diff_stages
from ..graph.nodes import CleanGraph, ViewNode
from .build import side_by_side_page, single_page, write_html
from .clean import clean_graph, infer_shapes, strip_consts
from .collapse import Hierarchy, build_hierarchy, initial_expansion, visible_boxes
from .page import DEFAULT_HEIGHT, iframe_html, page_html
from .payload import PreparedGraph, pane_data, prepare

__all__ = [
    "CATEGORIES",
    "DEFAULT_HEIGHT",
    "CleanGraph",
    "NodeDiff",
    "StageDiff",
    "Hierarchy",
    "PreparedGraph",
    "ViewNode",
    "build_hierarchy",
    "category",
    "clean_graph",
    "diff_graphs",
    "diff_stages",
    "iframe_html",
    "infer_shapes",
    "initial_expansion",
    "page_html",
    "pane_data",
    "prepare",
    "side_by_side_page",
    "single_page",
    "strip_consts",
    "visible_boxes",
    "write_html",
]
