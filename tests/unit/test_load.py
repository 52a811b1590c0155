"""load(): the fast call, the classic import/ route, the TF2 route, names, shapes, dtypes."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from keras2pb import Keras2pbError, load, load_mnist
from keras2pb.graph.signature import closest_names


@pytest.fixture(scope="module")
def mnist(mnist_pb):
    with load(mnist_pb) as graph:
        yield graph


def test_inputs_and_outputs_come_from_the_sidecar(mnist):
    assert [(i.name, i.tensor, i.shape, i.dtype) for i in mnist.inputs] == \
        [("image", "image:0", (None, 28, 28, 1), "float32")]
    assert [(o.name, o.tensor, o.shape) for o in mnist.outputs] == \
        [("probs", "probs:0", (None, 10))]
    assert mnist.sidecar["format"] == "keras2pb-sidecar/1"


def test_classic_import_prefix_route_equals_fast_call(mnist):
    (_, _), (x, _) = load_mnist(n_test=20)
    fast = mnist(x)
    classic = mnist.session.run("import/probs:0", {"import/image:0": x})
    assert fast.shape == classic.shape == (20, 10)
    np.testing.assert_array_equal(fast, classic)
    np.testing.assert_allclose(fast.sum(axis=1), 1.0, rtol=1e-5)


def test_tf2_function_route_equals_fast_call(mnist, zoo):
    x = zoo["sequential"]["feeds"]["image"]
    (y,) = mnist.function(x)
    np.testing.assert_allclose(y.numpy(), mnist(x), atol=1e-6)


def test_dict_feeds_accept_node_tensor_and_prefixed_names(mnist, zoo):
    x = zoo["sequential"]["feeds"]["image"][:3]
    ref = mnist(x)
    for key in ("image", "image:0", "import/image:0"):
        np.testing.assert_array_equal(mnist({key: x}), ref)


def test_two_inputs_two_outputs_by_name(zoo):
    case = zoo["two_io"]
    with load(case["pb"]) as graph:
        out = graph(case["feeds"])
        assert set(out) == {"digit", "score"}
        only = graph(case["feeds"], outputs=["score"])
        np.testing.assert_array_equal(only, out["score"])
        as_list = graph([case["feeds"]["image"], case["feeds"]["meta"]])
        np.testing.assert_array_equal(as_list["digit"], out["digit"])
        with pytest.raises(Keras2pbError, match="missing input.*meta"):
            graph({"image": case["feeds"]["image"]})


def test_wrong_name_lists_real_names_closest_first(mnist, zoo):
    x = zoo["sequential"]["feeds"]["image"][:1]
    with pytest.raises(Keras2pbError) as info:
        mnist({"imgae": x})
    msg = str(info.value)
    assert "no input or output named 'imgae'" in msg
    assert msg.index("image") < msg.index("probs")
    assert "\n" not in msg
    with pytest.raises(Keras2pbError, match="this graph has: probs, image"):
        mnist(x, outputs=["prob"])
    assert closest_names("prob", ["image", "probs"]) == ["probs", "image"]


def test_wrong_shape_and_dtype_say_what_is_expected(mnist):
    shape = r"expects shape \(None, 28, 28, 1\), got \(2, 28, 28\)"
    with pytest.raises(Keras2pbError, match=shape):
        mnist(np.zeros((2, 28, 28), np.float32))
    with pytest.raises(Keras2pbError, match="expects dtype float32.*got str"):
        mnist(np.full((1, 28, 28, 1), "a"))
    # numeric inputs are converted: uint8 pixels and float64 arrays work
    assert mnist(np.zeros((1, 28, 28, 1), np.float64)).shape == (1, 10)
    assert mnist(np.zeros((1, 28, 28, 1), np.uint8)).shape == (1, 10)


def test_any_tensor_of_the_graph_can_be_fetched_by_name(mnist, zoo):
    x = zoo["sequential"]["feeds"]["image"][:2]
    (flat,) = [n.name for n in mnist.graph_def.node
               if re.search(r"/flatten(_\d+)?/Reshape$", n.name)]
    hidden = mnist(x, outputs=[f"import/{flat}:0"])
    assert hidden.shape == (2, 1600)
    both = mnist(x, outputs=["probs", flat])
    assert set(both) == {"probs", flat}


def test_without_sidecar_inputs_and_outputs_are_discovered(mnist_pb, tmp_path, zoo):
    bare = tmp_path / "bare.pb"
    shutil.copy(mnist_pb, bare)
    with load(bare) as graph:
        assert graph.input_names == ["image"]
        assert graph.output_names == ["Identity"]
        assert graph.sidecar is None
        x = zoo["sequential"]["feeds"]["image"]
        np.testing.assert_allclose(graph(x), zoo["sequential"]["expected"]["probs"], atol=1e-5)


def test_placeholder_without_shape_attr_takes_any_shape(tmp_path):
    import tensorflow as tf
    from tensorflow.core.framework.graph_pb2 import GraphDef

    @tf.function(input_signature=[tf.TensorSpec(None, tf.float32, name="x")])
    def double(x):
        return tf.identity(x * 2.0, name="y")

    gd = GraphDef.FromString(
        double.get_concrete_function().graph.as_graph_def().SerializeToString())
    for node in gd.node:
        if node.op == "Placeholder":
            del node.attr["shape"]
    (tmp_path / "g.pb").write_bytes(gd.SerializeToString())
    with load(tmp_path / "g.pb") as graph:
        assert graph.inputs[0].shape is None
        np.testing.assert_allclose(graph(np.ones((2, 3), np.float32), outputs=["y"]), 2.0)
    assert all("shape" not in n.attr for n in gd.node if n.op == "Placeholder")


def test_narrowing_integer_inputs_must_fit(tmp_path):
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec((None,), tf.int32, name="ids")])
    def plus_one(ids):
        return tf.identity(ids + 1, name="out")

    (tmp_path / "ids.pb").write_bytes(
        plus_one.get_concrete_function().graph.as_graph_def().SerializeToString())
    with load(tmp_path / "ids.pb") as graph:
        np.testing.assert_array_equal(graph(np.array([1, 2], np.int64), outputs=["out"]),
                                      [2, 3])
        with pytest.raises(Keras2pbError, match="values do not fit in int32"):
            graph(np.array([2**40], np.int64), outputs=["out"])


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(Keras2pbError, match="nope.pb: no such graph file"):
        load(tmp_path / "nope.pb")
