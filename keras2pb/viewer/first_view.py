"""Which scopes a comparison page shows open first: few, big boxes that tell the story."""

from __future__ import annotations

from ..graph.diff import CATEGORIES
from .collapse import Hierarchy, initial_expansion, visible_boxes
from .payload import PreparedGraph


def removed_scopes(pg: PreparedGraph, fates: list[int], n_removed: int | None = None
                   ) -> set[int]:
    """Scopes all of whose nodes were removed (a fate below ``n_removed``, by default the
    number of CATEGORIES: the fates start with the removal reasons): the first view leaves
    them closed."""
    hier, keep = pg.hier, set()
    n_cat = len(CATEGORIES) if n_removed is None else n_removed
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


def first_views(first: PreparedGraph, others: list[PreparedGraph], fates: list[int],
                n_removed: int | None = None) -> None:
    """Choose the first views of a comparison page (sets ``expanded`` of each).

    The first pane opens cheapest scopes first within ``SIDE_BY_SIDE_BUDGET`` boxes, never a
    scope whose nodes were all removed (one coloured box says it). The other panes open the
    scopes of the same names and the model's own scope (see :func:`dominant_scopes`), so its
    layers show with what freezing did to them, unless that would show more than
    ``FIRST_VIEW_MAX`` boxes. Without shared scope names, a pane chooses its own.
    ``n_removed``: see :func:`removed_scopes`.
    """
    first.expanded = initial_expansion(first.hier, first.graph, SIDE_BY_SIDE_BUDGET,
                                       max_boxes=0, closed=removed_scopes(first, fates, n_removed))

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
    return len(visible_boxes(pg.hier, pg.graph, expanded))


def _parents(hier: Hierarchy, s: int) -> list[int]:
    out = []
    while hier.scopes[s].parent > 0:
        s = hier.scopes[s].parent
        out.append(s)
    return out
