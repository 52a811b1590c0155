"""keras2pb.show: what notebooks display, for both backends (the TensorBoard one really runs)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from keras2pb import show
from keras2pb.errors import Keras2pbError
from tests.fixtures.viewer import small_graph_def


def test_package_exports_and_the_root_re_export():
    import keras2pb

    assert keras2pb.show_graph is show.show_graph and keras2pb.show_graphs is show.show_graphs
    assert {"show_graph", "show_graphs"} <= set(dir(keras2pb))
    # The repository root's show_graph.py (for older notebooks) is the same code, re-exported.
    code = ("import show_graph, keras2pb.show as s, keras2pb.freezing.stages as st, "
            "keras2pb.viewer.notebook as nb; print(all(getattr(show_graph, n) is getattr("
            "s, n, None) or getattr(show_graph, n) is getattr(st, n, getattr(nb, n, None)) "
            "for n in show_graph.__all__))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2],
                          capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "True", proc.stderr[-2000:]


def test_show_graph_takes_graphs_paths_functions_and_models(mnist_pair):
    import tensorflow as tf

    for obj in (mnist_pair["frozen_gd"], str(mnist_pair["frozen_pb"]), mnist_pair["frozen_pb"]):
        view = show.show_graph(obj, "frozen")
        frame = view._repr_html_().split(">", 1)[0]  # the <iframe ...> tag itself
        assert frame.startswith("<iframe ") and \
            ' sandbox="allow-scripts allow-downloads" ' in frame  # no same-origin
        assert "width:100%" in view.html and view.diff is None

    @tf.function(input_signature=[tf.TensorSpec((None, 3), tf.float32)])
    def f(x):
        return tf.nn.relu(x) * 2.0

    page = show.show_graph(f.get_concrete_function()).page
    assert "Relu" in page and "(?, 3)" in page  # shapes come with a function's graph
    graph = tf.Graph()
    with graph.as_default():
        tf.constant(1.0, name="one")
    assert "one" in show.show_graph(graph).page
    model_view = show.show_graph(mnist_pair["model"], "training")
    assert "Conv2DBackpropFilter" in model_view.page  # a model shows its training graph


def test_show_graphs_diffs_and_saves(mnist_pair, tmp_path):
    view = show.show_graphs(mnist_pair["model"], mnist_pair["frozen_pb"])
    assert view.diff is not None and "Conv2DBackpropFilter" in view.diff.removed
    assert "removed" in repr(view)
    out = view.save(tmp_path / "pair.html")
    assert out.read_text(encoding="utf-8") == view.page


def test_show_graph_rejects_bad_input(tmp_path):
    with pytest.raises(Keras2pbError, match="backend"):
        show.show_graph(small_graph_def(), backend="netron")
    with pytest.raises(Keras2pbError, match="missing.pb"):
        show.show_graph(tmp_path / "missing.pb")
    with pytest.raises(Keras2pbError, match="cannot get a graph"):
        show.show_graph(42)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as r:  # loopback only
        return r.read()


def _children() -> list[int]:
    me = str(os.getpid())
    kids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[1] == me:
            kids.append(int(pid))
    return kids


def test_tensorboard_backend_serves_both_graphs_then_stops(mnist_pair, monkeypatch):
    from keras2pb.viewer import tbserver

    monkeypatch.delenv("TENSORBOARD_PROXY_URL", raising=False)
    kids_before = set(_children())
    view = show.show_graphs(mnist_pair["train_gd"], mnist_pair["frozen_gd"],
                                  backend="tensorboard")
    try:
        assert "needs the live kernel" in view.html
        assert len(view.servers) == 2 and view.servers[0].port != view.servers[1].port
        for srv, expect in zip(view.servers, ("Conv2DBackpropFilter", "Conv2D"), strict=True):
            assert srv.url.startswith("http://127.0.0.1:")
            assert f'src="{srv.url}#graphs"' in view.html
            assert b"<html" in _get(srv.url).lower()
            runs = json.loads(_get(srv.url + "data/plugin/graphs/info"))
            assert len(runs) == 1
            run = next(iter(runs))
            graph = _get(srv.url + f"data/plugin/graphs/graph?run={run}").decode()
            assert f'op: "{expect}"' in graph
            if expect == "Conv2D":  # the frozen graph: its weights never reach the page
                assert "<stripped " in graph and len(graph) < 100_000
        again = show.show_graph(mnist_pair["frozen_gd"], "frozen graph",
                                      backend="tensorboard")
        assert again.servers[0] is view.servers[1]  # reused, not restarted
        assert set(_children()) == kids_before  # servers are threads, not processes
        monkeypatch.setenv("TENSORBOARD_PROXY_URL", "/proxy/%PORT%/")
        port = view.servers[0].port
        assert tbserver.frame_url(view.servers[0]) == f"/proxy/{port}/#graphs"
    finally:
        show.stop_tensorboards()
    for srv in view.servers:
        assert not srv.running
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
    assert not [t for t in threading.enumerate() if t.name == "keras2pb-tensorboard"]
    assert set(_children()) == kids_before
    with pytest.raises(Keras2pbError, match="live server"):
        view.save("never.html")
