"""OpenVINO reads the frozen .pb: sidecar names, float32 precision, batch 1 and more."""

from __future__ import annotations

import json

import numpy as np
import pytest

from keras2pb import Keras2pbError
from keras2pb.runtime.compare import verify_runtimes
from keras2pb.runtime.optional import MODULES_ENV

pytest.importorskip("openvino")

from keras2pb.runtime.openvino import OpenVinoModel  # noqa: E402


@pytest.mark.parametrize("case", ["mnist_cnn", "bn_cnn", "flatten_dynamic", "two_io"])
def test_matches_keras_at_batch_1_and_more(runtime_zoo, case):
    z = runtime_zoo[case]
    model = OpenVinoModel(z["pb"])
    assert model.input_names == [i["name"] for i in z["side"]["inputs"]]
    for batch in (1, 7, 64):
        feeds = {k: v[:batch] for k, v in z["feeds"].items()}
        out = model(feeds)
        assert sorted(out) == sorted(o["name"] for o in z["side"]["outputs"])
        for name, expected in z["expected"].items():
            assert out[name].shape == expected[:batch].shape
            np.testing.assert_allclose(out[name], expected[:batch], atol=1e-5, rtol=0)


def test_runs_in_float32_whatever_the_cpu(runtime_zoo):
    model = OpenVinoModel(runtime_zoo["mnist_cnn"]["pb"])
    assert str(model.compiled.get_property("INFERENCE_PRECISION_HINT")) in ("<Type: 'float32'>",
                                                                            "f32")


def test_feeds_by_name_with_or_without_port(runtime_zoo):
    z = runtime_zoo["mnist_cnn"]
    model = OpenVinoModel(z["pb"])
    x = z["feeds"]["image"][:3]
    np.testing.assert_array_equal(model({"image:0": x})["probs"], model(x)["probs"])
    with pytest.raises(Keras2pbError, match="imgae"):
        model({"imgae": x})
    # checked against the sidecar first: not OpenVINO's cut-off "...cpu_memory_desc.h:99:"
    with pytest.raises(Keras2pbError, match=r"mnist_cnn.*: input 'image' expects shape "
                                            r"\(None, 28, 28, 1\), got \(2, 27, 28, 1\)$"):
        model(np.zeros((2, 27, 28, 1), np.float32))
    with pytest.raises(Keras2pbError, match=r"expects shape \(None, 28, 28, 1\), got \(28, 28\)"):
        model(np.zeros((28, 28), np.float32))
    with pytest.raises(Keras2pbError, match="expects dtype float32"):
        model(np.full((1, 28, 28, 1), "a"))
    np.testing.assert_allclose(model(x.astype(np.float64))["probs"], model(x)["probs"])


def test_extra_outputs_by_tensor_name(runtime_zoo):
    z = runtime_zoo["mnist_cnn"]
    model = OpenVinoModel(z["pb"], extra_outputs=["mnist_cnn_1/dense_1/Relu:0", "nope:0"])
    out = model(z["feeds"]["image"][:2])
    assert out["mnist_cnn_1/dense_1/Relu:0"].shape == (2, 128)
    assert model.missing == ["nope:0"]


def test_needs_the_sidecar(runtime_zoo, tmp_path):
    pb = tmp_path / "bare.pb"
    pb.write_bytes(runtime_zoo["mnist_cnn"]["pb"].read_bytes())
    with pytest.raises(Keras2pbError, match="bare.pb"):
        OpenVinoModel(pb)


def test_verify_runtimes_row(runtime_zoo, monkeypatch):
    z = runtime_zoo["two_io"]
    (row,) = verify_runtimes(z["model"], z["pb"], ["openvino"])
    assert row["status"] == "ok", row
    assert row["max_abs_diff"] <= 1e-5 and row["argmax_agreement"] == 1.0
    assert row["latency_ms"] > 0 and row["n"] == 64
    assert "OpenVINO" in row["note"]
    monkeypatch.setenv(MODULES_ENV, "openvino=keras2pb_no_such_openvino")
    (row,) = verify_runtimes(z["model"], z["pb"], ["openvino"])
    assert row["status"] == "skipped" and "pip install openvino" in row["note"]


def test_per_node_drift_against_tensorflow(runtime_zoo):
    from keras2pb.runtime.drift import per_node_drift

    z = runtime_zoo["bn_cnn"]
    report = per_node_drift(z["model"], z["pb"], "tf,openvino", z["feeds"]["image"][:4])
    keras_tf, tf_ov = report.pairs
    assert (tf_ov.reference, tf_ov.runtime, tf_ov.status) == ("tf", "openvino", "ok")
    assert len(tf_ov.nodes) >= len(keras_tf.nodes) - 1
    assert report.first_divergence is None
    assert json.loads(json.dumps(report.to_dict(), allow_nan=False))["pairs"][1]["runtime"] \
        == "openvino"


@pytest.mark.parametrize("make", ["string_lookup_model", "integer_lookup_model"])
def test_text_models_are_refused_with_the_way_out(make, tmp_path):
    """OpenVINO's TensorFlow reader has no strings or lookup tables: one line saying so and
    where the .pb does run (the zoo's text rows said "TypeError: data type 'string' not
    understood" or a converter report)."""
    from keras2pb import freeze
    from tests.helpers import feature_zoo

    model = getattr(feature_zoo, make)()
    freeze(model, tmp_path / "text.pb")
    with pytest.raises(Keras2pbError, match=r"text\.pb: OpenVINO's TensorFlow reader takes no "
                                            r"string tensors or lookup tables.*keras2pb\.load"):
        OpenVinoModel(tmp_path / "text.pb")
