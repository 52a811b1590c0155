"""What the viewer's JavaScript should draw, computed in Python: the tests compare the page
(``assets/js/layout.js``) with it. The product only counts boxes
(``collapse.visible_boxes``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from keras2pb.graph.nodes import CleanGraph
from keras2pb.viewer.collapse import Hierarchy, box_of


@dataclass
class VisibleGraph:
    """What the viewer lays out for a set of expanded scopes."""

    boxes: list[str]  # "n<node>" for an op, "s<scope>" for a collapsed scope
    edges: Counter  # (box, box) -> how many data edges it stands for
    clusters: list[int]  # expanded scopes drawn as frames (the root excluded)


def visible_graph(hier: Hierarchy, graph: CleanGraph, expanded: set[int]) -> VisibleGraph:
    """Return the boxes, edges and frames shown when the scopes in ``expanded`` are open.

    Edges inside one box vanish; parallel edges between two boxes merge, keeping a count.
    """
    box = {}
    for i, n in enumerate(graph.nodes):
        if not n.is_folded:
            box[i] = box_of(hier, i, expanded)
    boxes = sorted(set(box.values()))
    edges: Counter = Counter()
    for i, b in box.items():
        for j in graph.nodes[i].inputs:
            a = box.get(j)
            if a is not None and a != b:
                edges[(a, b)] += 1
    clusters = [s for s in range(1, len(hier.scopes))
                if s in expanded and _all_open(hier, hier.scopes[s].parent, expanded)]
    return VisibleGraph(boxes, edges, clusters)


def _all_open(hier: Hierarchy, s: int, expanded: set[int]) -> bool:
    while s > 0:
        if s not in expanded:
            return False
        s = hier.scopes[s].parent
    return True
