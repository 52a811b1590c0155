"""Issue 22, class 3: a graph from elsewhere is checked before anything imports it, and the
import (shape inference, ONNX export) happens in a child process with limits.

Shape inference of TensorFlow evaluates constant subgraphs: a ``ReadFile`` feeding a shape
reads a local file and its contents would show in the viewer's page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import tensorflow as tf
from tensorflow.core.framework.graph_pb2 import GraphDef

from keras2pb import Keras2pbError, show_graph
from keras2pb.graph.checks import check_structure, unsafe_ops
from keras2pb.viewer import infer_shapes

DYING = Path(__file__).resolve().parents[1] / "helpers" / "dying_child"


def _without_shapes(gd: GraphDef) -> GraphDef:
    for n in gd.node:
        if "_output_shapes" in n.attr:
            del n.attr["_output_shapes"]
    return gd


@pytest.fixture(scope="module")
def secret_shape_graph(tmp_path_factory):
    """A graph whose ``y`` has the shape written in a local file: (7, 11)."""
    secret = tmp_path_factory.mktemp("secret") / "secret.txt"
    secret.write_text("7,11")

    @tf.function(input_signature=[tf.TensorSpec((None,), tf.float32, name="x")])
    def f(x):
        text = tf.io.read_file(str(secret), name="sneaky_read")
        dims = tf.strings.to_number(tf.strings.split(text, ","), tf.int32)
        return tf.identity(tf.fill(dims, 1.0), name="y"), tf.identity(x, name="z")

    return _without_shapes(f.get_concrete_function().graph.as_graph_def())


@pytest.fixture(scope="module")
def plain_graph():
    @tf.function(input_signature=[tf.TensorSpec((None, 4), tf.float32, name="x")])
    def f(x):
        return tf.identity(tf.reshape(x, (-1, 2, 2)), name="y")

    return _without_shapes(f.get_concrete_function().graph.as_graph_def())


def test_shape_inference_never_runs_a_graph_with_unsafe_ops(secret_shape_graph):
    shapes = infer_shapes(secret_shape_graph)
    assert "(7, 11)" not in shapes.values()


def test_show_graph_of_a_file_reading_graph_does_not_show_the_file(secret_shape_graph):
    view = show_graph(secret_shape_graph)
    # the shape as the page writes shapes: a bare "7, 11" also occurs in the page's own JS
    # (a colour table's "217, 118"), which says nothing about the file
    assert "(7, 11)" not in view.page


def test_shape_inference_still_works_on_a_plain_graph(plain_graph):
    assert infer_shapes(plain_graph)["y"] == "(?, 2, 2)"


def test_shape_inference_happens_in_a_child(plain_graph, monkeypatch):
    """A child that dies at start (as a graph that crashes TensorFlow would kill it) costs the
    page its shapes, not the notebook its kernel."""
    from keras2pb.viewer import clean

    fresh = clean._ShapeChild()  # not the child (nor the shapes) of earlier tests
    monkeypatch.setattr(clean, "_SHAPE_CHILD", fresh)
    monkeypatch.setenv("PYTHONPATH", str(DYING))
    monkeypatch.setenv("KERAS2PB_TEST_DIE_WITH", "SIGSEGV")
    assert infer_shapes(plain_graph) == {}
    fresh.stop()


def test_the_shape_child_serves_many_graphs_and_restarts_after_a_death(plain_graph,
                                                                       monkeypatch):
    from keras2pb.viewer import clean

    fresh = clean._ShapeChild()
    monkeypatch.setattr(clean, "_SHAPE_CHILD", fresh)
    assert infer_shapes(plain_graph)["y"] == "(?, 2, 2)"
    first = fresh.proc.pid
    other = GraphDef()
    other.CopyFrom(plain_graph)
    other.node.add(name="extra", op="NoOp")
    assert infer_shapes(other)["extra"] == ""
    assert fresh.proc.pid == first  # the same child answered
    fresh.proc.kill()
    fresh.proc.wait()
    other.node.add(name="extra2", op="NoOp")
    assert infer_shapes(other)["extra2"] == ""  # a new child after the death
    assert fresh.proc.pid != first
    fresh.stop()


def _recursive_graph() -> GraphDef:
    gd = GraphDef()
    x = gd.node.add(name="x", op="Placeholder")
    x.attr["dtype"].type = 1
    f = gd.library.function.add()
    f.signature.name = "again"
    f.signature.input_arg.add(name="a", type=1)
    f.signature.output_arg.add(name="o", type=1)
    f.node_def.add(name="call", op="again", input=["a"])
    f.ret["o"] = "call:o:0"
    gd.node.add(name="r", op="again", input=["x"])
    return gd


def _mutually_recursive_graph() -> GraphDef:
    gd = _recursive_graph()
    f = gd.library.function[0]
    g = gd.library.function.add()
    g.CopyFrom(f)
    g.signature.name = "back"
    g.node_def[0].op = "again"
    f.node_def[0].op = "back"
    return gd


@pytest.mark.parametrize("make", [_recursive_graph, _mutually_recursive_graph])
def test_a_function_that_calls_itself_is_refused(make):
    with pytest.raises(Keras2pbError, match=r"^r\.pb: graph function 'again' calls itself"
                                            r"|^r\.pb: graph function 'back' calls itself"):
        check_structure(make(), "r.pb")


def test_recursion_through_a_function_passed_as_an_attribute_is_refused():
    """h calls g with F=h, and g calls its F: h -> g -> h, hidden one attribute deep (a
    reviewer's graph that segfaulted an in-process load)."""
    gd = _recursive_graph()
    h = gd.library.function[0]
    h.node_def[0].op = "PartitionedCall"
    h.node_def[0].attr["f"].func.name = "g"
    h.node_def[0].attr["f"].func.attr["F"].func.name = "again"
    g = gd.library.function.add()
    g.signature.name = "g"
    g.signature.input_arg.add(name="a", type=1)
    g.signature.output_arg.add(name="o", type=1)
    call = g.node_def.add(name="call", op="PartitionedCall", input=["a"])
    call.attr["f"].placeholder = "F"
    g.ret["o"] = "call:output:0"
    with pytest.raises(Keras2pbError, match="calls itself"):
        check_structure(gd, "r.pb")


@pytest.mark.parametrize("op, attr", [("Skipgram", "filename"),
                                      ("FixedUnigramCandidateSampler", "vocab_file"),
                                      ("SomeFutureOp", "vocab_file"),
                                      ("DumpTensor", "log_dir_path")])
def test_ops_that_name_a_file_are_unsafe(op, attr):
    """Skipgram and FixedUnigramCandidateSampler read the file their attribute names (a
    reviewer printed a secret file's words through predict); any op whose string attribute
    names a file is unsafe, listed or not."""
    gd = GraphDef()
    node = gd.node.add(name="n", op=op)
    node.attr[attr].s = b"/etc/passwd"
    assert unsafe_ops(gd) == [("n", op)]
    node.attr[attr].s = b""
    assert unsafe_ops(gd) == ([("n", op)] if op != "SomeFutureOp" else [])


def test_a_frozen_keras_graph_names_no_path(tmp_path):
    from keras2pb import freeze
    from keras2pb.graph.reading import read_graph_def
    from keras2pb.tutorial.models import bn_cnn

    freeze(bn_cnn(), tmp_path / "bn.pb")
    assert unsafe_ops(read_graph_def(tmp_path / "bn.pb")) == []


def test_shape_inference_skips_a_recursive_graph():
    assert infer_shapes(_recursive_graph()) == {}


def test_export_onnx_refuses_unsafe_ops(secret_shape_graph, tmp_path):
    pytest.importorskip("tf2onnx")
    from keras2pb.graph.signature import Signature, TensorInfo
    from keras2pb.runtime.onnx_export import export_onnx

    pb = tmp_path / "s.pb"
    pb.write_bytes(secret_shape_graph.SerializeToString())
    sig = Signature([TensorInfo("x", "x:0", (None,), "float32")],
                    [TensorInfo("y", "y:0", None, "float32")])
    (tmp_path / "s.pb.json").write_text(sig.to_json())
    with pytest.raises(Keras2pbError, match="ops that touch files.*sneaky_read"):
        export_onnx(pb, tmp_path / "s.onnx")
    assert not (tmp_path / "s.onnx").exists()


def test_cli_export_onnx_runs_in_a_child(tmp_path, monkeypatch, capsys, plain_graph):
    """A child killed by a signal (as tf2onnx on a hostile graph) is one line naming the file."""
    from keras2pb.cli import main

    pb = tmp_path / "p.pb"
    pb.write_bytes(plain_graph.SerializeToString())
    monkeypatch.delenv("KERAS2PB_ISOLATED_CHILD", raising=False)
    monkeypatch.setenv("PYTHONPATH", str(DYING))
    monkeypatch.setenv("KERAS2PB_TEST_DIE_WITH", "SIGSEGV")
    assert main(["export-onnx", str(pb), str(tmp_path / "p.onnx")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"keras2pb: error: {pb}: ") and "SIGSEGV" in err
    assert err.count("\n") == 1 and not (tmp_path / "p.onnx").exists()
