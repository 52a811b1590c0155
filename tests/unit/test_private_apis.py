"""Canaries for the private TensorFlow / Keras / TensorBoard APIs keras2pb relies on.

Each test names the module that uses the API. When a new TensorFlow breaks one, this file
says which, before the bigger tests fail somewhere downstream. They run in the fast tier on
the pinned TensorFlow and on the oldest supported one (scripts/test_oldest_tf.sh).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


def _two_input_model() -> keras.Model:
    a = keras.Input((3,), name="a")
    b = keras.Input((2,), name="b")
    out = keras.layers.Dense(1, name="out")(keras.layers.Concatenate()([a, b]))
    return keras.Model({"a": a, "b": b}, {"out": out}, name="dict_io")


def test_keras_input_and_output_structures():
    """kerasio.model_structures: Functional._inputs_struct, _outputs_struct."""
    model = _two_input_model()
    assert sorted(model._inputs_struct) == ["a", "b"]
    assert sorted(model._outputs_struct) == ["out"]
    seq = keras.Sequential([keras.Input((4,), name="x"), keras.layers.Dense(2, name="y")])
    graph = seq if hasattr(seq, "_inputs_struct") else seq._functional
    assert [t.name for t in keras.tree.flatten(graph._inputs_struct)] == ["x"]


def test_keras_history_names_the_output_layer():
    """kerasio.output_names: KerasTensor._keras_history.operation.name."""
    model = _two_input_model()
    (out,) = keras.tree.flatten(model._outputs_struct)
    assert out._keras_history.operation.name == "out"


def test_convert_variables_to_constants_v2_folds_variables():
    """freezing.freeze_model and notebook 02: tensorflow.python...convert_to_constants."""
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    v = tf.Variable([2.0, 3.0])
    fn = tf.function(lambda x: x * v, input_signature=[tf.TensorSpec([2], tf.float32)])
    frozen = convert_variables_to_constants_v2(fn.get_concrete_function())
    ops = {n.op for n in frozen.graph.as_graph_def().node}
    assert "VarHandleOp" not in ops and "ReadVariableOp" not in ops and "Const" in ops
    np.testing.assert_array_equal(frozen(tf.constant([1.0, 1.0]))[0], [2.0, 3.0])


def test_op_def_registry_knows_real_ops_only():
    """graphcheck.unknown_ops: tensorflow.python.framework.op_def_registry.get."""
    from tensorflow.python.framework import op_def_registry

    assert op_def_registry.get("MatMul").name == "MatMul"
    assert op_def_registry.get("NoSuchOpAnywhere") is None


def test_grappler_optimize_graph_folds_constants():
    """opencv_graph.make_opencv_ready and notebook 05: tensorflow.python.grappler.tf_optimizer."""
    from tensorflow.core.protobuf import config_pb2, rewriter_config_pb2
    from tensorflow.python.grappler import tf_optimizer

    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        tf.identity(x * (tf.constant(2.0) + tf.constant(3.0)), name="y")
    meta = tf.compat.v1.train.export_meta_graph(graph_def=g.as_graph_def(), graph=g)
    meta.collection_def["train_op"].node_list.value.append("y")
    config = config_pb2.ConfigProto()
    rewrite = config.graph_options.rewrite_options
    rewrite.optimizers.append("constfold")
    rewrite.meta_optimizer_iterations = rewriter_config_pb2.RewriterConfig.ONE
    rewrite.min_graph_nodes = -1  # small graphs too
    out = tf_optimizer.OptimizeGraph(config, meta)
    assert "AddV2" not in {n.op for n in out.node}  # 2 + 3 folded into one constant


def test_tensorboard_private_server_and_event_writer():
    """viewer.tbserver: TensorBoard._make_server, EventFileWriter, event_pb2."""
    from tensorboard import program
    from tensorboard.compat.proto import event_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    assert callable(program.TensorBoard._make_server)
    assert "graph_def" in event_pb2.Event.DESCRIPTOR.fields_by_name
    assert callable(EventFileWriter.add_event)


def test_tf1_compat_session_route():
    """loading.FrozenGraph and notebook 03: compat.v1 import_graph_def, Session, wrap_function."""
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None], name="x")
        tf.identity(x + 1.0, name="y")
    gd = g.as_graph_def()
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(gd, name="import")
    with tf.compat.v1.Session(graph=graph) as sess:
        assert sess.run("import/y:0", {"import/x:0": [1.0]}).tolist() == [2.0]
    wrapped = tf.compat.v1.wrap_function(lambda: tf.compat.v1.import_graph_def(gd, name=""), [])
    pruned = wrapped.prune(wrapped.graph.get_tensor_by_name("x:0"),
                           wrapped.graph.get_tensor_by_name("y:0"))
    assert pruned(tf.constant([2.0])).numpy().tolist() == [3.0]
