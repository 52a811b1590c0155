"""inspect(), training_graph() and compare(): what freezing removes, keeps and adds."""

from __future__ import annotations

import json

from keras2pb import compare, inspect, training_graph
from keras2pb.graph.checks import training_ops
from keras2pb.tutorial.models import bn_cnn, mnist_cnn, two_io_model


def test_inspect_reports_nodes_ops_inputs_outputs_size(mnist_pb):
    info = inspect(mnist_pb)
    assert info.node_count == sum(info.op_types.values())
    side = json.loads(mnist_pb.with_name(mnist_pb.name + ".json").read_text())
    assert info.node_count == side["node_count"]
    assert info.op_types["Conv2D"] == 2 and info.op_types["MatMul"] == 2
    assert [i.tensor for i in info.inputs] == ["image:0"]
    assert [o.tensor for o in info.outputs] == ["probs:0"]
    assert info.size_bytes == mnist_pb.stat().st_size
    assert info.training_ops == [] and info.unsafe_ops == [] and info.unknown_ops == []
    assert "nodes:" in str(info) and "probs:0" in str(info)
    assert json.loads(json.dumps(info.to_dict()))["node_count"] == info.node_count


def test_training_graph_holds_gradients_and_optimizer_updates():
    gd = training_graph(mnist_cnn())
    ops = {n.op for n in gd.node}
    assert {"Conv2DBackpropFilter", "ReluGrad", "BiasAddGrad", "MatMul"} <= ops
    assert {"AssignSubVariableOp", "AssignAddVariableOp"} <= ops  # Adam's updates
    reasons = {why for _, _, why in training_ops(gd)}
    assert {"variable", "gradient", "random"} <= reasons  # Dropout in training mode


def test_training_graph_of_other_models():
    for model in (bn_cnn(), two_io_model()):
        gd = training_graph(model)
        assert any(n.op.endswith("Grad") for n in gd.node), model.name


def test_training_graph_does_not_touch_the_models_optimizer():
    model = mnist_cnn()
    before = len(model.optimizer.variables)
    training_graph(model)
    assert len(model.optimizer.variables) == before


def test_compare_reports_removed_kept_added(mnist_pb):
    train = training_graph(mnist_cnn())
    diff = compare(train, mnist_pb)
    gone = set(diff.left) - set(diff.right)
    assert {"ReadVariableOp", "Conv2DBackpropFilter", "AssignSubVariableOp"} <= gone
    assert {"Conv2D", "MatMul", "Softmax"} <= set(diff.kept)
    assert diff.removed["ReadVariableOp"] == diff.left["ReadVariableOp"]
    for op, n in diff.kept.items():
        assert n == min(diff.left[op], diff.right[op])
    assert sum(diff.removed.values()) >= diff.left["ReadVariableOp"]
    assert diff.summary().startswith("removed ")
    assert "kept" in diff.summary() and "added" in diff.summary()
    same = compare(mnist_pb, mnist_pb)
    assert same.removed == {} and same.added == {}
