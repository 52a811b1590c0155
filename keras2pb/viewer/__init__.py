"""Offline graph viewer: one graph, or a training graph and its frozen graph side by side."""

from __future__ import annotations

from ..graph.diff import CATEGORIES, NodeDiff, StageDiff, category, diff_graphs, diff_stages
from ..graph.nodes import CleanGraph, ViewNode
from .clean import clean_graph, infer_shapes, strip_consts
from .collapse import Hierarchy, VisibleGraph, build_hierarchy, initial_expansion, visible_graph
from .page import (
    DEFAULT_HEIGHT,
    PreparedGraph,
    iframe_html,
    page_html,
    pane_data,
    prepare,
    side_by_side_page,
    single_page,
    write_html,
)

__all__ = [
    "CATEGORIES",
    "DEFAULT_HEIGHT",
    "CleanGraph",
    "NodeDiff",
    "StageDiff",
    "Hierarchy",
    "PreparedGraph",
    "ViewNode",
    "VisibleGraph",
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
    "visible_graph",
    "write_html",
]
