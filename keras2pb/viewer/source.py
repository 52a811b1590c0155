"""Turn what a reader passes (model, function, tf.Graph, GraphDef, .pb path) into a GraphDef."""

from __future__ import annotations

import os
from typing import Any

from tensorflow.core.framework.graph_pb2 import GraphDef

from ..errors import Keras2pbError
from ..graphio import as_graph_def


def is_keras_model(obj: Any) -> bool:
    """Return True when ``obj`` is a Keras model (without importing Keras if it is not)."""
    try:
        import keras
    except ImportError:  # pragma: no cover - Keras ships with TensorFlow here
        return False
    return isinstance(obj, keras.Model)


def graph_def_of(obj: Any) -> GraphDef:
    """Return the GraphDef to show for ``obj``.

    In: a GraphDef, a ``tf.Graph``, a concrete function, a path to a ``.pb``, or a Keras model
    (then its training graph: forward pass, loss, gradients, optimizer update). Graphs and
    functions are taken with their inferred output shapes. Out: a GraphDef.
    Raises Keras2pbError for a bad file or an object that holds no graph.
    """
    if isinstance(obj, GraphDef):
        return obj
    if isinstance(obj, (str, os.PathLike)):
        return as_graph_def(obj)
    if is_keras_model(obj):
        return training_graph_of(obj)
    graph = obj if hasattr(obj, "get_operations") else getattr(obj, "graph", None)
    if graph is not None and hasattr(graph, "as_graph_def"):
        try:
            return graph.as_graph_def(add_shapes=True)
        except TypeError:  # not a tf.Graph after all
            pass
    return as_graph_def(obj)


def training_graph_of(model: Any) -> GraphDef:
    """Return the training graph of a Keras model (via ``keras2pb.traingraph`` when present).

    Raises Keras2pbError when the model cannot be traced (e.g. it has no known input shape).
    """
    try:
        from ..traingraph import training_graph
    except ImportError:
        training_graph = _training_graph
    return training_graph(model)


# --- Minimal stand-in until keras2pb.traingraph lands (used only when it is missing). ---
def _training_graph(model: Any) -> GraphDef:
    """Trace one training step of ``model`` (forward, loss, gradients, optimizer update)."""
    import keras
    import tensorflow as tf

    try:
        x_specs = [tf.TensorSpec((None, *t.shape[1:]), t.dtype) for t in model.inputs]
        y_specs = [tf.TensorSpec((None, *t.shape[1:]), t.dtype) for t in model.outputs]
    except (AttributeError, ValueError) as exc:
        raise Keras2pbError(f"model {model.name!r} has no known input shape; build it first "
                            f"(call it on data or give it an Input layer): {exc}") from exc
    optimizer = getattr(model, "optimizer", None) or keras.optimizers.Adam()
    loss_fn = getattr(model, "loss", None) or "mean_squared_error"
    if "sparse" in str(getattr(loss_fn, "name", loss_fn)):
        y_specs = [tf.TensorSpec((None,), tf.int32) for _ in y_specs]
    loss_fn = keras.losses.get(loss_fn) if isinstance(loss_fn, str) else loss_fn
    optimizer.build(model.trainable_variables)

    @tf.function
    def train_step(xs, ys):
        with tf.GradientTape() as tape:
            preds = model(xs[0] if len(xs) == 1 else xs, training=True)
            preds = [preds] if len(ys) == 1 else list(preds)
            loss = tf.add_n([tf.reduce_mean(loss_fn(y, p)) for y, p in zip(ys, preds, strict=True)])
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
        return loss

    concrete = train_step.get_concrete_function(x_specs, y_specs)
    return concrete.graph.as_graph_def(add_shapes=True)
