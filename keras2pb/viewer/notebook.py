"""What a notebook displays: a GraphView (the page in an iframe) or live TensorBoard servers.

It receives GraphDefs (and the page and diff made from them); it never traces or freezes.
"""

from __future__ import annotations

import os

from ..errors import Keras2pbError
from ..graph.diff import NodeDiff, StageDiff

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
        from ..fileio import atomic_write_text

        if self.page is None:
            raise Keras2pbError(f"{path}: a TensorBoard view needs its live server and cannot "
                                "be saved; use backend='html'")
        return atomic_write_text(path, self.page)


def check_backend(backend: str) -> None:
    """Raise Keras2pbError unless ``backend`` is one of BACKENDS."""
    if backend not in BACKENDS:
        raise Keras2pbError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")


def tensorboard_view(graphs: list, titles: list[str], height: int) -> GraphView:
    """A GraphView of live TensorBoard servers on 127.0.0.1, one per GraphDef."""
    from .tbserver import server_for, tensorboard_html

    servers = [server_for(gd, title) for gd, title in zip(graphs, titles, strict=True)]
    return GraphView(tensorboard_html(servers, titles, height), None, None, servers)


def stop_tensorboards() -> None:
    """Stop the TensorBoard servers started by ``backend="tensorboard"`` (also done at exit)."""
    from .tbserver import stop_all

    stop_all()
