"""Which nodes of a graph another graph no longer has, keeps or adds, counted per op type."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .clean import CleanGraph

#: Why a node is gone, in the order they are tested; (key, legend text).
CATEGORIES = (
    ("gradient", "gradients"),
    ("random", "randomness (dropout)"),
    ("update", "variable updates"),
    ("optimizer", "optimizer"),
    ("variable", "variables and reads"),
    ("loss", "loss and metrics"),
    ("other", "other"),
)
_OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop", "adagrad", "adadelta", "adamax", "nadam",
               "ftrl", "lion", "lamb", "optimizer", "training")


def category(name: str, op: str, resource: bool = False) -> str:
    """Return why a training-graph node has no place in an inference graph (a CATEGORIES key).

    In: the node's name, op type, and whether it outputs a resource (a variable handle).
    Out: "gradient", "random", "update", "optimizer", "variable", "loss" or "other", guessed
    from the op type and the name's first scope.
    """
    first = name.split("/", 1)[0].lower()
    low_op = op.lower()
    if (first in ("gradient_tape", "gradients") or op.endswith("Grad")
            or "Backprop" in op or op.endswith("GradGrad")):
        return "gradient"
    if "random" in low_op or "dropout" in name.lower():
        return "random"
    if op.startswith(("Assign", "ResourceApply", "Apply", "ResourceScatter", "ScatterUpdate")):
        return "update"
    if first.rstrip("_0123456789") in _OPTIMIZERS:
        return "optimizer"
    if op in ("ReadVariableOp", "VarHandleOp", "VariableV2", "Variable", "VarIsInitializedOp"):
        return "variable"
    if resource:
        return "variable"
    if any(w in name.lower() for w in ("loss", "crossentropy", "metric", "accuracy", "mean")):
        return "loss"
    return "other"


@dataclass
class NodeDiff:
    """Node-level comparison of a left graph (e.g. training) with a right one (e.g. frozen).

    ``keras2pb.compare`` (``graphinfo.GraphDiff``) compares by op type only; this one says,
    node by node, what the viewer marks.
    """

    left_status: list[str]  # per left node: "kept" or "removed"
    right_status: list[str]  # per right node: "kept" or "added"
    left_category: list[str]  # per left node: a CATEGORIES key ("" when kept)
    removed: Counter = field(default_factory=Counter)  # op type -> left nodes removed
    kept: Counter = field(default_factory=Counter)  # op type -> left nodes kept
    added: Counter = field(default_factory=Counter)  # op type -> right nodes added
    changed: Counter = field(default_factory=Counter)  # "A→B" -> kept nodes whose op changed
    matched_by: str = "name"

    def summary(self, top: int = 4) -> str:
        """Return one line: how many nodes of which op types were removed, kept and added."""
        def part(verb: str, counts: Counter) -> str:
            n = sum(counts.values())
            if not n:
                return f"{verb} 0 nodes"
            items = counts.most_common()
            shown = ", ".join(f"{op} {k}" for op, k in items[:top])
            more = f", +{len(items) - top} more" if len(items) > top else ""
            types = "op type" if len(items) == 1 else "op types"
            return f"{verb} {n} {_nodes(n)} of {len(items)} {types} ({shown}{more})"

        text = "; ".join([part("removed", self.removed), part("kept", self.kept),
                          part("added", self.added)])
        if self.changed:
            n = sum(self.changed.values())
            ch = ", ".join(f"{k} {v}" for k, v in self.changed.most_common(3))
            text += f"; {n} kept {_nodes(n)} changed op type ({ch})"
        if self.matched_by != "name":
            text += " [no shared node names: matched by op type]"
        return text


def _nodes(n: int) -> str:
    return "node" if n == 1 else "nodes"


def diff_graphs(left: CleanGraph, right: CleanGraph) -> NodeDiff:
    """Compare two cleaned graphs node by node.

    In: the left graph (what was) and the right graph (what is). Out: a NodeDiff. A left node
    is kept when the right graph has a node of the same name (its op may have changed, e.g.
    ReadVariableOp became Identity when freezing), else removed; right nodes whose name the
    left graph lacks are added. When the graphs share no node name at all, nodes are matched
    by op type instead (``matched_by == "op type"``). Raises nothing.
    """
    shared = left.index.keys() & right.index.keys()
    by_name = bool(shared)
    right_ops = {n.op for n in right.nodes}
    left_ops = {n.op for n in left.nodes}
    diff = NodeDiff([], [], [], matched_by="name" if by_name else "op type")
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
        added = n.name not in left.index if by_name else n.op not in left_ops
        diff.right_status.append("added" if added else "kept")
        if added:
            diff.added[n.op] += 1
    return diff
