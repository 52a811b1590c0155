"""What happened to each node between graphs: removed (and why), kept, changed or added.

Two graphs (a training step and its frozen graph) give a NodeDiff; three (training step →
inference trace → frozen graph) give a StageDiff: what vanished at tracing, what freezing
changed. Nodes are matched by name. The op taxonomy lives in ``keras2pb.optypes``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..optypes import CATEGORIES, CATEGORY_LABELS, category, freeze_change
from .clean import CleanGraph

__all__ = ["CATEGORIES", "NodeDiff", "StageDiff", "category", "diff_graphs", "diff_stages"]


def _nodes(n: int) -> str:
    return "node" if n == 1 else "nodes"


def _counts(counts: Counter, top: int | None = None, label=str) -> str:
    """``"a 3, b 2, +4 more"``: the ``top`` commonest keys (all when None) and the rest;
    ties in CATEGORIES order, then first seen."""
    order = {k: i for i, (k, _) in enumerate(CATEGORIES)}
    items = sorted(counts.items(), key=lambda kv: (-kv[1], order.get(kv[0], len(order))))
    shown = ", ".join(f"{label(k)} {v:,}" for k, v in items[:top])
    more = sum(v for _, v in items[top:]) if top is not None else 0
    return shown + (f", +{more:,} more" if more else "")


@dataclass
class NodeDiff:
    """Node-level comparison of a left graph (e.g. training) with a right one (e.g. frozen).

    ``keras2pb.compare`` (``graphinfo.GraphDiff``) compares by op type only; this one says,
    node by node, what the viewer marks.
    """

    left_status: list[str]  # per left node: "kept" or "removed"
    right_status: list[str]  # per right node: "kept", "changed" (op type differs) or "added"
    left_category: list[str]  # per left node: a CATEGORIES key ("" when kept)
    removed: Counter = field(default_factory=Counter)  # op type -> left nodes removed
    kept: Counter = field(default_factory=Counter)  # op type -> left nodes kept
    added: Counter = field(default_factory=Counter)  # op type -> right nodes added
    changed: Counter = field(default_factory=Counter)  # "A→B" -> kept nodes whose op changed
    matched_by: str = "name"
    titles: tuple[str, str] = ("left graph", "right graph")
    counts: tuple[int, int] = (0, 0)  # nodes of the left and right graph

    @property
    def removed_by_category(self) -> Counter:
        """CATEGORIES key -> left nodes removed for that reason."""
        return Counter(c for c, st in zip(self.left_category, self.left_status, strict=True)
                       if st == "removed")

    def summary(self, top: int = 4) -> str:
        """One plain line: node counts, what was removed (by reason), changed and added;
        ``top`` op types at most per list of op types.

        E.g. ``training step 459 nodes → frozen graph 48 nodes; removed 412: optimizer 315,
        gradients 60, …; kept 47 (16 changed op type: …); added 1 (probs)``.
        """
        n_removed = sum(self.removed.values())
        text = (f"{self.titles[0]} {self.counts[0]:,} {_nodes(self.counts[0])} → "
                f"{self.titles[1]} {self.counts[1]:,} {_nodes(self.counts[1])}; "
                f"removed {n_removed:,}")
        if n_removed:
            text += ": " + _counts(self.removed_by_category, None, CATEGORY_LABELS.get)
        n_kept = sum(self.kept.values())
        text += f"; kept {n_kept:,}"
        if self.changed:
            n = sum(self.changed.values())
            text += f" ({n:,} of them changed op type: {_counts(self.changed, top)})"
        n_added = sum(self.added.values())
        text += f"; added {n_added:,}"
        if n_added:
            text += f" ({_counts(self.added, top)})"
        if self.matched_by != "name":
            text += " [no shared node names: matched by op type]"
        return text

    def by_op_type(self, top: int = 4) -> str:
        """One line per op type: how many nodes of which op types were removed, kept, added."""
        def part(verb: str, counts: Counter) -> str:
            n = sum(counts.values())
            if not n:
                return f"{verb} 0 nodes"
            items = counts.most_common()
            shown = ", ".join(f"{op} {k}" for op, k in items[:top])
            more = f", +{len(items) - top} more" if len(items) > top else ""
            types = "op type" if len(items) == 1 else "op types"
            return f"{verb} {n} {_nodes(n)} of {len(items)} {types} ({shown}{more})"

        return "; ".join([part("removed", self.removed), part("kept (left op types)", self.kept),
                          part("added", self.added)])


def diff_graphs(left: CleanGraph, right: CleanGraph,
                titles: tuple[str, str] = ("left graph", "right graph")) -> NodeDiff:
    """Compare two cleaned graphs node by node.

    In: the left graph (what was), the right graph (what is) and their titles. Out: a
    NodeDiff. A left node is kept when the right graph has a node of the same name (its op may
    have changed, e.g. ReadVariableOp became Identity when freezing: the right node is then
    "changed"), else removed; right nodes whose name the left graph lacks are added. When the
    graphs share no node name at all, nodes are matched by op type instead
    (``matched_by == "op type"``). Raises nothing.
    """
    shared = left.index.keys() & right.index.keys()
    by_name = bool(shared)
    right_ops = {n.op for n in right.nodes}
    left_ops = {n.op for n in left.nodes}
    diff = NodeDiff([], [], [], matched_by="name" if by_name else "op type",
                    titles=tuple(titles), counts=(len(left.nodes), len(right.nodes)))
    for n in left.nodes:
        kept = n.name in right.index if by_name else n.op in right_ops
        if kept:
            diff.left_status.append("kept")
            diff.left_category.append("")
            diff.kept[n.op] += 1
            if by_name:
                other = right.nodes[right.index[n.name]].op
                if other != n.op:
                    diff.changed[f"{n.op}→{other}"] += 1
        else:
            diff.left_status.append("removed")
            resource = n.op == "Placeholder" and ("dtype", "resource") in n.attrs
            diff.left_category.append(category(n.name, n.op, resource))
            diff.removed[n.op] += 1
    for n in right.nodes:
        if by_name:
            j = left.index.get(n.name)
            st = "added" if j is None else ("kept" if left.nodes[j].op == n.op else "changed")
        else:
            st = "added" if n.op not in left_ops else "kept"
        diff.right_status.append(st)
        if st == "added":
            diff.added[n.op] += 1
    return diff


@dataclass
class StageDiff:
    """Three stages: training step → inference trace (``training=False``) → frozen graph.

    ``tracing`` compares the training step with the inference trace (what vanished when
    tracing, by reason); ``freezing`` compares the inference trace with the frozen graph
    (variable reads that became constants). The two-graph fields of NodeDiff are here too:
    ``left_*`` describe the training step's nodes (``"removed"`` = gone at tracing),
    ``right_status`` the frozen graph's nodes (``"kept"``, ``"changed"`` at freezing,
    ``"added"`` at tracing or freezing).
    """

    tracing: NodeDiff
    freezing: NodeDiff
    titles: tuple[str, str, str] = ("training step", "inference trace", "frozen graph")
    counts: tuple[int, int, int] = (0, 0, 0)
    right_status: list[str] = field(default_factory=list)
    matched_by: str = "name"
    #: per inference-trace node: "kept", "changed" (by freezing), "added" (at tracing: the
    #: training step lacks it) or "removed" (by freezing)
    middle_status: list[str] = field(default_factory=list)

    @property
    def left_status(self) -> list[str]:
        return self.tracing.left_status

    @property
    def left_category(self) -> list[str]:
        return self.tracing.left_category

    @property
    def removed(self) -> Counter:
        """Op type -> training-step nodes gone at tracing."""
        return self.tracing.removed

    @property
    def kept(self) -> Counter:
        """Op type (in the training step) -> nodes still in the inference trace."""
        return self.tracing.kept

    @property
    def added(self) -> Counter:
        """Op type -> frozen-graph nodes the training step lacks (added at tracing or after)."""
        return Counter(n for n, st in zip(self._right_ops, self.right_status, strict=True)
                       if st == "added")

    @property
    def changed(self) -> Counter:
        """``"A→B"`` -> inference-trace nodes whose op type freezing changed."""
        return self.freezing.changed

    @property
    def removed_by_category(self) -> Counter:
        """CATEGORIES key -> training-step nodes gone at tracing for that reason."""
        return self.tracing.removed_by_category

    @property
    def removed_at_freezing(self) -> Counter:
        """Op type -> inference-trace nodes the frozen graph no longer has."""
        return self.freezing.removed

    _right_ops: list[str] = field(default_factory=list, repr=False)

    def summary(self, top: int = 4) -> str:
        """One plain line with the three stages' node counts and what happened between them
        (every removal reason; ``top`` op types at most per list of op types).

        E.g. ``training step 459 nodes → inference trace 48 nodes → frozen graph 48 nodes;
        removed at tracing 412: optimizer 315, …; changed at freezing 16: 8 variable handles →
        constants (Placeholder→Const), …``.
        """
        t = self.tracing
        text = " → ".join(f"{title} {n:,} {_nodes(n)}"
                          for title, n in zip(self.titles, self.counts, strict=True))
        n_rm = sum(t.removed.values())
        text += f"; removed at tracing {n_rm:,}"
        if n_rm:
            text += ": " + _counts(self.removed_by_category, None, CATEGORY_LABELS.get)
        n_add = sum(t.added.values())
        if n_add:
            text += f"; added at tracing {n_add:,} ({_counts(t.added, top)})"
        f = self.freezing
        n_ch = sum(f.changed.values())
        text += f"; changed at freezing {n_ch:,}"
        if n_ch:
            parts = []
            for key, v in f.changed.most_common():
                before, _, after = key.partition("→")
                words = freeze_change(before, after)
                parts.append(f"{v:,} {words}" + ("" if words == key.replace("→", " → ")
                                                 else f" ({key})"))
            text += ": " + ", ".join(parts)
        n_frm, n_fadd = sum(f.removed.values()), sum(f.added.values())
        if n_frm:
            text += f"; removed at freezing {n_frm:,} ({_counts(f.removed, top)})"
        if n_fadd:
            text += f"; added at freezing {n_fadd:,} ({_counts(f.added, top)})"
        return text

    def by_op_type(self, top: int = 4) -> str:
        """The two steps per op type (NodeDiff.by_op_type of tracing, then of freezing)."""
        return (f"at tracing: {self.tracing.by_op_type(top)} | "
                f"at freezing: {self.freezing.by_op_type(top)}")


def diff_stages(training: CleanGraph, inference: CleanGraph, frozen: CleanGraph,
                titles: tuple[str, str, str] = ("training step", "inference trace",
                                                "frozen graph")) -> StageDiff:
    """Compare the three stages node by node (by name); see StageDiff. Raises nothing.

    A frozen-graph node is "changed" when freezing changed its op type, "added" when the
    training step has no node of its name (e.g. the output ``Identity``), else "kept".
    """
    tracing = diff_graphs(training, inference, (titles[0], titles[1]))
    freezing = diff_graphs(inference, frozen, (titles[1], titles[2]))
    right = []
    for n, st in zip(frozen.nodes, freezing.right_status, strict=True):
        if st == "kept" and n.name not in training.index:
            st = "added"
        right.append(st)
    middle = []
    for n, st in zip(inference.nodes, tracing.right_status, strict=True):
        j = frozen.index.get(n.name)
        if st != "added":
            st = "removed" if j is None else ("kept" if frozen.nodes[j].op == n.op
                                               else "changed")
        middle.append(st)
    return StageDiff(tracing, freezing, tuple(titles),
                     (len(training.nodes), len(inference.nodes), len(frozen.nodes)), right,
                     tracing.matched_by, middle, [n.op for n in frozen.nodes])
