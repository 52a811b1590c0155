"""Turn what a reader passes (model, function, tf.Graph, GraphDef, .pb path) into a GraphDef."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..graphio import as_graph_def, is_graph_def

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef


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
    if is_graph_def(obj):
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
    """Return the training graph of a Keras model (``keras2pb.training_step.training_graph``).

    Raises Keras2pbError when the model cannot be traced (e.g. it has no known input shape).
    """
    from ..training_step import training_graph

    return training_graph(model)
