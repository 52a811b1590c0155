"""Session fixtures for the viewer tests: real graph pairs, a hostile graph, a headless browser."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"
#: A name that would run a script if anything wrote it into the page as HTML.
HOSTILE = "</script><script>window.top.__pwned=1;alert(1)</script>"
HOSTILE_OP = "<img src=x onerror=\"window.top.__pwned=2\">"


def _pair(model, tmp: Path, name: str) -> dict:
    """The three stages of ``model``: training step, inference trace, frozen graph (+ .pb)."""
    from keras2pb.freezing import freeze, inference_graph
    from keras2pb.graphio import read_graph_def
    from keras2pb.training_step import training_graph

    train_gd = training_graph(model)
    infer_gd = inference_graph(model)
    frozen_pb = tmp / f"{name}.pb"
    freeze(model, frozen_pb)
    train_pb = tmp / f"{name}_train.pb"
    train_pb.write_bytes(train_gd.SerializeToString())
    infer_pb = tmp / f"{name}_inference.pb"
    infer_pb.write_bytes(infer_gd.SerializeToString())
    return {"model": model, "train_gd": train_gd, "infer_gd": infer_gd,
            "frozen_gd": read_graph_def(frozen_pb), "train_pb": train_pb,
            "infer_pb": infer_pb, "frozen_pb": frozen_pb}


@pytest.fixture(scope="session")
def mnist_pair(tmp_path_factory) -> dict:
    """The MNIST CNN (untrained): its three stages, in memory and as .pb."""
    from keras2pb.models import mnist_cnn

    return _pair(mnist_cnn(), tmp_path_factory.mktemp("mnist_pair"), "mnist_cnn")


@pytest.fixture(scope="session")
def densenet_pair(tmp_path_factory) -> dict:
    """DenseNet121 (keras.applications, weights=None: nothing downloaded), both graphs."""
    import keras

    model = keras.applications.DenseNet121(weights=None)
    return _pair(model, tmp_path_factory.mktemp("densenet_pair"), "densenet121")


def hostile_graph_def():
    """A small GraphDef whose names, op type and attributes try to inject HTML and script."""
    from tensorflow.core.framework.graph_pb2 import GraphDef

    gd = GraphDef()
    a = gd.node.add(name="input", op="Placeholder")
    a.attr["dtype"].type = 1
    b = gd.node.add(name=HOSTILE, op="Relu", input=["input"])
    b.attr["T"].type = 1
    b.attr["note"].s = b"<b onmouseover=alert(3)>bold</b>"
    c = gd.node.add(name="scope<i>/x&amp;y\"'", op=HOSTILE_OP, input=[HOSTILE])
    c.attr["T"].type = 1
    gd.node.add(name="out", op="Identity", input=[c.name])
    return gd


def small_graph_def():
    """A known little graph: two scopes of ops reading constants, a NoOp and a control edge.

    ``input`` → ``dense/MatMul`` (reads ``dense/kernel`` via ``dense/kernel/read``) →
    ``dense/BiasAdd`` (reads ``dense/bias``) → ``act/Relu`` → ``act/Relu_1`` → ``out``;
    ``init`` is a NoOp with control edges.
    """
    from tensorflow.core.framework.graph_pb2 import GraphDef

    gd = GraphDef()

    def add(name, op, inputs=(), **attrs):
        n = gd.node.add(name=name, op=op, input=list(inputs))
        n.attr["T"].type = 1
        return n

    add("input", "Placeholder")
    k = add("dense/kernel", "Const")
    k.attr["value"].tensor.dtype = 1
    k.attr["value"].tensor.tensor_content = b"\0" * 4096
    add("dense/kernel/read", "Identity", ["dense/kernel"])
    add("dense/bias", "Const")
    add("dense/MatMul", "MatMul", ["input", "dense/kernel/read"])
    add("dense/BiasAdd", "BiasAdd", ["dense/MatMul", "dense/bias"])
    add("act/Relu", "Relu", ["dense/BiasAdd"])
    add("act/Relu_1", "Relu", ["act/Relu", "^init"])
    add("init", "NoOp", ["^dense/kernel"])
    add("out", "Identity", ["act/Relu_1:0"])
    return gd


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium (Playwright driving /usr/bin/chromium); skips when it is absent."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium): browser test skipped")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def open_page(browser, path: Path, width: int = 1500, height: int = 800):
    """Open ``path`` (file://) in a new page; returns (page, list of requested URLs, dialogs).

    Waits until the viewer says it has drawn (``window.__k2pb.ready``), up to 2 minutes.
    """
    page = browser.new_page(viewport={"width": width, "height": height})
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    def on_dialog(d):
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.goto(path.resolve().as_uri())
    return page, requests, dialogs


def viewer_frame(page):
    """Return the frame running the viewer (the page itself, or its srcdoc iframe)."""
    for frame in page.frames:
        try:
            if frame.evaluate("() => !!window.__k2pb"):
                return frame
        except Exception:  # noqa: BLE001 - a frame still loading
            continue
    return None


def wait_ready(page, timeout_s: float = 120):
    """Wait until a frame of ``page`` has drawn its viewer; returns that frame."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        frame = viewer_frame(page)
        if frame is not None and frame.evaluate("() => window.__k2pb.ready"):
            return frame
        page.wait_for_timeout(100)
    raise AssertionError("the viewer did not finish drawing")


def outside_requests(requests: list[str]) -> list[str]:
    """Requests that went anywhere but the page's own file, srcdoc or inline data."""
    return [u for u in requests if not u.startswith(("file://", "about:", "data:"))]
