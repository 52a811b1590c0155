"""The graph of one real training step (forward, loss, gradients, optimizer update)."""

from __future__ import annotations

import keras
import tensorflow as tf
from tensorflow.core.framework.graph_pb2 import GraphDef

from ..errors import Keras2pbError, one_line
from .keras_files import model_structures, output_names

_SPARSE_LOSSES = ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy")


def _loss_for(loss: object, name: str) -> tuple[object, bool]:
    """Return ``(loss function, sparse labels?)`` for one output's configured loss."""
    if isinstance(loss, dict):
        loss = loss.get(name, "mse")
    if loss is None:
        loss = "mse"
    fn = keras.losses.get(loss)
    label = loss if isinstance(loss, str) else type(loss).__name__
    sparse = label in _SPARSE_LOSSES or getattr(fn, "__name__", "") in _SPARSE_LOSSES
    return fn, sparse


def training_graph(model: keras.Model, optimizer: keras.optimizers.Optimizer | None = None
                   ) -> GraphDef:
    """Return the GraphDef of one training step of ``model``, traced (never run), with shapes.

    The step is what ``fit`` does per batch: ``model(x, training=True)``, the loss (the
    model's compiled loss per output, else MSE), ``GradientTape`` gradients, and
    ``optimizer.apply``. A fresh copy of the model's optimizer (Adam if it has none) is used,
    so the model's own optimizer and weights are untouched. Keras 3's TensorBoard callback
    writes no such graph. Raises Keras2pbError for models without defined inputs.
    """
    in_struct, out_struct = model_structures(model)
    if optimizer is None:
        base = getattr(model, "optimizer", None)
        optimizer = (base.__class__.from_config(base.get_config()) if base is not None
                     else keras.optimizers.Adam())
    optimizer.build(model.trainable_variables)
    loss_cfg = getattr(model, "loss", None)
    out_names = output_names(out_struct)
    losses, x_specs, y_specs = [], [], []
    for t in keras.tree.flatten(in_struct):
        x_specs.append(tf.TensorSpec((None, *t.shape[1:]), t.dtype, name=t.name))
    for name, t in zip(out_names, keras.tree.flatten(out_struct), strict=True):
        fn, sparse = _loss_for(loss_cfg, name)
        losses.append(fn)
        y_specs.append(tf.TensorSpec((None, *t.shape[1:-1]), tf.int64, name=f"{name}_label")
                       if sparse else tf.TensorSpec((None, *t.shape[1:]), t.dtype,
                                                    name=f"{name}_label"))

    @tf.function(input_signature=[x_specs, y_specs], autograph=False)
    def train_step(xs, ys):
        x = keras.tree.pack_sequence_as(in_struct, list(xs))
        with tf.GradientTape() as tape:
            preds = keras.tree.flatten(model(x, training=True))
            loss = tf.add_n([tf.reduce_mean(fn(y, p))
                             for fn, y, p in zip(losses, ys, preds, strict=True)])
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
        return loss

    try:
        return train_step.get_concrete_function().graph.as_graph_def(add_shapes=True)
    except Exception as exc:
        raise Keras2pbError(f"could not trace a training step of model {model.name!r}: "
                            f"{type(exc).__name__}: {one_line(exc)}") from exc
