"""The three stages of a Keras model as GraphDefs: training step, inference trace, frozen graph.

This is the one place that decides what a Keras model means to a graph comparison; the viewer
and ``compare_stages`` receive the GraphDefs made here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import Keras2pbError
from ..graph.reading import as_graph_def

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef

STAGE_TITLES = ("training step", "inference trace", "frozen graph")


def is_keras_model(obj: Any) -> bool:
    """Return True when ``obj`` is a Keras model (without importing Keras if it is not)."""
    import sys

    keras = sys.modules.get("keras")
    return keras is not None and isinstance(obj, keras.Model)


def graph_def_of(obj: Any) -> GraphDef:
    """Return the GraphDef that stands for ``obj`` in a graph view or comparison.

    In: a GraphDef, a ``tf.Graph``, a concrete function, a path to a ``.pb``, or a Keras model
    (then its training step: forward pass, loss, gradients, optimizer update). Graphs and
    functions come with their inferred output shapes. Out: a GraphDef.
    Raises Keras2pbError for a bad file, an untraceable model or an object that holds no graph.
    """
    if is_keras_model(obj):
        from .training_step import training_graph

        return training_graph(obj)
    return as_graph_def(obj, add_shapes=True)


def stage_graphs(*graphs: Any) -> list[GraphDef]:
    """Return the GraphDefs a comparison shows: two graphs, or the three stages.

    A Keras model followed by one graph (its ``.pb``) gives three: the model's training step,
    its inference trace (``inference_graph``) and that graph. Three graphs are taken as
    training step, inference trace, frozen graph; two as any two graphs (a Keras model gives
    its training step). Raises Keras2pbError for another count, a bad file or object.
    """
    if len(graphs) == 2 and is_keras_model(graphs[0]):
        from .freeze import inference_graph

        model = graphs[0]
        return [graph_def_of(model), inference_graph(model), graph_def_of(graphs[1])]
    if len(graphs) not in (2, 3):
        raise Keras2pbError(f"show_graphs takes two graphs or three stages, got {len(graphs)}")
    return [graph_def_of(g) for g in graphs]
