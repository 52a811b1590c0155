"""Show TensorFlow graphs in a notebook: one graph, or training and frozen graphs side by side."""

# from keras2pb import show_graph, show_graphs
# show_graph("models/mnist_cnn.pb")                  # one graph
# show_graphs(model, "models/mnist_cnn.pb")          # training step -> inference trace -> frozen
# show_graphs(train_gd, infer_gd, frozen_gd)         # the same three stages, as graphs
# show_graphs(train_gd, frozen_gd)                   # any two graphs, diffed
# show_graphs(model, "models/mnist_cnn.pb", backend="tensorboard")   # the real TensorBoard
#
# The default backend is a self-contained page in a sandboxed <iframe srcdoc>: it works offline,
# in JupyterLab and in exported HTML. The work is done by keras2pb.viewer.

from __future__ import annotations

import os
from typing import Any

from .errors import Keras2pbError
from .viewer import (
    DEFAULT_HEIGHT,
    NodeDiff,
    StageDiff,
    graph_def_of,
    iframe_html,
    side_by_side_page,
    single_page,
)

BACKENDS = ("html", "tensorboard")


class GraphView:
    """A notebook display object: renders as HTML (``_repr_html_``) in Jupyter.

    ``page`` is the full standalone page (or None for TensorBoard), ``html`` what the notebook
    shows, ``diff`` the NodeDiff (two graphs) or StageDiff (three stages) of a side-by-side
    view (else None).
    """

    def __init__(self, html: str, page: str | None = None,
                 diff: NodeDiff | StageDiff | None = None,
                 servers: list | None = None) -> None:
        self.html = html
        self.page = page
        self.diff = diff
        self.servers = servers or []

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        extra = f": {self.diff.summary()}" if self.diff else ""
        return f"<GraphView{extra}>"

    def save(self, path: str | os.PathLike) -> os.PathLike:
        """Write the standalone page to ``path`` (atomically); returns the path.

        Raises Keras2pbError for a TensorBoard view (it has no standalone page).
        """
        from .fileio import atomic_write_text

        if self.page is None:
            raise Keras2pbError(f"{path}: a TensorBoard view needs its live server and cannot "
                                "be saved; use backend='html'")
        return atomic_write_text(path, self.page)


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise Keras2pbError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")


def show_graph(graph: Any, title: str = "graph", *, height: int = DEFAULT_HEIGHT,
               backend: str = "html") -> GraphView:
    """Show one graph in an iframe 100 % wide.

    In: a GraphDef, a tf.Graph, a concrete function, a path to a ``.pb``, or a Keras model
    (then its training graph); a title; the iframe height in pixels; the backend ("html",
    self-contained, or "tensorboard", a live TensorBoard on 127.0.0.1). Out: a GraphView
    (displays itself). Raises Keras2pbError for a bad file or object, or an unknown backend.
    """
    _check_backend(backend)
    gd = graph_def_of(graph)
    if backend == "tensorboard":
        return _tensorboard_view([gd], [title], height)
    page = single_page(gd, title)
    return GraphView(iframe_html(page, height, title), page)


STAGE_TITLES = ("training step", "inference trace", "frozen graph")


def stage_graphs(*graphs: Any) -> list:
    """Return the GraphDefs ``show_graphs`` compares: two graphs, or the three stages.

    A Keras model followed by one graph (its ``.pb``) gives three: the model's training step,
    its inference trace (``keras2pb.inference_graph``) and that graph. Three graphs are
    taken as training step, inference trace, frozen graph. Raises Keras2pbError otherwise.
    """
    from .viewer.source import is_keras_model

    if len(graphs) == 2 and is_keras_model(graphs[0]):
        from .freezing import inference_graph

        model = graphs[0]
        return [graph_def_of(model), inference_graph(model), graph_def_of(graphs[1])]
    if len(graphs) not in (2, 3):
        raise Keras2pbError(f"show_graphs takes two graphs or three stages, got {len(graphs)}")
    return [graph_def_of(g) for g in graphs]


def show_graphs(*graphs: Any, titles: tuple[str, ...] | list[str] | None = None,
                height: int = DEFAULT_HEIGHT, backend: str = "html") -> GraphView:
    """Show graphs side by side in one output, with what happened to each node marked.

    In: ``show_graphs(model, "model.pb")`` (the three stages: the model's training step, its
    inference trace, the frozen graph), ``show_graphs(training, inference, frozen)``, or any
    two graphs ``show_graphs(left, right)`` (anything :func:`show_graph` takes; a Keras
    model gives its training step); the titles (one per graph, three for three stages), the
    height and the backend. Two panes are drawn: the training step (left) and the frozen graph
    (right); the trace's part shows in the marks and the header. Out: a GraphView whose
    ``diff`` is a StageDiff (three stages) or NodeDiff (two graphs) (html backend).
    Raises Keras2pbError for a bad file or object, wrong titles, or an unknown backend.
    """
    _check_backend(backend)
    if len(graphs) == 3 and isinstance(graphs[2], (tuple, list)) and all(
            isinstance(t, str) for t in graphs[2]):
        graphs, titles = graphs[:2], graphs[2]  # the old show_graphs(left, right, titles)
    gds = stage_graphs(*graphs)
    if titles is None:
        titles = STAGE_TITLES if len(gds) == 3 else (STAGE_TITLES[0], STAGE_TITLES[2])
    titles = tuple(titles)
    if len(titles) != len(gds):
        raise Keras2pbError(f"show_graphs needs {len(gds)} titles, got {len(titles)}")
    if backend == "tensorboard":
        return _tensorboard_view(gds, list(titles), height)
    if len(gds) == 3:
        page, diff = side_by_side_page(gds[0], gds[2], titles, inference=gds[1])
    else:
        page, diff = side_by_side_page(gds[0], gds[1], titles)
    return GraphView(iframe_html(page, height, " → ".join(titles)), page, diff)


def _tensorboard_view(graphs: list, titles: list[str], height: int) -> GraphView:
    from .viewer.tbserver import server_for, tensorboard_html

    servers = [server_for(gd, title) for gd, title in zip(graphs, titles, strict=True)]
    return GraphView(tensorboard_html(servers, titles, height), None, None, servers)


def stop_tensorboards() -> None:
    """Stop the TensorBoard servers started by ``backend="tensorboard"`` (also done at exit)."""
    from .viewer.tbserver import stop_all

    stop_all()
