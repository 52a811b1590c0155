"""What happened to each node between graphs: removed (and why), kept, changed or added.

Two graphs (a training step and its frozen graph) give a NodeDiff; three (training step →
inference trace → frozen graph) give a StageDiff: what vanished at tracing, what freezing
changed. Two graphs whose left one is already frozen (a frozen graph and its OpenCV rewrite)
give a NodeDiff of kind "rewrite": per node what grappler or a rewrite pass did
(``rewrite_reasons``). Each diff says its transitions in sentences (``sentences()``), which
the viewer shows. Nodes are matched by name (see ``same_node``: a function's generic output and
control nodes, ``Identity``, ``Identity_1``, …, ``NoOp``, must also have the same inputs). The op
taxonomy lives in ``keras2pb.graph.optypes``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .nodes import CleanGraph, ViewNode, element_count, input_name, tensor_size
from .opencv_rewrite import PASSES
from .optypes import (
    CATEGORIES,
    CATEGORY_LABELS,
    category,
    freeze_change,
    is_generic,
    passes_on,
    training_reason,
)

__all__ = ["CATEGORIES", "REWRITE_ADDED", "REWRITE_REMOVED", "NodeDiff", "StageDiff",
           "category", "counts_text", "diff_graphs", "diff_stages", "match", "nodes_word",
           "rewrite_reasons", "same_node"]

#: Why a node of a frozen graph is missing from a rewrite of it (``--for-opencv``: one
#: grappler pass, then the passes of ``opencv_rewrite.PASSES``), in legend order.
REWRITE_REMOVED = (
    ("rw_merged", "merged into the op after it by grappler"),
    ("rw_identity", "Identity removed by grappler"),
    ("rw_removed", "folded away or pruned by grappler"),
)
#: What a rewrite did to a node it kept or added, in legend order: grappler's work, then one
#: entry per rewrite pass (``rw_<pass name>``), then an input rewired and other changes.
REWRITE_ADDED = (
    ("rw_const", "folded to a constant by grappler"),
    ("rw_mul_conv", "Mul folded into the convolution by grappler"),
    *((f"rw_{name}", words) for name, (_, _, _, words) in PASSES.items()),
    ("rw_added", "added by grappler"),
    ("rw_input", "reads other nodes than before"),
    ("rw_changed", "op type changed"),
)
_REWRITE_LABELS = dict(REWRITE_REMOVED + REWRITE_ADDED)
_CONVS = ("Conv2D", "DepthwiseConv2dNative", "MatMul", "Conv3D")


def bytes_text(n: int) -> str:
    """``656 B``, ``1.3 kB``, ``0.90 MB`` (MB from 100 kB on): decimal units, as the page's
    ``bytesText`` writes them."""
    if n < 1000:
        return f"{n:,} B"
    return f"{n / 1000:.1f} kB" if n < 100_000 else f"{n / 1e6:.2f} MB"


def nodes_word(n: int) -> str:
    """"node" or "nodes", for ``n`` of them."""
    return "node" if n == 1 else "nodes"


def counts_text(counts: Counter, top: int | None = None, label=str) -> str:
    """``"a 3, b 2, +4 more"``: the ``top`` commonest keys (all when None) and the rest;
    ties in CATEGORIES (then REWRITE_*) order, then first seen."""
    order = {k: i for i, (k, _) in enumerate(CATEGORIES + REWRITE_REMOVED + REWRITE_ADDED)}
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
    #: "training" (the left graph trains: removal reasons are CATEGORIES keys) or "rewrite"
    #: (the left graph is frozen: REWRITE_REMOVED keys, and ``right_reason`` says per right
    #: node what the rewrite did, a REWRITE_ADDED key or "" when nothing)
    kind: str = "training"
    right_reason: list[str] = field(default_factory=list, repr=False)

    @property
    def removed_by_category(self) -> Counter:
        """Reason key (CATEGORIES, or REWRITE_REMOVED for a rewrite) -> left nodes removed
        for that reason."""
        return Counter(c for c, st in zip(self.left_category, self.left_status, strict=True)
                       if st == "removed")

    @property
    def rewritten(self) -> Counter:
        """REWRITE_ADDED key -> right nodes a rewrite changed or added for that reason."""
        return Counter(r for r in self.right_reason if r)

    def label(self, key: str) -> str:
        """The legend text of a reason key (CATEGORIES or REWRITE_*)."""
        return _REWRITE_LABELS.get(key) or CATEGORY_LABELS.get(key, key)

    def sentences(self) -> list[tuple[str, str]]:
        """What happened from the left graph to the right one, as (title, sentence) pairs:
        one pair; the viewer shows it above the panes."""
        title = f"{self.titles[0]} → {self.titles[1]}"
        if self.kind != "rewrite":
            return [(title, self.summary().split("; ", 1)[-1])]
        n_rm = sum(self.removed.values())
        text = f"{n_rm:,} {nodes_word(n_rm)} removed"
        if n_rm:
            text += " (" + counts_text(self.removed_by_category, None, self.label) + ")"
        done = self.rewritten
        n = sum(done.values())
        text += f"; {n:,} {nodes_word(n)} rewritten or added"
        if n:
            text += " (" + counts_text(done, None, self.label) + ")"
        n_same = sum(1 for st, r in zip(self.right_status, self.right_reason, strict=True)
                     if st == "kept" and not r)
        return [(f"Rewrite {title}", text + f"; {n_same:,} unchanged")]

    def summary(self, top: int = 4) -> str:
        """One plain line: node counts, what was removed (by reason), changed and added;
        ``top`` op types at most per list of op types.

        E.g. ``training step 459 nodes → frozen graph 48 nodes; removed 414: optimizer 316,
        gradients 60, …; kept 45 (16 of them changed op type: …); added 3 (Identity 2, NoOp
        1)``.
        """
        n_removed = sum(self.removed.values())
        text = (f"{self.titles[0]} {self.counts[0]:,} {nodes_word(self.counts[0])} → "
                f"{self.titles[1]} {self.counts[1]:,} {nodes_word(self.counts[1])}; "
                f"removed {n_removed:,}")
        if n_removed:
            text += ": " + counts_text(self.removed_by_category, None, self.label)
        n_kept = sum(self.kept.values())
        text += f"; kept {n_kept:,}"
        if self.changed:
            n = sum(self.changed.values())
            text += f" ({n:,} of them changed op type: {counts_text(self.changed, top)})"
        n_added = sum(self.added.values())
        text += f"; added {n_added:,}"
        if n_added:
            text += f" ({counts_text(self.added, top)})"
        if self.matched_by != "name":
            text += " [no shared node names: matched by op type]"
        return text


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
    if by_name and is_rewrite(left, right, diff.right_match):
        diff.kind = "rewrite"
        diff.left_category, diff.right_reason = rewrite_reasons(left, right, diff.left_match,
                                                                diff.right_match)
    else:
        diff.right_reason = [""] * len(right.nodes)
    return diff


def is_rewrite(left: CleanGraph, right: CleanGraph, right_match: list[int]) -> bool:
    """Whether ``right`` reads as a rewrite of ``left`` (e.g. ``freeze(for_opencv=True)`` of a
    frozen graph): ``left`` is frozen (``is_frozen``) and at least half of the right graph's
    nodes are left nodes (two unrelated frozen models share a few names such as ``image``,
    and their differences are no rewrite's work)."""
    kept = sum(1 for j in right_match if j >= 0)
    return 2 * kept >= len(right.nodes) > 0 and is_frozen(left)


def is_frozen(graph: CleanGraph) -> bool:
    """Whether ``graph`` holds no training-only node (``optypes.training_reason``): no
    variable, optimizer, gradient or randomness."""
    return not any(training_reason(n.name, n.op, n.op == "Placeholder"
                                   and ("dtype", "resource") in n.attrs) for n in graph.nodes)


def _reads(graph: CleanGraph, i: int) -> set[str]:
    n = graph.nodes[i]
    return {graph.nodes[j].name for j in (*n.inputs, *n.folded)}


def _pass_of(name: str) -> str:
    """The rewrite pass whose added nodes end like ``name`` (see PASSES), or ""."""
    base = name.rstrip("_")
    found = [(len(s), pass_name) for pass_name, (_, _, suffixes, _) in PASSES.items()
             for s in suffixes if base.endswith(s)]
    return max(found)[1] if found else ""  # the longest suffix: "/times_one/diagonal"


def rewrite_reasons(left: CleanGraph, right: CleanGraph, left_match: list[int],
                    right_match: list[int]) -> tuple[list[str], list[str]]:
    """What a rewrite of the frozen graph ``left`` into ``right`` did, node by node.

    In: both graphs and their ``twins``. Out: per left node a REWRITE_REMOVED key ("" when
    kept), per right node a REWRITE_ADDED key ("" when unchanged). A pass of
    ``opencv_rewrite.PASSES`` is named where its mark is: the op types it turns a node from
    and into, or an input (or the node itself) named with a suffix of the nodes it adds.
    Grappler's work is named from what is left: a node that became a Const was folded to a
    constant; a Mul that became a convolution took in the convolution before it (which is
    then "merged"); a missing Identity was removed; other missing nodes were folded away or
    pruned; a node that reads other nodes than before was rewired. The words assume
    keras2pb's rewrite (one grappler pass, then PASSES; see ``is_rewrite``).
    """
    names = {n.name for n in left.nodes}
    right_reason = []
    for j, n in enumerate(right.nodes):
        k = right_match[j]
        if k < 0:
            found = _pass_of(n.name)
            right_reason.append(f"rw_{found}" if found else "rw_added")
            continue
        before = left.nodes[k].op
        reads = _reads(right, j)
        by_input = [_pass_of(x) for x in reads if x not in names]
        by_op = [name for name, (src, dst, _, _) in PASSES.items()
                 if n.op in dst and before in src]
        found = next((x for x in (*by_op, *by_input) if x), "")
        if found:
            reason = f"rw_{found}"
        elif n.op == "Const" and before != "Const":
            reason = "rw_const"
        elif before == "Mul" and n.op in _CONVS:
            reason = "rw_mul_conv"
        elif before != n.op:
            reason = "rw_changed"
        elif reads != _reads(left, k):
            reason = "rw_input"
        else:
            reason = ""
        right_reason.append(reason)
    users: dict[int, list[int]] = {}
    for c, n in enumerate(left.nodes):
        for i in (*n.inputs, *n.folded):
            users.setdefault(i, []).append(c)
    left_reason = []
    for i, n in enumerate(left.nodes):
        if left_match[i] >= 0:
            left_reason.append("")
        elif any(left_match[c] >= 0 and right_reason[left_match[c]] == "rw_mul_conv"
                 for c in users.get(i, ())) and n.op in _CONVS:
            left_reason.append("rw_merged")
        elif n.op == "Identity":
            left_reason.append("rw_identity")
        else:
            left_reason.append("rw_removed")
    return left_reason, right_reason


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
    #: the constants freezing made of variables: (frozen-graph node, shape text, bytes; ""
    #: and 0 when the graph was read without attributes)
    constants: list[tuple[str, str, int]] = field(default_factory=list, repr=False)

    def sentences(self) -> list[tuple[str, str]]:
        """What tracing did and what freezing did, one (title, sentence) pair each; every
        number from this diff (the viewer shows them above its three panes).

        E.g. ("Tracing model(x, training=False)", "414 training-step nodes were never
        recorded (optimizer 316, gradients 60, …) and 3 were added (Identity 2, NoOp 1)") and
        ("Freezing", "0 nodes removed; 8 variables (225,034 weights, 0.90 MB) became
        constants inside the .pb; 8 other nodes changed op type (…)").
        """
        t, f = self.tracing, self.freezing
        n_rm, n_add = sum(t.removed.values()), sum(t.added.values())
        text = f"{n_rm:,} training-step {nodes_word(n_rm)} were never recorded"
        if n_rm:
            text += " (" + counts_text(self.removed_by_category, None, t.label) + ")"
        text += f" and {n_add:,} {'was' if n_add == 1 else 'were'} added"
        if n_add:
            text += f" ({counts_text(t.added, 4)})"
        out = [("Tracing model(x, training=False)", text)]
        n_frm = sum(f.removed.values())
        text = f"{n_frm:,} {nodes_word(n_frm)} removed"
        if self.constants:
            n = len(self.constants)
            text += f"; {n:,} {'variable' if n == 1 else 'variables'}"
            if all(size for _, _, size in self.constants):
                weights = sum(element_count(shape) for _, shape, _ in self.constants)
                size = sum(size for _, _, size in self.constants)
                text += f" ({weights:,} weights, {bytes_text(size)})"
            text += " became constants inside the .pb"
        others = sum(v for key, v in f.changed.items() if not key.endswith("→Const"))
        if others:
            text += f"; {others:,} other {nodes_word(others)} changed op type (" + ", ".join(
                f"{v:,} {freeze_change(*key.split('→'))}" for key, v in f.changed.most_common()
                if not key.endswith("→Const")) + ")"
        n_fadd = sum(f.added.values())
        if n_fadd:
            text += f"; {n_fadd:,} added ({counts_text(f.added, 4)})"
        out.append(("Freezing", text))
        return out

    def summary(self, top: int = 4) -> str:
        """One plain line with the three stages' node counts and what happened between them
        (every removal reason; ``top`` op types at most per list of op types).

        E.g. ``training step 459 nodes → inference trace 48 nodes → frozen graph 48 nodes;
        removed at tracing 414: optimizer 316, …; added at tracing 3 (Identity 2, NoOp 1);
        changed at freezing 16: 8 variable handles → constants (Placeholder→Const), …``.
        """
        t = self.tracing
        text = " → ".join(f"{title} {n:,} {nodes_word(n)}"
                          for title, n in zip(self.titles, self.counts, strict=True))
        n_rm = sum(t.removed.values())
        text += f"; removed at tracing {n_rm:,}"
        if n_rm:
            text += ": " + counts_text(self.removed_by_category, None, t.label)
        n_add = sum(t.added.values())
        if n_add:
            text += f"; added at tracing {n_add:,} ({counts_text(t.added, top)})"
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
            text += f"; removed at freezing {n_frm:,} ({counts_text(f.removed, top)})"
        if n_fadd:
            text += f"; added at freezing {n_fadd:,} ({counts_text(f.added, top)})"
        return text


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
    constants = [(n.name, *tensor_size(n)) for n, st in zip(frozen.nodes, freezing.right_status,
                                                              strict=True)
                 if st == "changed" and n.op == "Const"]
    return StageDiff(tracing, freezing, tuple(titles),
                     (len(training.nodes), len(inference.nodes), len(frozen.nodes)), right,
                     tracing.matched_by, middle, [n.op for n in frozen.nodes], constants)
