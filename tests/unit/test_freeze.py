"""freeze(): one GraphDef, a truthful sidecar, no training ops, atomic writes, clear errors."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from tensorflow.core.framework.graph_pb2 import GraphDef

from keras2pb import Keras2pbError, freeze, load
from keras2pb.graph.checks import check_frozen, training_ops
from keras2pb.tutorial.models import mnist_cnn
from tests.helpers.custom_layers import custom_model


def _graph(path) -> GraphDef:
    gd = GraphDef()
    gd.ParseFromString(path.read_bytes())
    return gd


def test_sidecar_matches_the_graph(zoo):
    for name, case in zoo.items():
        gd = _graph(case["pb"])
        side = json.loads(case["pb"].with_name(case["pb"].name + ".json").read_text())
        nodes = {n.name: n for n in gd.node}
        assert side["node_count"] == len(gd.node), name
        assert side["size_bytes"] == case["pb"].stat().st_size, name
        for entry in side["inputs"]:
            node = nodes[entry["name"]]
            assert node.op == "Placeholder", name
            dims = [None if d.size < 0 else d.size for d in node.attr["shape"].shape.dim]
            assert dims == entry["shape"], name
            assert entry["tensor"] == f"{entry['name']}:0"
        for entry in side["outputs"]:
            assert nodes[entry["name"]].op == "Identity", name
            assert entry["function_output"].split(":")[0] in nodes
        model = case["model"]
        assert sorted(e["keras_input"] for e in side["inputs"]) == \
            sorted(t.name for t in model.inputs)
        assert [e["name"] for e in side["outputs"]] == sorted(case["expected"]), name


def test_input_and_output_names_are_readable(zoo):
    side = json.loads(zoo["two_io"]["pb"].with_name("two_io.pb.json").read_text())
    assert [e["tensor"] for e in side["inputs"]] == ["image:0", "meta:0"]
    assert [e["tensor"] for e in side["outputs"]] == ["digit:0", "score:0"]
    assert [e["shape"] for e in side["outputs"]] == [[None, 10], [None, 1]]


def test_frozen_graphs_hold_no_training_ops(zoo):
    for name, case in zoo.items():
        gd = _graph(case["pb"])
        assert training_ops(gd) == [], name
        ops = {n.op for n in gd.node}
        assert not ops & {"VarHandleOp", "ReadVariableOp", "FusedBatchNormV3"}, name
        assert not any(op.startswith("Random") for op in ops), name


def test_check_frozen_fails_loudly_on_a_graph_with_variables():
    import tensorflow as tf

    v = tf.Variable(1.0)

    @tf.function
    def f():
        return v * 2.0

    gd = f.get_concrete_function().graph.as_graph_def()
    with pytest.raises(Keras2pbError, match="training ops.*ReadVariableOp"):
        check_frozen(gd, "x.pb")


def test_batchnorm_becomes_inference_arithmetic(zoo):
    ops = {n.op for n in _graph(zoo["batchnorm"]["pb"]).node}
    assert {"Rsqrt", "Mul", "Sub"} <= ops or {"Mul", "AddV2"} <= ops


def test_fixed_batch_size(tmp_path):
    side = freeze(mnist_cnn(), tmp_path / "b1.pb", batch_size=1)
    assert side["inputs"][0]["shape"] == [1, 28, 28, 1]
    assert side["outputs"][0]["shape"] == [1, 10]


def test_failure_leaves_previous_file_intact_and_no_temp(tmp_path):
    out = tmp_path / "model.pb"
    out.write_bytes(b"previous")
    unbuilt = keras.Sequential([keras.layers.Dense(2)])  # no inputs: cannot be frozen
    with pytest.raises(Keras2pbError, match="no defined inputs"):
        freeze(unbuilt, out)
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pb"]


def test_missing_output_folder_is_a_clear_error(tmp_path):
    with pytest.raises(Keras2pbError, match="does not exist"):
        freeze(mnist_cnn(), tmp_path / "nope" / "m.pb")
    assert list(tmp_path.iterdir()) == []


def test_custom_layer_needs_custom_objects(tmp_path):
    path = tmp_path / "custom.keras"
    custom_model().save(path)
    with pytest.raises(Keras2pbError, match="custom_objects") as info:
        freeze(path, tmp_path / "c.pb")
    assert str(path) in str(info.value)
    assert not (tmp_path / "c.pb").exists()


def test_freeze_from_file_equals_freeze_from_object(zoo):
    a = _graph(zoo["sequential"]["pb"])
    b = _graph(zoo["h5"]["pb"])
    c = _graph(zoo["keras"]["pb"])
    ops = [n.op for n in a.node]
    assert [n.op for n in b.node] == ops == [n.op for n in c.node]
    # The graphs frozen from the .h5 and the .keras file compute what the model computes.
    x = zoo["sequential"]["feeds"]["image"]
    want = np.asarray(zoo["sequential"]["model"](x, training=False))
    for case in ("h5", "keras"):
        with load(zoo[case]["pb"]) as graph:
            np.testing.assert_allclose(graph.run(x)["probs"], want, atol=1e-6)
