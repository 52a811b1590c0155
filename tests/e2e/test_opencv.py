"""The OpenCV variant: real opencv-python-headless in a child process, compared with Keras."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from keras2pb import Keras2pbError, load
from keras2pb.graph.opencv_rewrite import opencv_layer_name
from keras2pb.graph.reading import read_graph_def
from keras2pb.runtime.opencv import run_opencv
from tests.fixtures.runtimes import CASES, argmax_agrees, max_diff


@pytest.mark.parametrize("case", CASES)
def test_variant_runs_in_opencv_and_matches_keras(runtime_zoo, case):
    z = runtime_zoo[case]
    run = run_opencv(z["cv_pb"], z["feeds"], repeats=2)
    assert set(run.outputs) == set(z["expected"])
    assert max_diff(z["expected"], run.outputs) <= 1e-5
    assert argmax_agrees(z["expected"], run.outputs)
    assert run.version.startswith(("4.", "5."))
    assert len(run.seconds) == 2 and run.median_ms > 0


def test_flatten_dynamic_runs_at_batch_1_and_4(runtime_zoo):
    # The other cases' models run at batch 1 and 4 in OpenCV (and every other runtime) in the
    # support matrix's fast rows (tests/e2e/test_support_matrix.py); this one is not a row.
    z = runtime_zoo["flatten_dynamic"]
    for n in (1, 4):
        feeds = {k: v[:n] for k, v in z["feeds"].items()}
        expected = {k: v[:n] for k, v in z["expected"].items()}
        got = run_opencv(z["cv_pb"], feeds)
        assert max_diff(expected, got.outputs) <= 1e-5, n


def test_issue_13_model_is_rewritten_for_any_batch(runtime_zoo):
    # BatchNorm after a biased Conv2D leaves Mul(x, c), which OpenCV 5.0's new engine failed on
    # at batch 4; it becomes a 1x1 depthwise convolution. Flatten's Shape -> StridedSlice ->
    # Pack stays: OpenCV runs it at any batch size.
    z = runtime_zoo["issue_h5"]
    assert z["cv_side"]["opencv"]["muls_to_depthwise"] == 1
    ops = [n.op for n in read_graph_def(z["cv_pb"]).node]
    assert "Mul" not in ops and ops.count("DepthwiseConv2dNative") == 1
    for n in (1, 2, 4):
        feeds = {k: v[:n] for k, v in z["feeds"].items()}
        got = run_opencv(z["cv_pb"], feeds, engine="new")
        assert max_diff({k: v[:n] for k, v in z["expected"].items()}, got.outputs) <= 1e-5


def test_opencv_reads_the_onnx_export(runtime_zoo, tmp_path):
    # Every fast model at batch 1 and 4 through this route: the support matrix's "OpenCV via
    # ONNX" column (tests/e2e/test_support_matrix.py). Here: the API, on the two-input model.
    from keras2pb.runtime.onnx_export import export_onnx
    from keras2pb.runtime.opencv import run_opencv_onnx

    z = runtime_zoo["two_io"]
    onnx_path = export_onnx(z["pb"], tmp_path / "two_io.onnx")
    feeds = {f"{k}:0": v[:4] for k, v in z["feeds"].items()}  # ":0" is fine too
    got = run_opencv_onnx(onnx_path, feeds, repeats=1)
    assert set(got.outputs) == set(z["expected"])
    assert max_diff({k: v[:4] for k, v in z["expected"].items()}, got.outputs) <= 1e-5
    assert got.version.startswith(("4.", "5.")) and len(got.seconds) == 1


def test_onnx_route_refuses_bad_files_and_feeds(runtime_zoo, tmp_path):
    from keras2pb.runtime.onnx_export import export_onnx
    from keras2pb.runtime.opencv import run_opencv_onnx

    z = runtime_zoo["two_io"]
    onnx_path = export_onnx(z["pb"], tmp_path / "two.onnx")
    with pytest.raises(Keras2pbError, match="two.onnx: missing input.*meta"):
        run_opencv_onnx(onnx_path, {"image": z["feeds"]["image"]})
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00not onnx at all")
    with pytest.raises(Keras2pbError, match="junk.onnx: not a readable ONNX file"):
        run_opencv_onnx(junk, z["feeds"])


def test_sidecar_says_layout_and_layers(runtime_zoo):
    for case in CASES:
        z = runtime_zoo[case]
        cv = z["cv_side"]["opencv"]
        gd = read_graph_def(z["cv_pb"])
        ops = {n.op for n in gd.node}
        assert not [op for op in ops if op.startswith("_")], ops
        names = {n.name for n in gd.node}
        assert {e["name"] for e in z["side"]["inputs"] + z["side"]["outputs"]} <= names
        assert cv["input_layout"] == "NCHW"
        image = next(i for i in cv["inputs"] if i["name"] == "image")
        assert image == {"name": "image", "layout": "NCHW", "shape": [None, 1, 28, 28],
                         "transpose": [0, 3, 1, 2]}
        assert len(cv["output_layers"]) == len(z["side"]["outputs"])
        assert cv["output_layers"] == [o["layer"] for o in cv["outputs"]]
        assert "readNetFromTensorflow" in cv["usage"]
        assert z["cv_side"]["node_count"] < z["side"]["node_count"]
        on_disk = json.loads(z["cv_pb"].with_name(z["cv_pb"].name + ".json").read_text())
        assert on_disk["opencv"] == cv


def test_two_io_sidecar_lists_both(runtime_zoo):
    cv = runtime_zoo["two_io"]["cv_side"]["opencv"]
    assert [i["name"] for i in cv["inputs"]] == ["image", "meta"]
    assert cv["inputs"][1]["layout"] == "NC" and cv["inputs"][1]["transpose"] is None
    assert [o["name"] for o in cv["outputs"]] == ["digit", "score"]
    # score is MatMul + BiasAdd; OpenCV fuses them into one layer named after the MatMul.
    assert cv["output_layers"][1].endswith("/MatMul")


def test_batchnorm_add_becomes_bias_add(runtime_zoo):
    # BatchNorm after a bias-free Conv2D folds into an AddV2 OpenCV 5 cannot broadcast.
    cv_side = runtime_zoo["bn_cnn"]["cv_side"]
    assert cv_side["opencv"]["adds_to_bias_adds"] >= 1
    gd = read_graph_def(runtime_zoo["bn_cnn"]["cv_pb"])
    assert "BiasAdd" in {n.op for n in gd.node}


def test_classic_engine_matches_too(runtime_zoo):
    z = runtime_zoo["bn_cnn"]
    run = run_opencv(z["cv_pb"], z["feeds"], engine="classic")
    assert max_diff(z["expected"], run.outputs) <= 1e-5


def test_variant_still_runs_in_tensorflow(runtime_zoo):
    z = runtime_zoo["two_io"]
    with load(z["cv_pb"]) as graph:
        got = graph(z["feeds"])
    assert max_diff(z["expected"], got) <= 1e-5


def test_layer_name_follows_identity_and_bias_fusion(runtime_zoo):
    gd = read_graph_def(runtime_zoo["flatten_dynamic"]["cv_pb"])
    assert opencv_layer_name(gd, "probs").endswith("Softmax")
    hidden = next(n.name for n in gd.node if n.op == "BiasAdd")
    matmul = next(n.name for n in gd.node if n.op == "MatMul")
    assert opencv_layer_name(gd, hidden) == matmul


def test_a_graph_that_crashes_opencv_is_an_error_not_a_crash(runtime_zoo, tmp_path):
    # Hand OpenCV the raw frozen graph (OpenCV 5 segfaults on it, 4.x refuses it) by giving it
    # the variant's sidecar: the child process dies, the test process gets a Keras2pbError.
    z = runtime_zoo["mnist_cnn"]
    raw = tmp_path / "raw.pb"
    shutil.copy(z["pb"], raw)
    raw.with_name("raw.pb.json").write_text(json.dumps(z["cv_side"]))
    with pytest.raises(Keras2pbError, match=r"raw\.pb: OpenCV (crashed|could not|has no)"):
        run_opencv(raw, z["feeds"])


def test_plain_graph_is_refused_with_advice(runtime_zoo):
    with pytest.raises(Keras2pbError, match="not the OpenCV variant.*--for-opencv"):
        run_opencv(runtime_zoo["mnist_cnn"]["pb"], runtime_zoo["mnist_cnn"]["feeds"])


def test_bad_feeds_are_refused(runtime_zoo):
    z = runtime_zoo["two_io"]
    with pytest.raises(Keras2pbError, match="missing input.*meta"):
        run_opencv(z["cv_pb"], {"image": z["feeds"]["image"]})
    with pytest.raises(Keras2pbError, match="2 inputs"):
        run_opencv(z["cv_pb"], z["feeds"]["image"])
    with pytest.raises(Keras2pbError, match="4-D NHWC"):
        run_opencv(runtime_zoo["mnist_cnn"]["cv_pb"], np.zeros((2, 784), np.float32))


def test_missing_opencv_is_a_clear_error(runtime_zoo, monkeypatch):
    monkeypatch.setenv("KERAS2PB_RUNTIME_MODULES", "cv2=keras2pb_no_such_cv2")
    z = runtime_zoo["mnist_cnn"]
    with pytest.raises(Keras2pbError, match="keras2pb_no_such_cv2 is not installed.*pip install"):
        run_opencv(z["cv_pb"], z["feeds"])


def test_cli_freeze_for_opencv(runtime_zoo, tmp_path, capsys):
    from keras2pb.cli import main

    out = tmp_path / "cli.pb"
    assert main(["freeze", str(runtime_zoo["mnist_cnn"]["keras_file"]), str(out),
                 "--for-opencv"]) == 0
    assert "wrote" in capsys.readouterr().out
    side = json.loads((tmp_path / "cli.pb.json").read_text())
    assert side["opencv"]["input_layout"] == "NCHW"
    z = runtime_zoo["mnist_cnn"]
    assert max_diff(z["expected"], run_opencv(out, z["feeds"]).outputs) <= 1e-5


def test_control_flow_is_refused_before_anything_is_written(tmp_path):
    import keras

    from keras2pb import freeze

    model = keras.Sequential([keras.Input((5, 3), name="seq"), keras.layers.LSTM(4),
                              keras.layers.Dense(2, name="out")], name="lstm")
    with pytest.raises(Keras2pbError, match="OpenCV DNN cannot run this graph: it keeps "
                                            ".*(Enter|While|Switch)") as caught:
        freeze(model, tmp_path / "lstm.pb", for_opencv=True)
    assert str(caught.value).startswith(f"{tmp_path / 'lstm.pb'}: ")  # the file it is about
    assert list(tmp_path.iterdir()) == []


def _opencv_matches_keras(model, tmp_path, name):
    """Freeze ``model`` for OpenCV, run it at batch 1 and 4; return (sidecar, non-Const ops)."""
    from keras2pb import freeze
    from tests.helpers.matrix_cells import nontrivial_weights

    nontrivial_weights(model, 0)
    pb = tmp_path / f"{name}.opencv.pb"
    side = freeze(model, pb, for_opencv=True)
    x = np.random.default_rng(0).standard_normal((4, *model.input.shape[1:])).astype("float32")
    for n in (1, 4):
        got = run_opencv(pb, x[:n]).outputs
        assert max_diff({side["outputs"][0]["name"]: np.asarray(model(x[:n]))}, got) <= 1e-5, n
    return side["opencv"], [nd.op for nd in read_graph_def(pb).node if nd.op != "Const"]


def test_applications_batchnorm_becomes_bias_add_and_depthwise(tmp_path):
    # keras.applications' BatchNormalization(axis=3) folds into Mul/AddV2 of [1, 1, 1, C]
    # constants; after a Conv2D, OpenCV 5.0 ran that AddV2 0.15 off at batch 4 (no error),
    # DenseNet121 failed with total(...). Both become per-channel ops OpenCV runs right.
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    x = keras.Input((6, 6, 3), name="image")
    y = layers.ReLU()(layers.BatchNormalization(axis=3)(layers.Conv2D(4, 3, use_bias=False)(x)))
    y = layers.Concatenate(axis=3)([y, layers.Conv2D(2, 3)(x)])
    y = layers.ReLU()(layers.BatchNormalization(axis=3)(y))
    cv, ops = _opencv_matches_keras(keras.Model(x, layers.Conv2D(2, 1)(y)), tmp_path, "bn")
    assert cv["adds_to_bias_adds"] == 2 and cv["muls_to_depthwise"] == 1
    assert "AddV2" not in ops and "Mul" not in ops and "DepthwiseConv2dNative" in ops


def test_rescaling_and_normalization_read_and_run(tmp_path):
    # EfficientNetB0's stem: x * (1/255), then (x - 0) * 1 with all-zero / repeated-value
    # constants OpenCV could not read (!field.empty()), and a BiasAdd after a Mul, which
    # OpenCV 5.0 failed at batch 4.
    import keras
    from keras import layers

    x = keras.Input((6, 6, 3), name="image")
    y = layers.Normalization(mean=[0.0, 0.0, 0.0], variance=[1.0, 1.0, 1.0])(
        layers.Rescaling(1 / 255)(x))
    cv, ops = _opencv_matches_keras(keras.Model(x, layers.Conv2D(2, 3)(y)), tmp_path, "stem")
    assert cv["lone_bias_adds_to_depthwise"] == 1 and cv["explicit_consts"] >= 1
    assert ops.count("DepthwiseConv2dNative") == 2


def test_depthwise_on_one_pixel_keeps_only_the_centre_tap(tmp_path):
    # OpenCV's 3x3 depthwise kernel reads outside a 1-pixel input (EfficientNetB0 at 32x32).
    import keras
    from keras import layers

    x = keras.Input((1, 1, 4), name="image")
    cv, _ = _opencv_matches_keras(keras.Model(x, layers.DepthwiseConv2D(3, padding="same")(x)),
                                  tmp_path, "one_px")
    assert cv["one_pixel_depthwise"] == 1
    gd = read_graph_def(tmp_path / "one_px.opencv.pb")
    dw = next(n for n in gd.node if n.op == "DepthwiseConv2dNative")
    filt = next(n for n in gd.node if n.name == dw.input[1])
    assert [d.size for d in filt.attr["value"].tensor.tensor_shape.dim] == [1, 1, 4, 1]


def test_explicit_consts_writes_out_implicit_values():
    import tensorflow as tf
    from tensorflow.core.framework.graph_pb2 import GraphDef

    from keras2pb.graph.opencv_rewrite import explicit_consts

    gd = GraphDef()
    cases = {"zeros": np.zeros((1, 1, 1, 3), np.float32), "splat": np.full((2, 2), 0.5, np.float32),
             "zero_scalar": np.int32(0), "five": np.int32(5), "full": np.arange(3, dtype=np.int32)}
    for name, value in cases.items():
        node = gd.node.add(name=name, op="Const")
        node.attr["dtype"].type = tf.as_dtype(value.dtype).as_datatype_enum
        node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value, shape=value.shape))
    for i in (0, 1, 2):  # as grappler leaves them: zeros with no values, one value for all
        tensor = gd.node[i].attr["value"].tensor
        for f in ("tensor_content", "float_val", "int_val"):
            tensor.ClearField(f)
    gd.node[1].attr["value"].tensor.float_val.append(0.5)
    out, count = explicit_consts(gd)
    assert count == 3
    for node in out.node:
        tensor = node.attr["value"].tensor
        np.testing.assert_array_equal(tf.make_ndarray(tensor), cases[node.name])
        assert tensor.tensor_content or len(tensor.int_val) == 1, node.name


def test_rewrites_leave_other_dtypes_and_missing_attrs_alone():
    """The depthwise rewrites build float32 nodes: a float64 BiasAdd or depthwise convolution
    stays as it is, and no attribute is added to a node that lacked it."""
    import tensorflow as tf

    from keras2pb.graph.opencv_rewrite import lone_bias_adds_to_depthwise, one_pixel_depthwise

    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float64, (None, 1, 1, 3), name="x")
        y = tf.nn.bias_add(x, tf.constant([1.0, 2.0, 3.0], tf.float64), name="bias")
        tf.nn.depthwise_conv2d(y, tf.ones((3, 3, 3, 1), tf.float64), [1, 1, 1, 1], "SAME",
                               name="dw")
    gd = graph.as_graph_def()
    for rewrite in (lone_bias_adds_to_depthwise, one_pixel_depthwise):
        out, count = rewrite(gd)
        assert count == 0 and out == gd, rewrite.__name__
