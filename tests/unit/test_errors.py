"""Every user mistake: exit 1, one line on stderr naming the file, no traceback, no files."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from keras2pb import Keras2pbError, freeze, inspect, load
from keras2pb.cli import main
from keras2pb.fileio import atomic_write_bytes
from keras2pb.runtime.isolation import CHILD_ENV
from tests.helpers.hostile_files import make_all

#: A crash by a signal, or TensorFlow's reason with the failing node and what to do.
CRASHED_OR_REFUSED = re.compile(r"TensorFlow (crashed \(SIG[A-Z]+\) while importing or running "
                                r"this graph: the inputs do not fit it|refused the input: "
                                r"\w.{10,} \(node \S+\); check the inputs against)")

# (case id, argv template, file the message must name, words the message must hold)
CASES = [
    ("missing path", ["inspect", "{d}/missing.pb"], "{d}/missing.pb", "no such"),
    ("empty file", ["inspect", "{empty}"], "{empty}", "empty"),
    ("random bytes", ["inspect", "{random}"], "{random}", "not a TensorFlow GraphDef"),
    ("truncated pb", ["predict", "{truncated}", "{image_npy}"], "{truncated}",
     "not a TensorFlow GraphDef"),
    ("SavedModel folder", ["inspect", "{savedmodel}"], "{savedmodel}", "SavedModel"),
    ("h5 with weights only", ["freeze", "{weights_only}", "{d}/out.pb"], "{weights_only}",
     "weights only"),
    ("h5 that is no model", ["freeze", "{not_a_model_h5}", "{d}/out.pb"], "{not_a_model_h5}",
     "no model architecture"),
    (".keras that is no zip", ["freeze", "{not_a_model_keras}", "{d}/out.pb"],
     "{not_a_model_keras}", "not a .keras file"),
    (".keras zip without model", ["freeze", "{zip_no_config}", "{d}/out.pb"],
     "{zip_no_config}", "not a Keras model"),
    (".keras with Lambda", ["freeze", "{lambda}", "{d}/out.pb"], "{lambda}", "--unsafe"),
    ("custom_objects missing", ["freeze", "{custom}", "{d}/out.pb"], "{custom}",
     "--custom-objects"),
    ("op unknown to TF", ["predict", "{unknown_op}", "{image_npy}"], "{unknown_op}",
     "FancyRelu"),
    ("unsafe op", ["predict", "{unsafe}", "{image_npy}"], "{unsafe}", "sneaky_read (ReadFile)"),
    ("wrong input name", ["predict", "{mnist}", "{wrong_name_npz}"], "{mnist}",
     "no input or output named 'imgae'; this graph has: image, probs"),
    ("wrong output name", ["predict", "{mnist}", "{image_npy}", "--outputs", "prob"],
     "{mnist}", "no tensor named 'prob'; this graph has: probs, image"),
    ("wrong shape", ["predict", "{mnist}", "{bad_shape_npy}"], "{mnist}",
     "expects shape (None, 28, 28, 1), got (2, 784)"),
    ("wrong dtype", ["predict", "{mnist}", "{bad_dtype_npy}"], "{mnist}",
     "expects dtype float32"),
    ("npz missing an input", ["predict", "{two_io}", "{image_only_npz}"], "{two_io}",
     "missing input(s) meta"),
    ("unreadable npy", ["predict", "{mnist}", "{garbage_npy}"], "{garbage_npy}",
     "not a readable .npy/.npz"),
    ("output in missing folder", ["freeze", "{h5}", "{d}/no/such/dir/out.pb"],
     "{d}/no/such/dir/out.pb", "does not exist"),
    ("output in read-only folder", ["freeze", "{h5}", "{readonly}/out.pb"],
     "{readonly}/out.pb", "write"),
    # Graphs found by fuzzing: on some CPUs TensorFlow crashes on them (the child dies by a
    # signal), on others it refuses them. Either way: exit 1, one line with the reason.
    ("graph rewired by fuzzing", ["predict", "{rewired}", "{image_npy}"], "{rewired}",
     CRASHED_OR_REFUSED),
    ("input of the wrong rank, graph without shapes", ["predict", "{shapeless}", "{rank1_npy}"],
     "{shapeless}", CRASHED_OR_REFUSED),
    ("input that does not fit a Reshape", ["predict", "{reshape}", "{four_npy}"], "{reshape}",
     "TensorFlow refused the input: Input to reshape is a tensor with 4 values, but the "
     "requested shape requires a multiple of 3 (node rows_of_3); check the inputs against "
     "`keras2pb inspect`, or the graph is damaged"),
    ("ONNX conversion that fails", ["export-onnx", "{mnist}", "{d}/out.onnx", "--opset", "1"],
     "{mnist}", "tf2onnx could not convert"),
    ("batch size below 1", ["freeze", "{h5}", "{d}/out.pb", "--batch-size", "-3"],
     "{d}/out.pb", "batch size must be a positive whole number"),
    ("custom objects that are no class", ["freeze", "{h5}", "{d}/out.pb",
                                          "--custom-objects", "os:sep"], "os:sep",
     "neither a dict nor a class"),
    ("broken sidecar", ["predict", "{bad_sidecar}", "{image_npy}"], "{bad_sidecar}.json",
     "sidecar is not valid"),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory, mnist_pb, zoo):
    d = tmp_path_factory.mktemp("hostile")
    found = {k: str(v) for k, v in make_all(d, mnist_pb).items()}
    found["d"] = str(d)
    found["two_io"] = str(zoo["two_io"]["pb"])
    if os.geteuid() == 0:  # root writes anywhere chmod allows nothing: use a read-only fs
        found["readonly"] = "/proc"
    else:
        ro = d / "readonly"
        ro.mkdir()
        ro.chmod(0o555)
        found["readonly"] = str(ro)
    return found


def _snapshot(d: str) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in Path(d).rglob("*") if p.is_file()}


@pytest.mark.parametrize(("case", "argv", "names", "words"), CASES, ids=[c[0] for c in CASES])
def test_error_table(case, argv, names, words, files, capfd, monkeypatch):
    # The CLI runs predict/verify in a child process (keras2pb.runtime.isolation). Only the fuzzed
    # graphs need one here (they may crash TensorFlow); the others run in this process (as the
    # child would) to save time. tests/unit/test_isolation.py kills real children with signals.
    if "fuzzing" not in case and "wrong rank" not in case:
        monkeypatch.setenv(CHILD_ENV, "1")
    before = _snapshot(files["d"])
    code = main([a.format(**files) for a in argv])
    out, err = capfd.readouterr()
    assert code == 1, (case, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("keras2pb: error: ")
    assert names.format(**files) in lines[0]
    if isinstance(words, re.Pattern):
        assert words.search(lines[0]), lines[0]
    else:
        assert words in lines[0]
    assert "Traceback" not in err
    assert _snapshot(files["d"]) == before, "no new or changed files"


def test_load_with_isolate_refuses_a_rewired_graph_either_way(files):
    # Crash (SIGSEGV on some CPUs) or refusal (elsewhere): one Keras2pbError naming the file.
    with pytest.raises(Keras2pbError, match=r"rewired.pb: TensorFlow (crashed|refused)"):
        load(files["rewired"], isolate=True)


def test_load_with_isolate_relays_the_childs_reason(files):
    with pytest.raises(Keras2pbError) as info:
        load(files["reshape"], isolate=True)
    assert str(info.value) == (f"{files['reshape']}: TensorFlow refused the input: Input to "
                               "reshape is a tensor with 1 values, but the requested shape "
                               "requires a multiple of 3 (node rows_of_3); check the inputs "
                               "against `keras2pb inspect`, or the graph is damaged")


def test_a_pb_and_its_sidecar_are_replaced_together(tmp_path, monkeypatch):
    from keras2pb.tutorial.models import mnist_cnn

    out = tmp_path / "m.pb"
    out.write_bytes(b"old graph")
    (tmp_path / "m.pb.json").write_text("old sidecar")
    real_fsync, calls = os.fsync, []

    def fail_second(fd):  # the .pb is written, then writing the sidecar fails
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fail_second)
    with pytest.raises(Keras2pbError, match="m.pb.json: could not write: No space left"):
        freeze(mnist_cnn(), out)
    assert out.read_bytes() == b"old graph"
    assert (tmp_path / "m.pb.json").read_text() == "old sidecar"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pb", "m.pb.json"]


def test_pbtxt_loads_and_predicts(mnist_pb, tmp_path):
    from google.protobuf import text_format
    from tensorflow.core.framework.graph_pb2 import GraphDef

    gd = GraphDef.FromString(mnist_pb.read_bytes())
    text = tmp_path / "mnist.pbtxt"
    text.write_text(text_format.MessageToString(gd))
    with load(text) as graph:
        assert graph(np.zeros((3, 28, 28, 1), np.float32)).shape[0] == 3


def test_unsafe_ops_are_reported_by_inspect_and_loadable_on_request(files):
    info = inspect(files["unsafe"])
    assert ("sneaky_read", "ReadFile") in info.unsafe_ops
    with pytest.raises(Keras2pbError, match="allow_unsafe_ops"):
        load(files["unsafe"])
    with load(files["unsafe"], allow_unsafe_ops=True) as graph:
        np.testing.assert_allclose(graph(np.ones((1, 2), np.float32), outputs=["y:0"]), 2.0)


def test_lambda_model_freezes_with_unsafe(files, tmp_path, capsys):
    out = tmp_path / "lambda.pb"
    assert main(["freeze", files["lambda"], str(out), "--unsafe"]) == 0
    with load(out) as graph:
        np.testing.assert_allclose(graph(np.ones((1, 3), np.float32)), 2.0)


def test_graph_over_two_gib_is_refused_before_serializing(tmp_path):
    import keras

    big = keras.Sequential([keras.Input((1,), dtype="int32", name="ids"),
                            keras.layers.Embedding(2**27 + 2**20, 4,
                                                   embeddings_initializer="zeros")])
    with pytest.raises(Keras2pbError, match="2 GiB limit.*SavedModel"):
        freeze(big, tmp_path / "big.pb")
    assert list(tmp_path.iterdir()) == []


def test_interrupt_mid_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "model.pb"
    target.write_bytes(b"old")

    def interrupted(fd):
        raise KeyboardInterrupt  # what Ctrl-C does between write and rename

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(target, b"new content")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.pb"]


def test_error_on_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "model.pb"
    target.write_bytes(b"old")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(Keras2pbError, match="model.pb: could not write: No space left"):
        atomic_write_bytes(target, b"new content")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.pb"]


def test_one_line_finds_tensorflows_reason_after_graph_execution_error():
    import tensorflow as tf

    from keras2pb.errors import one_line

    @tf.function(input_signature=[tf.TensorSpec((None, None), tf.float32)])
    def rows_of_3(x):
        return tf.reshape(x, (-1, 3), name="rows_of_3")

    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        rows_of_3(tf.zeros((1, 4)))
    assert info.value.message.startswith("Graph execution error:")
    assert one_line(info.value) == ("Input to reshape is a tensor with 4 values, but the "
                                    "requested shape requires a multiple of 3 (node rows_of_3)")


def test_one_line_keeps_the_first_sentence_and_cuts_at_a_word():
    from keras2pb.errors import one_line

    assert one_line(ValueError("first line\nsecond line")) == "first line"
    assert one_line("Exception encountered when calling X:\n  it broke\nmore") == (
        "Exception encountered when calling X: it broke")
    long = one_line("word " * 100, limit=42)
    assert long.endswith("word…") and len(long) <= 42
    assert one_line("") == "(no message)" and one_line(KeyError()) == "KeyError"
    assert one_line("x\n\t [[{{node import/a/b}}]]", node_prefix="import/") == "x (node a/b)"
