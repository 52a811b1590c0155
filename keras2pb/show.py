"""Show TensorFlow graphs in a notebook: one graph, or training and frozen graphs side by side."""

# from keras2pb import show_graph, show_graphs
# show_graph("models/mnist_cnn.pb")                  # one graph
# show_graphs(model, "models/mnist_cnn.pb")          # training step -> inference trace -> frozen
# show_graphs(train_gd, infer_gd, frozen_gd)         # the same three stages, as graphs
# show_graphs(train_gd, frozen_gd)                   # any two graphs, diffed
# show_graphs("m.pb", "m.opencv.pb")                 # what the OpenCV rewrite did, per node
# show_graphs(model, "models/mnist_cnn.pb", backend="tensorboard")   # the real TensorBoard
#
# The default backend is a self-contained page in a sandboxed <iframe srcdoc>: it works offline,
# in JupyterLab and in exported HTML. keras2pb.freezing.stages makes the GraphDefs; the viewer
# (keras2pb.viewer) draws them.

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .errors import Keras2pbError
from .freezing.stages import STAGE_TITLES, graph_def_of, stage_graphs
from .viewer import DEFAULT_HEIGHT, iframe_html, side_by_side_page, single_page
from .viewer.notebook import GraphView, check_backend, stop_tensorboards, tensorboard_view
from .viewer.payload import check_drift

__all__ = ["GraphView", "show_graph", "show_graphs", "stop_tensorboards"]


def show_graph(graph: Any, title: str = "graph", *, height: int = DEFAULT_HEIGHT,
               backend: str = "html", drift: Any = None) -> GraphView:
    """Show one graph in an iframe 100 % wide.

    In: a GraphDef, a tf.Graph, a concrete function, a path to a ``.pb``, or a Keras model
    (then its training graph); a title; the iframe height in pixels; the backend ("html",
    self-contained, or "tensorboard", a live TensorBoard on 127.0.0.1); ``drift``: a
    per-node drift report of this frozen graph (``keras2pb.per_node_drift``'s DriftReport
    or its ``to_dict()``) to colour its nodes by drift and mark the first divergence (html
    backend). Out: a GraphView (displays itself). Raises Keras2pbError for a bad file,
    object or drift report, or an unknown backend.
    """
    check_backend(backend)
    report = _drift_dict(drift)
    gd = graph_def_of(graph)
    if backend == "tensorboard":
        return tensorboard_view([gd], [title], height)
    page = single_page(gd, title, report)
    return GraphView(iframe_html(page, height, title), page)


def show_graphs(*graphs: Any, titles: tuple[str, ...] | list[str] | None = None,
                height: int = DEFAULT_HEIGHT, backend: str = "html",
                drift: Any = None) -> GraphView:
    """Show graphs side by side in one output, with what happened to each node marked.

    In: ``show_graphs(model, "model.pb")`` (the three stages: the model's training step, its
    inference trace, the frozen graph), ``show_graphs(training, inference, frozen)``, or any
    two graphs ``show_graphs(left, right)`` (anything :func:`show_graph` takes; a Keras
    model gives its training step), e.g. a frozen graph and its ``for_opencv`` rewrite (each
    node then says what grappler or which rewrite pass did to it); the titles (one per graph,
    three for three stages; two paths default to their file names), the height and the
    backend; ``drift``: a per-node drift report of the frozen graph (a DriftReport or its
    ``to_dict()``), which colours the frozen pane's nodes by drift (log scale), marks the
    first divergence and adds a button (and a side-panel line) that jumps to it. Out: a
    GraphView whose ``diff`` is a StageDiff (three stages) or NodeDiff (two graphs) (html
    backend). Raises Keras2pbError for a bad file, object or drift report, wrong titles, or
    an unknown backend.
    """
    check_backend(backend)
    report = _drift_dict(drift)
    if len(graphs) == 3 and isinstance(graphs[2], (tuple, list)) and all(
            isinstance(t, str) for t in graphs[2]):
        graphs, titles = graphs[:2], graphs[2]  # the old show_graphs(left, right, titles)
    gds = stage_graphs(*graphs)
    if titles is None and len(gds) == 2 and all(isinstance(g, (str, os.PathLike))
                                                 for g in graphs):
        titles = tuple(Path(g).name for g in graphs)  # e.g. a.pb and a.opencv.pb
    if titles is None:
        titles = STAGE_TITLES if len(gds) == 3 else (STAGE_TITLES[0], STAGE_TITLES[2])
    titles = tuple(titles)
    if len(titles) != len(gds):
        raise Keras2pbError(f"show_graphs needs {len(gds)} titles, got {len(titles)}")
    if backend == "tensorboard":
        return tensorboard_view(gds, list(titles), height)
    if len(gds) == 3:
        page, diff = side_by_side_page(gds[0], gds[2], titles, inference=gds[1],
                                       drift=report)
    else:
        page, diff = side_by_side_page(gds[0], gds[1], titles, drift=report)
    return GraphView(iframe_html(page, height, " → ".join(titles)), page, diff)


def _drift_dict(drift: Any) -> dict[str, Any] | None:
    """A drift report as the viewer takes it: its dict (a DriftReport gives its ``to_dict()``;
    the viewer does not import the runtime). Raises Keras2pbError when it is not one."""
    if drift is None:
        return None
    report = drift.to_dict() if hasattr(drift, "to_dict") else drift
    try:
        check_drift(report)
    except ValueError as e:
        raise Keras2pbError(f"drift: {e}") from None
    return report
