"""Group a cleaned graph's ops into name-scope boxes, and pick which boxes start expanded."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from ..graph.nodes import CleanGraph

#: A scope with more direct boxes than this gets its same-type ops grouped ("Mul ×120"),
#: then, if still too crowded, its boxes split into parts of ``CHUNK_SIZE``.
CROWDED_ABOVE = 500
#: Same-type groups and parts hold at most this many boxes.
CHUNK_SIZE = 100
#: A numbered series of same-type ops (AddN, AddN_1, ...) this long becomes one box.
SERIES_MIN = 5
#: A scope with more direct boxes than this has them grouped by name prefix ("conv4_*").
PREFIX_ABOVE = 40
#: Most boxes the first view shows before it stops expanding scopes.
INITIAL_BUDGET = 40
#: Most boxes laid out at once; the viewer refuses expansions beyond it.
MAX_BOXES = 600
#: Most boxes the first view shows when it opens a dominant scope (a model's own scope).
DOMINANT_MAX_BOXES = 120


@dataclass
class Scope:
    """A box that holds ops: a name scope, or a synthetic group of same-type ops."""

    label: str
    path: str  # the real name prefix of its members ("" for the root)
    parent: int  # -1 for the root
    kind: str  # "root", "scope" or "group"
    scopes: list[int] = field(default_factory=list)  # child scopes
    ops: list[int] = field(default_factory=list)  # member nodes (folded ones included)
    count: int = 0  # all nodes beneath
    shown: int = 0  # nodes beneath that are not folded
    depth: int = 0


@dataclass
class Hierarchy:
    """The scope tree of a CleanGraph: ``scopes[0]`` is the root; ``parent[node]`` its scope."""

    scopes: list[Scope]
    parent: list[int]

    def n_boxes(self, s: int, graph: CleanGraph) -> int:
        """Return how many boxes scope ``s`` shows when expanded (child scopes + shown ops)."""
        sc = self.scopes[s]
        return len(sc.scopes) + sum(1 for i in sc.ops if not graph.nodes[i].is_folded)


_NUMBERED = re.compile(r"_\d+$")


def _scope_path(name: str) -> str:
    return name.rpartition("/")[0]


def build_hierarchy(graph: CleanGraph) -> Hierarchy:
    """Build the scope tree of ``graph``.

    In: a CleanGraph. Out: a Hierarchy where every node sits in the scope named by its name's
    prefix (a node whose name is also a scope sits inside that scope); scopes with at most one
    shown op are dissolved into their parent; a scope showing more than ``PREFIX_ABOVE`` boxes
    has them grouped by the shared start of their names (Keras layer names such as
    ``conv4_block12_2_conv``: "conv4_*", then "conv4_block12_*"); numbered series of at
    least ``SERIES_MIN`` same-type ops ("AddN_* ×245") become one box; a scope that would
    show more than ``CROWDED_ABOVE`` boxes gets same-type ops grouped ("Mul ×120", split
    into chunks of ``CHUNK_SIZE`` in graph order) and, if still crowded, its boxes split into
    parts.
    """
    names = [n.name for n in graph.nodes]
    prefixes: set[str] = set()
    for name in names:
        parts = name.split("/")
        for k in range(1, len(parts)):
            prefixes.add("/".join(parts[:k]))
    scopes = [Scope("", "", -1, "root")]
    by_path: dict[str, int] = {"": 0}

    def scope_for(path: str) -> int:
        if path in by_path:
            return by_path[path]
        parent = scope_for(_scope_path(path))
        idx = len(scopes)
        scopes.append(Scope(path.rpartition("/")[2], path, parent, "scope"))
        scopes[parent].scopes.append(idx)
        by_path[path] = idx
        return idx

    parent = [0] * len(names)
    for i, name in enumerate(names):
        s = scope_for(name if name in prefixes else _scope_path(name))
        scopes[s].ops.append(i)
        parent[i] = s
    hier = Hierarchy(scopes, parent)
    _count(hier, graph)
    _dissolve_small(hier, graph)
    for s in _preorder(hier):
        _group_prefixes(hier, graph, s)
    _group_big(hier, graph)
    return _compact(hier, graph)


def _count(hier: Hierarchy, graph: CleanGraph) -> None:
    scopes = hier.scopes
    order = _preorder(hier)
    folded = [n.is_folded for n in graph.nodes]
    for s in order:
        sc = scopes[s]
        sc.depth = 0 if sc.parent < 0 else scopes[sc.parent].depth + 1
    for s in reversed(order):
        sc = scopes[s]
        count, shown = len(sc.ops), len(sc.ops) - sum([folded[i] for i in sc.ops])
        for c in sc.scopes:
            count += scopes[c].count
            shown += scopes[c].shown
        sc.count, sc.shown = count, shown


def _preorder(hier: Hierarchy) -> list[int]:
    out, stack = [], [0]
    while stack:
        s = stack.pop()
        out.append(s)
        stack.extend(reversed(hier.scopes[s].scopes))
    return out


def _dissolve_small(hier: Hierarchy, graph: CleanGraph) -> None:
    """Move the members of scopes with at most one shown op up into their parent.

    Children come before parents (reversed preorder), so each scope takes over the already
    flattened members of its dissolved children, in place, in one pass.
    """
    scopes = hier.scopes
    for s in reversed(_preorder(hier)):
        sc = scopes[s]
        if not any(scopes[c].shown <= 1 for c in sc.scopes):
            continue
        children: list[int] = []
        for c in sc.scopes:
            child = scopes[c]
            if child.shown > 1:
                children.append(c)
                continue
            children.extend(child.scopes)
            for g in child.scopes:
                scopes[g].parent = s
            sc.ops.extend(child.ops)
            for i in child.ops:
                hier.parent[i] = s
            child.scopes, child.ops, child.parent = [], [], -2  # dead; removed by _compact
        sc.scopes = children
    for sc in scopes:
        sc.ops.sort()


def _first_name(hier: Hierarchy, graph: CleanGraph, kind: str, x: int, path: str) -> str:
    """The first name component, below ``path``, of a child scope or op."""
    name = hier.scopes[x].path if kind == "s" else graph.nodes[x].name
    rest = name[len(path) + 1:] if path and name.startswith(path + "/") else name
    return rest.split("/", 1)[0]


def _group_prefixes(hier: Hierarchy, graph: CleanGraph, s: int, depth: int = 1) -> None:
    """Group a crowded scope's boxes by the first ``depth`` ``_``-separated words of their
    names (``conv4_*``), recursively one word deeper inside each group."""
    sc = hier.scopes[s]
    n_boxes = len(sc.scopes) + sum(1 for i in sc.ops if not graph.nodes[i].is_folded)
    if n_boxes <= PREFIX_ABOVE or depth > 8:
        return
    members: dict[str, list[tuple[str, int]]] = {}
    shown: dict[str, int] = {}
    children = [("s", c) for c in sc.scopes] + [("n", i) for i in sc.ops]
    for kind, x in children:
        words = _first_name(hier, graph, kind, x, sc.path).split("_")
        if len(words) <= depth:
            continue  # the name ends here: it stays a box of its own
        key = "_".join(words[:depth])
        members.setdefault(key, []).append((kind, x))
        if kind == "s" or not graph.nodes[x].is_folded:
            shown[key] = shown.get(key, 0) + 1
    groups = {k: v for k, v in members.items() if shown.get(k, 0) >= 2}
    if len(groups) == 1 and shown[next(iter(groups))] == n_boxes:
        _group_prefixes(hier, graph, s, depth + 1)  # all share this word: look one deeper
        return
    for key, group in groups.items():
        g = _new_scope(hier, f"{key}_*", s)
        scopes = {x for kind, x in group if kind == "s"}
        sc.scopes = [c for c in sc.scopes if c not in scopes]
        for c in sorted(scopes):
            hier.scopes[g].scopes.append(c)
            hier.scopes[c].parent = g
        _move_ops(hier, s, g, [x for kind, x in group if kind == "n"])
        _group_prefixes(hier, graph, g, depth + 1)


def _new_scope(hier: Hierarchy, label: str, parent: int) -> int:
    idx = len(hier.scopes)
    hier.scopes.append(Scope(label, hier.scopes[parent].path, parent, "group"))
    hier.scopes[parent].scopes.append(idx)
    return idx


def _group_series(hier: Hierarchy, graph: CleanGraph, s: int) -> None:
    """Group numbered series of same-type ops (AddN, AddN_1, AddN_2, ...) as TensorBoard does."""
    sc = hier.scopes[s]
    series: dict[tuple[str, str], list[int]] = {}
    for i in sc.ops:
        n = graph.nodes[i]
        if n.is_folded or _scope_path(n.name) != sc.path:
            continue  # only the scope's own ops, not ops moved up from dissolved scopes
        base = _NUMBERED.sub("", n.name.rpartition("/")[2])
        series.setdefault((n.op, base), []).append(i)
    for (_op, base), members in series.items():
        if len(members) < SERIES_MIN:
            continue
        _make_group(hier, s, f"{base}_*", members)


def _make_group(hier: Hierarchy, parent: int, label: str, members: list[int]) -> None:
    """Move ``members`` of ``parent`` into a new box "label ×N", chunked if too many."""
    g = _new_scope(hier, f"{label} ×{len(members)}", parent)
    _move_ops(hier, parent, g, members)
    if len(members) > CHUNK_SIZE:
        for k in range(0, len(members), CHUNK_SIZE):
            part = members[k:k + CHUNK_SIZE]
            _move_ops(hier, g, _new_scope(hier, f"{label} {k + 1}–{k + len(part)}", g), part)


def _group_big(hier: Hierarchy, graph: CleanGraph) -> None:
    """Group op series and same-type ops of crowded scopes; chunk scopes still too crowded."""
    for s in list(_preorder(hier)):
        _group_series(hier, graph, s)
        sc = hier.scopes[s]
        shown = [i for i in sc.ops if not graph.nodes[i].is_folded]
        if len(shown) + len(sc.scopes) > CROWDED_ABOVE:
            by_op: dict[str, list[int]] = {}
            for i in shown:
                by_op.setdefault(graph.nodes[i].op, []).append(i)
            for op, members in by_op.items():
                if len(members) < 2:
                    continue
                _make_group(hier, s, op, members)
        _chunk_children(hier, graph, s)
    _count(hier, graph)


def _move_ops(hier: Hierarchy, src: int, dst: int, members: list[int]) -> None:
    moving = set(members)
    hier.scopes[src].ops = [i for i in hier.scopes[src].ops if i not in moving]
    hier.scopes[dst].ops.extend(members)
    for i in members:
        hier.parent[i] = dst


def _chunk_children(hier: Hierarchy, graph: CleanGraph, s: int) -> None:
    sc = hier.scopes[s]
    boxes = [("s", c) for c in sc.scopes]
    boxes += [("n", i) for i in sc.ops if not graph.nodes[i].is_folded]
    if len(boxes) <= CROWDED_ABOVE:
        return
    sc.scopes = []
    folded = [i for i in sc.ops if graph.nodes[i].is_folded]
    sc.ops = folded
    for k in range(0, len(boxes), CHUNK_SIZE):
        part = boxes[k:k + CHUNK_SIZE]
        g = _new_scope(hier, f"{sc.label or 'graph'} part {k // CHUNK_SIZE + 1}", s)
        for kind, x in part:
            if kind == "s":
                hier.scopes[g].scopes.append(x)
                hier.scopes[x].parent = g
            else:
                hier.scopes[g].ops.append(x)
                hier.parent[x] = g


def _compact(hier: Hierarchy, graph: CleanGraph) -> Hierarchy:
    """Drop dissolved scopes and renumber the rest in preorder (root first)."""
    order = _preorder(hier)
    new_id = {old: new for new, old in enumerate(order)}
    scopes = []
    for old in order:
        sc = hier.scopes[old]
        sc.parent = new_id[sc.parent] if sc.parent >= 0 else -1
        sc.scopes = [new_id[c] for c in sc.scopes]
        scopes.append(sc)
    parent = [new_id[p] for p in hier.parent]
    out = Hierarchy(scopes, parent)
    _count(out, graph)
    return out


def initial_expansion(hier: Hierarchy, graph: CleanGraph, budget: int = INITIAL_BUDGET,
                      max_boxes: int = DOMINANT_MAX_BOXES,
                      closed: set[int] | frozenset[int] = frozenset()) -> set[int]:
    """Choose the scopes the first view shows expanded.

    In: the hierarchy, its graph, the box budget of the first view, the cap for a dominant
    scope, and scopes to leave closed (e.g. those whose nodes were all removed: one coloured
    box tells their story best). Out: a set of scope indices (always holding the root, 0).
    Scopes are expanded breadth first, cheapest first, while the view stays within
    ``budget`` boxes; a scope holding at least 80 % of the shown ops outside ``closed`` is
    expanded as long as the view stays within ``max_boxes`` (so a model wrapped in one scope
    opens at its layers).
    """
    expanded = {0}
    count = hier.n_boxes(0, graph)
    total = hier.scopes[0].shown - sum(hier.scopes[c].shown for c in closed
                                       if hier.scopes[c].parent == 0)
    queue = deque(sorted((c for c in hier.scopes[0].scopes if c not in closed),
                         key=lambda c: hier.n_boxes(c, graph)))
    while queue:
        s = queue.popleft()
        sc = hier.scopes[s]
        cost = hier.n_boxes(s, graph) - 1
        dominant = sc.kind == "scope" and sc.shown >= 0.8 * total
        if count + cost <= budget or (dominant and count + cost <= max_boxes):
            expanded.add(s)
            count += cost
            queue.extend(sorted((c for c in sc.scopes if c not in closed),
                                key=lambda c: hier.n_boxes(c, graph)))
    return expanded


def box_of(hier: Hierarchy, node: int, expanded: set[int]) -> str:
    """Return the id of the box that shows ``node``: its outermost collapsed scope, or itself."""
    s = hier.parent[node]
    top = None
    while s > 0:
        if s not in expanded:
            top = s
        s = hier.scopes[s].parent
    return f"s{top}" if top is not None else f"n{node}"


def visible_boxes(hier: Hierarchy, graph: CleanGraph, expanded: set[int]) -> set[str]:
    """The boxes shown when the scopes in ``expanded`` are open: ``"n<node>"`` for an op,
    ``"s<scope>"`` for a closed scope (``assets/js/panes.js`` counts them the same way)."""
    return {box_of(hier, i, expanded) for i, n in enumerate(graph.nodes) if not n.is_folded}
