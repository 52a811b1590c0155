"""Issue 21: the --for-opencv variant of a model with an adapted Normalization, and the check
that runs every variant in OpenCV against TensorFlow before it is written."""

from __future__ import annotations

import numpy as np
import pytest

from keras2pb import Keras2pbError, freeze, load
from keras2pb.graph.reading import read_graph_def
from keras2pb.runtime.opencv import check_opencv_variant, run_opencv
from keras2pb.runtime.verify import relative_error
from tests.helpers.feature_zoo import conv1d_model, normalization_model


@pytest.fixture(scope="module")
def normalization(tmp_path_factory):
    """Normalization adapted on data of mean 3 and std 2 -> Conv2D -> pooling -> Dense,
    frozen plain and for OpenCV (unchecked: the test checks it)."""
    import keras

    keras.utils.set_random_seed(0)
    model = normalization_model()
    folder = tmp_path_factory.mktemp("normalization")
    freeze(model, folder / "plain.pb")
    freeze(model, folder / "cv.pb", for_opencv=True)
    return model, folder


def _channel_ops(pb):
    """(op, constant shape) of every Sub/Mul/Add of a constant left in the graph."""
    gd = read_graph_def(pb)
    consts = {n.name: n for n in gd.node if n.op == "Const"}
    found = []
    for node in gd.node:
        if node.op in ("Sub", "Mul", "Add", "AddV2"):
            for ref in node.input:
                if ref.split(":")[0] in consts:
                    dims = consts[ref.split(":")[0]].attr["value"].tensor.tensor_shape.dim
                    found.append((node.op, [d.size for d in dims]))
    return found


def test_normalization_sub_becomes_a_bias_add(normalization):
    # The per-channel Sub(x, mean) was left as it was while Mul(x, 1/std) became a depthwise
    # convolution; OpenCV then ran batch 3 5 % off with no error and failed batch 2.
    _, folder = normalization
    assert _channel_ops(folder / "plain.pb")  # the plain graph has them
    assert _channel_ops(folder / "cv.pb") == []
    cv = load(folder / "cv.pb").signature.extra["opencv"]
    assert cv["adds_to_bias_adds"] == 1 and cv["muls_to_depthwise"] == 1
    assert cv["check"]["checked"] is True  # keras2pb.freeze checks the variant in OpenCV


def test_normalization_variant_is_the_same_arithmetic_in_tensorflow(normalization):
    model, folder = normalization
    x = np.random.default_rng(1).normal(3.0, 2.0, (3, 12, 12, 3)).astype("float32")
    with load(folder / "cv.pb") as graph:
        got = graph.run(x)
    rel, same = relative_error({"probs": np.asarray(model(x, training=False))}, got)
    assert rel <= 1e-6 and same


@pytest.mark.parametrize("batch", [1, 2, 3, 4])
def test_normalization_variant_runs_right_in_opencv_at_every_batch(normalization, batch):
    model, folder = normalization
    x = np.random.default_rng(batch).normal(3.0, 2.0, (batch, 12, 12, 3)).astype("float32")
    got = run_opencv(folder / "cv.pb", x).outputs
    rel, same = relative_error({"probs": np.asarray(model(x, training=False))}, got)
    assert rel <= 1e-4 and same, (batch, rel)


def test_vector_normalization_variant_runs_in_opencv_at_batch_3(tmp_path):
    # A Normalization of a feature vector leaves 2-D Sub/Mul OpenCV 5.0 failed at batch >= 2.
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    norm = layers.Normalization(name="norm")
    norm.adapt(np.random.default_rng(0).normal(-1.0, 3.0, (64, 5)).astype("float32"))
    model = keras.Sequential([keras.Input((5,), name="x"), norm, layers.Dense(4, name="h"),
                              layers.Dense(3, activation="softmax", name="probs")])
    freeze(model, tmp_path / "v.pb", for_opencv=True)
    assert _channel_ops(tmp_path / "v.pb") == []
    x = np.random.default_rng(3).normal(-1.0, 3.0, (3, 5)).astype("float32")
    rel, same = relative_error({"probs": np.asarray(model(x, training=False))},
                               run_opencv(tmp_path / "v.pb", x).outputs)
    assert rel <= 1e-4 and same


def test_freeze_for_opencv_with_the_check_records_it(normalization, tmp_path):
    model, _ = normalization
    side = freeze(model, tmp_path / "checked.pb", for_opencv=True,
                  check_opencv=check_opencv_variant)
    check = side["opencv"]["check"]
    assert check["checked"] is True and check["opencv"].startswith(("4.", "5."))
    assert sorted(check["relative_error"]) == ["1", "3"]
    assert max(check["relative_error"].values()) <= 1e-4


def test_the_public_freeze_checks_the_opencv_variant_by_default(normalization, tmp_path):
    """keras2pb.freeze (not only the CLI) runs the check: a variant written is one that runs."""
    from keras2pb.freezing.freeze import freeze as freeze_unchecked

    model, _ = normalization
    side = freeze(model, tmp_path / "default.pb", for_opencv=True)
    assert side["opencv"]["check"]["checked"] is True
    bare = freeze_unchecked(model, tmp_path / "bare.pb", for_opencv=True)
    assert bare["opencv"]["check"]["checked"] is False  # the layer below says it did not check


def test_check_refuses_a_variant_that_runs_wrong_and_writes_nothing(tmp_path, monkeypatch):
    # The check compares OpenCV with TensorFlow: a rewrite that changes the arithmetic (here,
    # the old behaviour simulated by undoing the Sub rewrite's sign) is refused, not written.
    import keras

    keras.utils.set_random_seed(0)
    model = normalization_model()
    _wrong_bias(monkeypatch)
    with pytest.raises(Keras2pbError, match=r"runs .* off TensorFlow .* at batch 1.*ONNX"):
        freeze(model, tmp_path / "wrong.pb", for_opencv=True, check_opencv=check_opencv_variant)
    assert list(tmp_path.iterdir()) == []


def test_verify_runtimes_says_differs_for_a_wrong_runtime(normalization, monkeypatch):
    # verify --runtimes ran batch 64 only and said "ok" whatever the difference: it now runs
    # batch 1 and the given batch, and a runtime off by more than 1e-4 "differs".
    from keras2pb.runtime.compare import verify_runtimes

    model, folder = normalization
    x = np.random.default_rng(7).normal(3.0, 2.0, (3, 12, 12, 3)).astype("float32")
    (row,) = verify_runtimes(model, folder / "plain.pb", ["opencv"], x)
    assert row["status"] == "ok" and sorted(row["batches"]) == ["1", "3"], row
    _wrong_bias(monkeypatch)
    (row,) = verify_runtimes(model, folder / "plain.pb", ["opencv"], x)
    assert row["status"] == "differs" and row["relative_error"] > 1e-3, row


def _wrong_bias(monkeypatch):
    """Make the --for-opencv rewrite add +mean where it should subtract it."""
    import keras2pb.graph.opencv_rewrite as rewrite

    real = rewrite.adds_to_bias_adds

    def wrong(graph_def):
        out, count = real(graph_def)
        for node in out.node:
            if node.name.endswith("/bias"):
                values = -np.frombuffer(node.attr["value"].tensor.tensor_content, np.float32)
                node.attr["value"].tensor.tensor_content = values.astype(np.float32).tobytes()
        return out, count

    monkeypatch.setattr(rewrite, "adds_to_bias_adds", wrong)


def test_freeze_for_opencv_refuses_what_opencv_cannot_read(tmp_path):
    # Conv1D: OpenCV's TensorFlow importer fails in parseExpandDims; exit 0 used to write it.
    import keras

    keras.utils.set_random_seed(0)
    with pytest.raises(Keras2pbError, match=r"does not run in OpenCV at batch 1: .*"
                                            r"export-onnx, then cv2.dnn.readNetFromONNX"):
        freeze(conv1d_model(), tmp_path / "c.pb", for_opencv=True,
               check_opencv=check_opencv_variant)
    assert list(tmp_path.iterdir()) == []


def test_cli_freeze_for_opencv_checks(tmp_path, capsys):
    import keras

    from keras2pb.cli import main

    keras.utils.set_random_seed(0)
    normalization_model().save(tmp_path / "n.keras")
    assert main(["freeze", str(tmp_path / "n.keras"), str(tmp_path / "n.pb"),
                 "--for-opencv"]) == 0
    assert "checked in OpenCV" in capsys.readouterr().out
    conv1d_model().save(tmp_path / "c.keras")
    assert main(["freeze", str(tmp_path / "c.keras"), str(tmp_path / "c.pb"),
                 "--for-opencv"]) != 0
    err = capsys.readouterr().err
    assert "does not run in OpenCV" in err and "Traceback" not in err
    assert not (tmp_path / "c.pb").exists()
