"""The three stages of freezing: training step -> inference trace -> frozen graph.

The inference trace (``keras2pb.inference_graph``), the one op taxonomy (``keras2pb.graph.optypes``,
used by graphcheck and the viewer), the node-level three-stage diff (``compare_stages``,
``StageDiff``), and ``show_graphs`` with three graphs or a model plus its ``.pb``.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

import keras2pb
from keras2pb import show
from keras2pb.errors import Keras2pbError
from keras2pb.graph import optypes
from keras2pb.graph.checks import training_op_reason, training_ops
from keras2pb.graph.summary import GraphDiff
from keras2pb.viewer import StageDiff, clean_graph, diff_stages, write_html
from keras2pb.viewer import category as viewer_category
from tests.fixtures.viewer import small_graph_def


def _page_data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="k2-data">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


# ---- one op taxonomy --------------------------------------------------------------------------

def test_graphcheck_and_viewer_share_one_taxonomy():
    from tensorflow.core.framework.node_def_pb2 import NodeDef

    assert viewer_category is optypes.category
    cases = [("a/ReadVariableOp", "ReadVariableOp", "variable"),
             ("adam/ResourceApplyAdam", "ResourceApplyAdam", "optimizer"),
             ("gradient_tape/a/MatMul", "MatMul", "gradient"),
             ("conv/Conv2DBackpropInput", "Conv2DBackpropInput", None),
             ("pool/MaxPoolGrad", "MaxPoolGrad", "gradient"),
             ("drop/RandomUniform", "RandomUniform", "random"),
             ("dense/MatMul", "MatMul", None)]
    for name, op, reason in cases:
        assert optypes.training_reason(name, op) == reason, (name, op)
        assert training_op_reason(NodeDef(name=name, op=op)) == reason, (name, op)
    handle = NodeDef(name="h", op="Placeholder")
    handle.attr["dtype"].type = 20  # DT_RESOURCE
    assert training_op_reason(handle) == "resource"
    assert training_op_reason(NodeDef(name="image", op="Placeholder")) is None


def test_categories_cover_every_reason_with_distinct_labels():
    keys = [k for k, _ in optypes.CATEGORIES]
    labels = [t for _, t in optypes.CATEGORIES]
    assert len(set(keys)) == len(keys) and len(set(labels)) == len(labels)
    assert keras2pb.viewer.CATEGORIES == optypes.CATEGORIES
    got = {optypes.category("adam/Sub_3", "Sub"),
           optypes.category("gradient_tape/x/Mul", "Mul"),
           optypes.category("sparse_categorical_crossentropy/Sum", "Sum"),
           optypes.category("xent/SparseSoftmaxCrossEntropyWithLogits",
                            "SparseSoftmaxCrossEntropyWithLogits"),
           optypes.category("m/dropout/Cast", "Cast"),
           optypes.category("conv1_bn/moments/mean", "Mean"),
           optypes.category("AssignVariableOp", "AssignVariableOp"),
           optypes.category("m/dense/ReadVariableOp", "ReadVariableOp"),
           optypes.category("Add", "AddV2")}
    assert got == set(keys)
    assert optypes.freeze_change("ReadVariableOp", "Identity").startswith("variable reads")
    assert optypes.freeze_change("Relu", "Relu6") == "Relu → Relu6"


def test_batchnorm_layers_named_bn_with_a_number_are_batchnorm():
    """A user's BatchNormalization layer named ``bn1`` is traced as the scope ``bn1_1``; its
    moving-average arithmetic is BatchNorm's, not "other" (found by a reviewer's model)."""
    for name in ("m/bn1_1/sub", "m/bn2_1/mul", "m/bn_3/add", "res/conv2_block1_1_bn/sub"):
        assert optypes.category(name, "Sub") == "batchnorm", name
    for name in ("m/bn_cnn_1/conv1/Relu", "m/bnx/sub", "m/abn1/sub"):
        assert optypes.category(name, "Sub") != "batchnorm", name


# ---- the three-stage diff on a known little graph ---------------------------------------------

def _stages():
    """A training step, its inference trace and frozen graph, built by hand."""
    train = small_graph_def()
    train.node.add(name="gradient_tape/dense/MatMul", op="MatMul", input=["act/Relu"])
    train.node.add(name="adam/Sub", op="Sub", input=["gradient_tape/dense/MatMul"])
    train.node.add(name="adam/AssignVariableOp", op="AssignVariableOp", input=["adam/Sub"])
    infer = small_graph_def()
    keep = [n for n in infer.node if n.name != "init"]
    del infer.node[:]
    infer.node.extend(keep)
    infer.node.add(name="probs", op="Identity", input=["out"])
    frozen = type(infer)()
    frozen.CopyFrom(infer)
    # the trace reads a variable; the frozen graph reads a constant through an Identity
    [n for n in infer.node if n.name == "dense/kernel/read"][0].op = "ReadVariableOp"
    return train, infer, frozen


def test_stage_diff_counts_what_vanished_changed_and_stayed():
    train, infer, frozen = _stages()
    d = diff_stages(clean_graph(train), clean_graph(infer), clean_graph(frozen))
    assert d.counts == (len(train.node), len(infer.node), len(frozen.node))
    assert dict(d.removed_by_category) == {"gradient": 1, "optimizer": 2, "other": 1}
    assert dict(d.tracing.added) == {"Identity": 1}
    assert dict(d.changed) == {"ReadVariableOp→Identity": 1}
    assert sum(d.removed.values()) + sum(d.kept.values()) == len(train.node)
    by_name = dict(zip((n.name for n in frozen.node), d.right_status, strict=True))
    assert by_name["dense/kernel/read"] == "changed" and by_name["probs"] == "added"
    assert by_name["dense/MatMul"] == "kept"
    assert d.left_status.count("removed") == 4
    middle = dict(zip((n.name for n in infer.node), d.middle_status, strict=True))
    assert middle["dense/kernel/read"] == "changed" and middle["probs"] == "added"
    assert Counter(d.middle_status) == {"kept": len(infer.node) - 2, "changed": 1, "added": 1}
    text = d.summary()
    assert text.startswith(f"training step {len(train.node)} nodes → inference trace "
                           f"{len(infer.node)} nodes → frozen graph {len(frozen.node)} nodes; "
                           "removed at tracing 4: optimizer 2, gradients 1, other 1; ")
    assert "added at tracing 1 (Identity 1)" in text
    assert text.endswith("changed at freezing 1: 1 variable reads → Identity of a constant "
                         "(ReadVariableOp→Identity)")


def test_a_functions_identity_and_noop_match_only_with_the_same_inputs():
    """Every traced function returns through ``Identity`` and waits through ``NoOp``: the
    training step's (the loss; the optimizer's writes) are not the trace's (the output; its
    reads), although the names are the same. Layer nodes still match by name alone."""
    train, infer, frozen = _stages()
    train.node.add(name="Mean", op="Mean", input=["act/Relu_1"])
    train.node.add(name="NoOp", op="NoOp", input=["^adam/AssignVariableOp"])
    train.node.add(name="Identity", op="Identity", input=["Mean", "^NoOp"])
    for g in (infer, frozen):
        g.node.add(name="NoOp", op="NoOp", input=["^dense/kernel/read"])
        g.node.add(name="Identity", op="Identity", input=["probs:0", "^NoOp"])
    # dense/MatMul reads another node in the trace: still the same layer's node
    for g in (infer, frozen):
        g.node.add(name="flatten/Reshape", op="Reshape", input=["input"])
        [n for n in g.node if n.name == "dense/MatMul"][0].input[0] = "flatten/Reshape"
    d = diff_stages(clean_graph(train), clean_graph(infer), clean_graph(frozen))
    fates = zip(d.left_status, d.left_category, strict=True)
    left = dict(zip((n.name for n in train.node), fates, strict=True))
    assert left["Identity"] == ("removed", "loss")  # it returned the loss (Mean)
    assert left["NoOp"] == ("removed", "optimizer")  # it waited for the optimizer's write
    assert left["dense/MatMul"] == ("kept", "")
    assert dict(d.tracing.added) == {"Identity": 2, "NoOp": 1, "Reshape": 1}
    right = dict(zip((n.name for n in frozen.node), d.right_status, strict=True))
    assert right["Identity"] == right["NoOp"] == "added"  # at tracing
    middle = dict(zip((n.name for n in infer.node), d.middle_status, strict=True))
    assert middle["Identity"] == middle["NoOp"] == "added"
    # freezing kept them: same names, same inputs (``probs`` and ``probs:0`` are one tensor)
    assert d.freezing.left_status[-3:] == ["kept"] * 3 and not d.removed_at_freezing
    assert "added at tracing 4 (Identity 2, NoOp 1, Reshape 1)" in d.summary()
    # two-graph diff and the viewer's cross-pane links agree
    from keras2pb.graph.diff import twins
    from keras2pb.viewer import diff_graphs

    pair = diff_graphs(clean_graph(train), clean_graph(frozen))
    assert [st for n, st in zip(train.node, pair.left_status, strict=True)
            if n.name in ("Identity", "NoOp")] == ["removed", "removed"]
    lt, rt = twins(clean_graph(train), clean_graph(frozen))
    assert lt == pair.left_match and rt == pair.right_match
    names = [n.name for n in train.node]
    assert lt[names.index("Identity")] == lt[names.index("NoOp")] == -1
    assert lt[names.index("dense/MatMul")] >= 0


def test_a_top_level_addn_goes_for_its_inputs_reason():
    """The tape sums gradients with a top-level AddN; a model with two losses sums them so."""
    from keras2pb.viewer import diff_graphs

    train = small_graph_def()
    train.node.add(name="Mean", op="Mean", input=["act/Relu"])
    train.node.add(name="Mean_1", op="Mean", input=["act/Relu_1"])
    train.node.add(name="AddN", op="AddN", input=["Mean", "Mean_1"])
    train.node.add(name="gradient_tape/a/MatMul", op="MatMul", input=["AddN"])
    train.node.add(name="gradient_tape/b/MatMul", op="MatMul", input=["AddN"])
    train.node.add(name="AddN_1", op="AddN",
                   input=["gradient_tape/a/MatMul", "gradient_tape/b/MatMul"])
    d = diff_graphs(clean_graph(train), clean_graph(small_graph_def()))
    why = dict(zip((n.name for n in train.node), d.left_category, strict=True))
    assert why["AddN"] == "loss" and why["AddN_1"] == "gradient"
    assert optypes.category("AddN", "AddN") == "gradient"  # by name and op type alone


# ---- the real MNIST CNN -----------------------------------------------------------------------

def test_inference_graph_is_the_trace_freezing_converts(mnist_pair):
    infer, frozen = mnist_pair["infer_gd"], mnist_pair["frozen_gd"]
    ops = Counter(n.op for n in infer.node)
    assert ops["ReadVariableOp"] > 0
    assert {n.name for n in infer.node} == {n.name for n in frozen.node}
    # no gradients, optimizer or randomness left: only variable handles and reads
    assert {why for _, _, why in training_ops(infer)} == {"variable", "resource"}
    assert training_ops(frozen) == []
    assert all("_output_shapes" in n.attr for n in infer.node if n.op != "NoOp")
    with pytest.raises(Keras2pbError, match="Keras model"):
        keras2pb.inference_graph("not a model")


def test_compare_stages_on_the_mnist_cnn(mnist_pair):
    t, i, f = mnist_pair["train_gd"], mnist_pair["infer_gd"], mnist_pair["frozen_gd"]
    d = keras2pb.compare_stages(t, i, mnist_pair["frozen_pb"])
    assert isinstance(d, StageDiff)
    assert d.counts == (len(t.node), len(i.node), len(f.node))
    reads = sum(1 for n in i.node if n.op == "ReadVariableOp")
    assert dict(d.changed) == {"Placeholder→Const": reads, "ReadVariableOp→Identity": reads}
    cats = d.removed_by_category
    assert cats["optimizer"] > cats["gradient"] > 0 and cats["random"] > 0
    assert sum(cats.values()) == d.left_status.count("removed") == len(t.node) - sum(
        d.kept.values())
    removed = d.left_status.count("removed")
    assert f"removed at tracing {removed}: optimizer {cats['optimizer']}, " in d.summary()
    assert f"changed at freezing {2 * reads}: " in d.summary()
    # the step's Identity returns the loss, the trace's the output: two nodes, as the NoOps
    fates = zip(d.left_status, d.left_category, strict=True)
    why = dict(zip((n.name for n in t.node), fates, strict=True))
    assert why["Identity"] == ("removed", "loss") and why["NoOp"] == ("removed", "optimizer")
    assert dict(d.tracing.added) == {"Identity": 2, "NoOp": 1}  # probs, Identity, NoOp
    right = dict(zip((n.name for n in f.node), d.right_status, strict=True))
    assert right["Identity"] == right["NoOp"] == right["probs"] == "added"
    # the diff says its transitions in words, and the page shows the same sentences
    (t_title, t_text), (f_title, f_text) = d.sentences()
    assert t_text.startswith(f"{removed} training-step nodes were never recorded (optimizer")
    weights = mnist_pair["model"].count_params()
    assert f_text == f"0 nodes removed; {reads} variables ({weights:,} weights, " \
        f"{weights * 4 / 1e6:.2f} MB) became constants inside the .pb; {reads} other nodes " \
        f"changed op type ({reads} variable reads → Identity of a constant)"
    view = show.show_graphs(t, i, f)
    page = _page_data(view.page)["transitions"]
    assert page == [{"title": x, "text": y} for x, y in view.diff.sentences()]
    assert page == [{"title": t_title, "text": t_text}, {"title": f_title, "text": f_text}]
    # compare keeps its two-argument meaning, and takes the trace as a keyword
    assert isinstance(keras2pb.compare(t, f), GraphDiff)
    with pytest.raises(TypeError):
        keras2pb.compare(t, f, inference=i)  # one function, one return type


def test_show_graphs_three_stages_from_a_model_or_three_graphs(mnist_pair):
    model_view = show.show_graphs(mnist_pair["model"], mnist_pair["frozen_pb"])
    graphs_view = show.show_graphs(mnist_pair["train_gd"], mnist_pair["infer_gd"],
                                         mnist_pair["frozen_gd"])
    for view in (model_view, graphs_view):
        assert isinstance(view.diff, StageDiff)
        data = _page_data(view.page)
        assert data["summary"] == view.diff.summary()
        stages = data["stages"]
        assert [s["title"] for s in stages] == list(show.STAGE_TITLES)
        assert [s["count"] for s in stages] == list(view.diff.counts)
        assert all(sum(v for _, v in s["parts"]) == s["count"] for s in stages)
        # the frozen graph's bar marks the nodes freezing changed
        fates = [f for f, _ in data["fates"]]
        changed = dict(stages[2]["parts"]).get(fates.index("changed"), 0)
        assert changed == sum(view.diff.changed.values()) > 0
        assert [p["title"] for p in data["panes"]] == list(show.STAGE_TITLES)
    assert model_view.diff.counts[2] == graphs_view.diff.counts[2]


def test_show_graphs_keeps_the_two_graph_call(mnist_pair):
    old = show.show_graphs(mnist_pair["train_gd"], mnist_pair["frozen_gd"], ("a", "b"))
    assert not isinstance(old.diff, StageDiff)
    assert old.diff.summary().startswith(f"a {len(mnist_pair['train_gd'].node)} nodes → b ")
    assert [s["title"] for s in _page_data(old.page)["stages"]] == ["a", "b"]
    with pytest.raises(Keras2pbError, match="3 titles"):
        show.show_graphs(mnist_pair["model"], mnist_pair["frozen_pb"], titles=("a", "b"))
    with pytest.raises(Keras2pbError, match="two graphs or three stages"):
        show.show_graphs(mnist_pair["frozen_gd"])


def test_write_html_three_stages(mnist_pair, tmp_path):
    out = write_html([str(mnist_pair[k]) for k in ("train_pb", "infer_pb", "frozen_pb")],
                     str(tmp_path / "three.html"))
    data = _page_data(out.read_text(encoding="utf-8"))
    assert len(data["panes"]) == 3 and len(data["stages"]) == 3
    assert "changed at freezing" in data["summary"]
