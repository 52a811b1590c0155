"""Per-node drift: a fault in one weight is reported at its node, and nothing else diverges."""

from __future__ import annotations

import json

import numpy as np
import pytest

from keras2pb import Keras2pbError
from keras2pb.runtime.drift import per_node_drift, topological_nodes


def _deep_cnn():
    """Five convolutions with BatchNorm, a residual add and a side branch, on 12x12x3."""
    import keras
    from keras import layers

    x_in = keras.Input((12, 12, 3), name="image")
    x = layers.Conv2D(8, 3, padding="same", name="c1")(x_in)
    x = layers.ReLU(name="r1")(layers.BatchNormalization(name="bn1")(x))
    y = layers.Conv2D(8, 3, padding="same", activation="relu", name="c2")(x)
    y = layers.Conv2D(8, 3, padding="same", name="c3")(y)
    x = layers.ReLU(name="r3")(layers.Add(name="res")([x, y]))
    side = layers.Conv2D(8, 1, name="side")(x)
    z = layers.Conv2D(8, 3, padding="same", activation="relu", name="c4")(x)
    z = layers.Add(name="join")([z, side])
    z = layers.GlobalAveragePooling2D(name="gap")(z)
    out = layers.Dense(5, activation="softmax", name="probs")(z)
    return keras.Model(x_in, out, name="deep_cnn")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """``{name: (model, pb)}``: each model frozen once; tests nudge weights and restore them."""
    import keras

    from keras2pb import freeze
    from keras2pb.tutorial.models import bn_cnn, mnist_cnn

    out = tmp_path_factory.mktemp("drift")
    keras.utils.set_random_seed(3)
    built = {}
    for name, make in (("mnist_cnn", mnist_cnn), ("bn_cnn", bn_cnn), ("deep_cnn", _deep_cnn)):
        model = make()
        pb = out / f"{name}.pb"
        freeze(model, pb)
        built[name] = (model, pb)
    return built


def _inputs(model, n=3):
    rng = np.random.default_rng(0)
    return rng.random((n, *model.inputs[0].shape[1:]), dtype=np.float32)


def _downstream(pb, start):
    """Names of the nodes that depend on ``start`` (itself included)."""
    from keras2pb.graph.reading import read_graph_def

    gd = read_graph_def(pb)
    users = {}
    for node in gd.node:
        for src in node.input:
            if not src.startswith("^"):
                users.setdefault(src.split(":")[0], []).append(node.name)
    seen, todo = {start}, [start]
    while todo:
        for user in users.get(todo.pop(), []):
            if user not in seen:
                seen.add(user)
                todo.append(user)
    return seen


def test_a_clean_freeze_does_not_drift(models):
    model, pb = models["deep_cnn"]
    report = per_node_drift(model, pb, x=_inputs(model))
    (pair,) = report.pairs
    assert (pair.reference, pair.runtime, pair.status) == ("keras", "tf", "ok")
    assert report.first_divergence is None and pair.first_divergence is None
    assert len(pair.nodes) >= 15 and not pair.unmatched
    assert all(n.max_abs_diff <= n.tolerance for n in pair.nodes)
    ops = {n.op for n in pair.nodes}
    assert {"Conv2D", "Relu", "AddV2", "MatMul", "Softmax"} <= ops
    assert "Const" not in ops and "Placeholder" not in ops
    assert "no node drifts past the tolerance" in report.format_table()


@pytest.mark.parametrize("name,layer,index,earlier", [
    ("deep_cnn", "c3", (1, 1, 2, 5), 8),     # deep in the residual branch
    ("deep_cnn", "c4", (0, 2, 7, 0), 10),    # beside the 1x1 side branch
    ("deep_cnn", "side", (0, 0, 3, 6), 10),  # the side branch itself
    ("mnist_cnn", "conv2", (2, 0, 11, 30), 4),
    ("bn_cnn", "conv1", (1, 1, 0, 9), 0),    # the very first node
])
def test_a_nudged_weight_is_found_at_its_convolution(models, name, layer, index, earlier):
    model, pb = models[name]
    kernel = model.get_layer(layer).kernel
    saved = kernel.numpy()
    nudged = saved.copy()
    nudged[index] += 0.5
    kernel.assign(nudged)  # the Keras model moved on; the frozen graph did not
    try:
        report = per_node_drift(model, pb, x=_inputs(model))
    finally:
        kernel.assign(saved)
    first = report.first_divergence
    assert first is not None
    assert first["node"].endswith(f"{layer}_1/convolution"), first
    assert first["max_abs_diff"] > first["tolerance"] > 0
    (pair,) = report.pairs
    after = _downstream(pb, first["node"])
    diverged = [n.node for n in pair.nodes if n.diverged]
    assert diverged and set(diverged) <= after  # nothing upstream or beside it diverges
    before = pair.nodes[:[n.node for n in pair.nodes].index(first["node"])]
    assert len(before) >= earlier  # compared, and within the tolerance (it is the first)
    assert all(n.max_abs_diff <= n.tolerance for n in before)


def test_a_fault_in_the_pb_is_found_at_its_convolution(models, tmp_path):
    """The other way round: one weight of the frozen graph's constant is changed."""
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.python.framework import tensor_util

    model, pb = models["deep_cnn"]
    gd = GraphDef.FromString(pb.read_bytes())
    (const,) = [n for n in gd.node if n.name.endswith("c3_1/convolution/ReadVariableOp")]
    resource = next(n for n in gd.node if n.name == const.input[0])
    values = tensor_util.MakeNdarray(resource.attr["value"].tensor).copy()
    values[2, 0, 4, 1] -= 0.5
    resource.attr["value"].tensor.CopyFrom(tensor_util.make_tensor_proto(values))
    bad = tmp_path / "bad.pb"
    bad.write_bytes(gd.SerializeToString())
    (tmp_path / "bad.pb.json").write_text(pb.with_name(pb.name + ".json").read_text())
    report = per_node_drift(model, bad, x=_inputs(model))
    assert report.first_divergence["node"].endswith("c3_1/convolution")


def test_report_json_and_table(models):
    model, pb = models["mnist_cnn"]
    kernel = model.get_layer("conv1").kernel
    saved = kernel.numpy()
    kernel.assign(saved * 1.01)
    try:
        report = per_node_drift(model, pb, x=_inputs(model), atol=1e-6, rtol=1e-5)
    finally:
        kernel.assign(saved)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["n"] == 3 and data["atol"] == 1e-6 and data["rtol"] == 1e-5
    first = data["first_divergence"]
    assert set(first) >= {"node", "max_abs_diff", "tolerance"}
    assert first["node"] == "mnist_cnn_1/conv1_1/convolution"
    nodes = data["pairs"][0]["nodes"]
    assert nodes[0]["node"] == first["node"] and nodes[0]["diverged"]
    assert set(nodes[0]) == {"node", "tensor", "op", "max_abs_diff", "max_rel_diff",
                             "tolerance", "diverged"}
    text = report.format_table()
    assert text.splitlines()[-1].startswith("first divergence: mnist_cnn_1/conv1_1/convolution")
    assert "<- first divergence" in text


def test_topological_order_puts_inputs_first():
    from tensorflow.core.framework.graph_pb2 import GraphDef

    gd = GraphDef()
    for name, inputs in (("c", ["b", "^a"]), ("b", ["a:0"]), ("a", [])):
        gd.node.add(name=name, op="Identity", input=inputs)
    assert [n.name for n in topological_nodes(gd)] == ["a", "b", "c"]
    gd.node.add(name="a2", op="Identity", input=["c"])
    gd.node[2].input.append("a2")  # a cycle a -> b -> c -> a2 -> a
    with pytest.raises(Keras2pbError, match="cycle"):
        topological_nodes(gd)


def test_bad_arguments_are_user_errors(models):
    model, pb = models["mnist_cnn"]
    with pytest.raises(Keras2pbError, match="unknown runtime 'tensorrt'"):
        per_node_drift(model, pb, ["tensorrt"])
    with pytest.raises(Keras2pbError, match="tolerance"):
        per_node_drift(model, pb, atol=-1.0)


def test_cli_per_node(models, tmp_path, capfd):
    from keras2pb.cli import main

    model, pb = models["mnist_cnn"]
    kernel = model.get_layer("conv2").kernel
    saved = kernel.numpy()
    kernel.assign(saved + 0.01)
    try:
        model.save(tmp_path / "moved.keras")
    finally:
        kernel.assign(saved)
    np.save(tmp_path / "x.npy", _inputs(model))
    args = ["verify", str(tmp_path / "moved.keras"), str(pb), "--per-node",
            "--input", str(tmp_path / "x.npy")]
    assert main([*args, "--json"]) == 1  # a divergence is a failed check
    data = json.loads(capfd.readouterr().out)
    assert data["first_divergence"]["node"] == "mnist_cnn_1/conv2_1/convolution"
    assert main(args) == 1
    last = capfd.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("first divergence: mnist_cnn_1/conv2_1/convolution (keras vs tf)")
    model.save(tmp_path / "same.keras")
    assert main(["verify", str(tmp_path / "same.keras"), str(pb), "--per-node"]) == 0
    assert "no node drifts past the tolerance" in capfd.readouterr().out
