"""Minimal TensorBoard servers (graphs dashboard only) inside this process, one per graph."""

from __future__ import annotations

import atexit
import hashlib
import html
import logging
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tensorflow.core.framework.graph_pb2 import GraphDef

from .clean import strip_consts

#: Constants bigger than this (bytes) lose their body before TensorBoard sees them.
TB_MAX_CONST_BYTES = 1024
#: Servers kept alive at once; the oldest is stopped beyond this.
MAX_SERVERS = 6


@dataclass
class TensorBoardServer:
    """One running TensorBoard: its loopback URL, port, log folder and serving thread."""

    url: str
    port: int
    logdir: Path
    started_in: float  # seconds from start() call to a listening server
    _server: object = field(repr=False, default=None)
    _thread: threading.Thread | None = field(repr=False, default=None)

    def stop(self) -> None:
        """Stop serving and close the socket; waits for the serving thread to end."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    @property
    def running(self) -> bool:
        """True until :meth:`stop` was called."""
        return self._server is not None


_lock = threading.Lock()
_servers: dict[str, TensorBoardServer] = {}
_root: Path | None = None


def _log_root() -> Path:
    global _root
    if _root is None:
        _root = Path(tempfile.mkdtemp(prefix="keras2pb-tensorboard-"))
    return _root


def write_graph_event(graph_def: GraphDef, logdir: str | os.PathLike) -> Path:
    """Write ``graph_def`` (big constants stripped) as a TensorBoard graph event in ``logdir``.

    In: a GraphDef and a folder (created if missing). Out: the folder. Uses TensorBoard's own
    event writer, so no TensorFlow session or summary op is involved.
    """
    from tensorboard.compat.proto import event_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    logdir = Path(logdir)
    logdir.mkdir(parents=True, exist_ok=True)
    stripped = strip_consts(graph_def, TB_MAX_CONST_BYTES)
    writer = EventFileWriter(str(logdir))
    try:
        writer.add_event(event_pb2.Event(wall_time=time.time(),
                                         graph_def=stripped.SerializeToString()))
        writer.flush()
    finally:
        writer.close()
    return logdir


def start_server(logdir: str | os.PathLike) -> TensorBoardServer:
    """Start a TensorBoard on 127.0.0.1 (free port) serving only the graphs dashboard.

    In: a log folder. Out: a running TensorBoardServer (a thread of this process, no child
    process; the Rust data server is not used). Its request logs are silenced.
    """
    from tensorboard import program
    from tensorboard.plugins.core import core_plugin
    from tensorboard.plugins.graph import graphs_plugin

    for name in ("werkzeug", "tensorboard", "absl"):
        logging.getLogger(name).setLevel(logging.ERROR)
    t0 = time.perf_counter()
    tb = program.TensorBoard(plugins=[core_plugin.CorePluginLoader, graphs_plugin.GraphsPlugin])
    tb.configure(logdir=str(logdir), host="127.0.0.1", port=0, load_fast="false",
                 reload_interval=0, window_title="keras2pb graphs")
    server = tb._make_server()  # launch() would not hand us the server to stop it
    thread = threading.Thread(target=server.serve_forever, name="keras2pb-tensorboard",
                              daemon=True)
    thread.start()
    port = server.server_port
    return TensorBoardServer(f"http://127.0.0.1:{port}/", port, Path(logdir),
                             time.perf_counter() - t0, server, thread)


def server_for(graph_def: GraphDef, name: str = "graph") -> TensorBoardServer:
    """Return a running TensorBoard showing ``graph_def``, reusing one for the same graph.

    In: a GraphDef and a short run name. Out: a TensorBoardServer; servers are keyed by the
    graph's content, kept across calls (at most ``MAX_SERVERS``) and stopped at exit.
    """
    digest = hashlib.sha256(graph_def.SerializeToString(deterministic=True)).hexdigest()[:16]
    with _lock:
        srv = _servers.get(digest)
        if srv is not None and srv.running:
            return srv
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:40] or "graph"
        logdir = write_graph_event(graph_def, _log_root() / digest / safe)
        srv = start_server(logdir.parent)
        _servers[digest] = srv
        while len(_servers) > MAX_SERVERS:
            oldest = next(iter(_servers))
            _servers.pop(oldest).stop()
        return srv


def stop_all() -> None:
    """Stop every server this module started and delete their log folders."""
    global _root
    with _lock:
        for srv in _servers.values():
            srv.stop()
        _servers.clear()
        if _root is not None:
            shutil.rmtree(_root, ignore_errors=True)
            _root = None


atexit.register(stop_all)


def frame_url(srv: TensorBoardServer) -> str:
    """Return the URL the notebook's browser should load for ``srv``.

    Like ``tensorboard.notebook``: when ``TENSORBOARD_PROXY_URL`` is set (a remote Jupyter
    behind jupyter-server-proxy, e.g. ``/proxy/%PORT%/``), its ``%PORT%`` is replaced by the
    server's port; otherwise the loopback URL is used, which only a browser on this machine
    can reach.
    """
    proxy = os.environ.get("TENSORBOARD_PROXY_URL")
    base = proxy.replace("%PORT%", str(srv.port)) if proxy else srv.url
    return base + ("" if base.endswith("/") else "/") + "#graphs"


def tensorboard_html(servers: list[TensorBoardServer], titles: list[str],
                     height: int = 640) -> str:
    """Return HTML showing each server's graphs dashboard in an iframe, side by side.

    The iframes load from the live servers: the note above them says this view needs the
    running kernel (``tutorial.export_html`` replaces such frames with a note).
    """
    cells = []
    for srv, title in zip(servers, titles, strict=True):
        url = html.escape(frame_url(srv), quote=True)
        cells.append(
            f'<div style="flex:1 1 0;min-width:0"><div style="font:600 13px sans-serif;'
            f'padding:2px 4px">{html.escape(title)} <a href="{url}" target="_blank" '
            f'rel="noopener" style="font-weight:400">{url}</a></div>'
            f'<iframe src="{url}" sandbox="allow-scripts allow-same-origin allow-popups" '
            f'title="{html.escape(title, quote=True)}" '
            f'style="width:100%;height:{int(height)}px;border:1px solid #d5dbe5"></iframe></div>')
    note = ("TensorBoard graphs dashboard, served by this notebook's kernel on 127.0.0.1: "
            "this view needs the live kernel (a notebook reopened without it shows empty "
            "frames: re-run the cell). On a remote Jupyter, set TENSORBOARD_PROXY_URL "
            "(e.g. /proxy/%PORT%/). Large constants were stripped.")
    return (f'<div><div style="font:12px sans-serif;color:#a23b00;padding:2px 0">'
            f'{html.escape(note)}</div><div style="display:flex;gap:6px">{"".join(cells)}'
            f"</div></div>")
