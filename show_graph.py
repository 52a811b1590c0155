"""Show TensorFlow graphs in a notebook: one graph, or training and frozen graphs side by side."""

# from show_graph import show_graph, show_graphs
# show_graph("models/mnist_cnn.pb")                  # one graph
# show_graphs(model, "models/mnist_cnn.pb")          # training graph vs frozen graph, diffed
# show_graphs(model, "models/mnist_cnn.pb", backend="tensorboard")   # the real TensorBoard
#
# The default backend is a self-contained page in a sandboxed <iframe srcdoc>: it works offline,
# in JupyterLab and in exported HTML. The work is done by keras2pb.viewer.

from __future__ import annotations

import os
from typing import Any

from keras2pb.errors import Keras2pbError
from keras2pb.viewer import (
    DEFAULT_HEIGHT,
    NodeDiff,
    graph_def_of,
    iframe_html,
    side_by_side_page,
    single_page,
)

BACKENDS = ("html", "tensorboard")


class GraphView:
    """A notebook display object: renders as HTML (``_repr_html_``) in Jupyter.

    ``page`` is the full standalone page (or None for TensorBoard), ``html`` what the notebook
    shows, ``diff`` the NodeDiff of a side-by-side view (else None).
    """

    def __init__(self, html: str, page: str | None = None, diff: NodeDiff | None = None,
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
        from keras2pb.fileio import atomic_write_text

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


def show_graphs(left: Any, right: Any, titles: tuple[str, str] = ("training graph",
                                                                   "frozen graph"),
                *, height: int = DEFAULT_HEIGHT, backend: str = "html") -> GraphView:
    """Show two graphs side by side in one output, with what the right one dropped marked.

    In: the left and right graphs (anything :func:`show_graph` takes; a Keras model gives its
    training graph), their titles, the height and the backend. Out: a GraphView whose
    ``diff`` says which nodes of which op types were removed, kept and added (html backend).
    Raises Keras2pbError for a bad file or object, or an unknown backend.
    """
    _check_backend(backend)
    if len(titles) != 2:
        raise Keras2pbError(f"show_graphs needs two titles, got {len(titles)}")
    lgd, rgd = graph_def_of(left), graph_def_of(right)
    if backend == "tensorboard":
        return _tensorboard_view([lgd, rgd], list(titles), height)
    page, diff = side_by_side_page(lgd, rgd, titles)
    return GraphView(iframe_html(page, height, f"{titles[0]} vs {titles[1]}"), page, diff)


def _tensorboard_view(graphs: list, titles: list[str], height: int) -> GraphView:
    from keras2pb.viewer.tbserver import server_for, tensorboard_html

    servers = [server_for(gd, title) for gd, title in zip(graphs, titles, strict=True)]
    return GraphView(tensorboard_html(servers, titles, height), None, None, servers)


def stop_tensorboards() -> None:
    """Stop the TensorBoard servers started by ``backend="tensorboard"`` (also done at exit)."""
    from keras2pb.viewer.tbserver import stop_all

    stop_all()
