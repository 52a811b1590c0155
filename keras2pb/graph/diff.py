"""What happened to each node between graphs: removed (and why), kept, changed or added.

Two graphs (a training step and its frozen graph) give a NodeDiff; three (training step →
inference trace → frozen graph) give a StageDiff: what vanished at tracing, what freezing
changed. Nodes are matched by name (see ``same_node``: a function's generic output and
control nodes, ``Identity``, ``Identity_1``, …, ``NoOp``, must also have the same inputs). The op
taxonomy lives in ``keras2pb.graph.optypes``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .nodes import CleanGraph, ViewNode, input_name
from .optypes import CATEGORIES, CATEGORY_LABELS, category, freeze_change, is_generic, passes_on

__all__ = ["CATEGORIES", "NodeDiff", "StageDiff", "category", "diff_graphs", "diff_stages",
           "match", "same_node"]


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


def _inputs(node: ViewNode) -> tuple[tuple[str, ...], frozenset[str]]:
    """A node's data inputs in order (``a:0`` written ``a``) and its control inputs, a set."""
    data = tuple(r.removesuffix(":0") for r in node.input_refs if not r.startswith("^"))
    return data, frozenset(r[1:] for r in node.input_refs if r.startswith("^"))


def same_node(a: ViewNode, b: ViewNode) -> bool:
    """Whether ``a`` and ``b``, of two graphs, are one node: they have the same name and, for a
    function's generic output or control node (``Identity``, ``Identity_1``, ``NoOp``: every
    traced function has them, see ``optypes.GENERIC_NAME``), the same data and control inputs.

    A training step returns its loss through ``Identity`` (input ``Mean``) and the inference
    trace its output through another ``Identity`` (input ``probs``): two nodes. Layer nodes
    match by name alone (the MNIST CNN's ``probs_1/MatMul`` reads Dropout's output in training
    and ``dense_1/Relu`` in the trace, but computes the same layer).
    """
    return a.name == b.name and (not is_generic(a.name) or _inputs(a) == _inputs(b))


def match(left: CleanGraph, right: CleanGraph) -> list[int]:
    """Per node of ``left``, the index of the same node in ``right`` (``same_node``), or -1."""
    out = []
    for n in left.nodes:
        j = right.index.get(n.name, -1)
        out.append(j if j >= 0 and same_node(n, right.nodes[j]) else -1)
    return out


def twins(left: CleanGraph, right: CleanGraph) -> tuple[list[int], list[int]]:
    """Per node of each graph, the index of the same node in the other (-1): ``match`` both
    ways."""
    lt = match(left, right)
    rt = [-1] * len(right.nodes)
    for i, j in enumerate(lt):
        if j >= 0:
            rt[j] = i
    return lt, rt


def _commonest(reasons: Counter) -> str:
    """The commonest CATEGORIES key of ``reasons``; ties in CATEGORIES order."""
    order = {k: i for i, (k, _) in enumerate(CATEGORIES)}
    return min(reasons, key=lambda k: (-reasons[k], order.get(k, len(order))))


def removal_reason(graph: CleanGraph, i: int, depth: int = 0) -> str:
    """Why node ``i`` of ``graph`` (a training step) has no place in inference: a CATEGORIES key.

    ``optypes.category`` by name and op type, except for the nodes of ``optypes.passes_on``
    whose inputs are known: they go for the commonest reason among their data inputs (their
    control inputs when they have none). So the training step's ``Identity``, which returns the
    loss (``Mean``), is "loss"; its ``NoOp``, through which the step waits for its variable
    reads and writes (85 in the MNIST CNN's step, 72 of them the optimizer's), is "optimizer";
    a top-level ``AddN`` summing two losses is "loss", one summing gradients "gradient".
    """
    n = graph.nodes[i]
    if n.input_refs and depth < 8 and passes_on(n.name, n.op):
        data = [input_name(r)[0] for r in n.input_refs if not r.startswith("^")]
        names = data or [r[1:] for r in n.input_refs]
        reasons = Counter(removal_reason(graph, graph.index[x], depth + 1)
                          for x in names if x in graph.index)
        if reasons:
            return _commonest(reasons)
    return category(n.name, n.op, n.op == "Placeholder" and ("dtype", "resource") in n.attrs)


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
    #: per left node: the index of the same node in the right graph (-1: none, or matched by
    #: op type); per right node: that of the same node in the left graph
    left_match: list[int] = field(default_factory=list, repr=False)
    right_match: list[int] = field(default_factory=list, repr=False)

    @property
    def removed_by_category(self) -> Counter:
        """CATEGORIES key -> left nodes removed for that reason."""
        return Counter(c for c, st in zip(self.left_category, self.left_status, strict=True)
                       if st == "removed")

    def summary(self, top: int = 4) -> str:
        """One plain line: node counts, what was removed (by reason), changed and added;
        ``top`` op types at most per list of op types.

        E.g. ``training step 459 nodes → frozen graph 48 nodes; removed 414: optimizer 316,
        gradients 60, …; kept 45 (16 of them changed op type: …); added 3 (Identity 2, NoOp
        1)``.
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
    NodeDiff. A left node is kept when the right graph has the same node (``same_node``: the
    same name, and the same inputs for a function's ``Identity``/``NoOp``); its op may have
    changed, e.g. ReadVariableOp became Identity when freezing: the right node is then
    "changed". Else it is removed, for a reason (``removal_reason``); right nodes the left
    graph lacks are added. When the graphs share no node name at all, nodes are matched by op
    type instead (``matched_by == "op type"``). Raises nothing.
    """
    shared = left.index.keys() & right.index.keys()
    by_name = bool(shared)
    right_ops = {n.op for n in right.nodes}
    left_ops = {n.op for n in left.nodes}
    diff = NodeDiff([], [], [], matched_by="name" if by_name else "op type",
                    titles=tuple(titles), counts=(len(left.nodes), len(right.nodes)))
    if by_name:
        diff.left_match, diff.right_match = twins(left, right)
    else:
        diff.left_match, diff.right_match = [-1] * len(left.nodes), [-1] * len(right.nodes)
    for i, n in enumerate(left.nodes):
        kept = diff.left_match[i] >= 0 if by_name else n.op in right_ops
        if kept:
            diff.left_status.append("kept")
            diff.left_category.append("")
            diff.kept[n.op] += 1
            if by_name:
                other = right.nodes[diff.left_match[i]].op
                if other != n.op:
                    diff.changed[f"{n.op}→{other}"] += 1
        else:
            diff.left_status.append("removed")
            diff.left_category.append(removal_reason(left, i))
            diff.removed[n.op] += 1
    for j, n in enumerate(right.nodes):
        if by_name:
            i = diff.right_match[j]
            st = "added" if i < 0 else ("kept" if left.nodes[i].op == n.op else "changed")
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
        removed at tracing 414: optimizer 316, …; added at tracing 3 (Identity 2, NoOp 1);
        changed at freezing 16: 8 variable handles → constants (Placeholder→Const), …``.
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
    """Compare the three stages node by node (by name, see ``same_node``); see StageDiff.
    Raises nothing.

    A frozen-graph node is "changed" when freezing changed its op type, "added" when the
    training step lacks it (e.g. the outputs ``probs`` and ``Identity``: the training step's
    ``Identity`` returns the loss), else "kept".
    """
    tracing = diff_graphs(training, inference, (titles[0], titles[1]))
    freezing = diff_graphs(inference, frozen, (titles[1], titles[2]))
    right = []
    for k, st in zip(freezing.right_match, freezing.right_status, strict=True):
        if st == "kept" and (k < 0 or tracing.right_status[k] == "added"):
            st = "added"
        right.append(st)
    middle = []
    for n, j, st in zip(inference.nodes, freezing.left_match, tracing.right_status,
                        strict=True):
        if st != "added":
            st = "removed" if j < 0 else ("kept" if frozen.nodes[j].op == n.op else "changed")
        middle.append(st)
    return StageDiff(tracing, freezing, tuple(titles),
                     (len(training.nodes), len(inference.nodes), len(frozen.nodes)), right,
                     tracing.matched_by, middle, [n.op for n in frozen.nodes])
