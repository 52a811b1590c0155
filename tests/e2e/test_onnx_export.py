"""export_onnx: tf2onnx from the sidecar's names, run in real ONNX Runtime, compared with Keras."""

from __future__ import annotations

import json
import shutil

import pytest

from keras2pb import Keras2pbError
from keras2pb.runtime.onnx_export import OnnxModel, export_onnx
from tests.fixtures.runtimes import CASES, argmax_agrees, max_diff


@pytest.mark.parametrize("case", CASES)
def test_export_matches_keras_in_onnxruntime(runtime_zoo, case, tmp_path):
    z = runtime_zoo[case]
    path = export_onnx(z["pb"], tmp_path / f"{case}.onnx")
    assert path == tmp_path / f"{case}.onnx" and path.stat().st_size > 0
    assert [p.name for p in tmp_path.iterdir()] == [f"{case}.onnx"]  # no temp file left
    model = OnnxModel(path)
    assert model.input_names == [e["tensor"] for e in z["side"]["inputs"]]
    assert model.output_names == [e["tensor"] for e in z["side"]["outputs"]]
    got = model(z["feeds"])
    assert max_diff(z["expected"], got) <= 1e-5
    assert argmax_agrees(z["expected"], got)


def test_export_of_the_opencv_variant_with_an_opset(runtime_zoo, tmp_path):
    import onnx

    z = runtime_zoo["bn_cnn"]
    path = export_onnx(z["cv_pb"], tmp_path / "bn.onnx", opset=15)
    proto = onnx.load(str(path))
    assert next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")) == 15
    got = OnnxModel(path)(z["feeds"]["image"])  # one input: a bare array is fine
    assert max_diff(z["expected"], got) <= 1e-5


def test_no_sidecar_means_no_guessing(runtime_zoo, tmp_path):
    bare = tmp_path / "bare.pb"
    shutil.copy(runtime_zoo["mnist_cnn"]["pb"], bare)
    with pytest.raises(Keras2pbError, match=r"bare\.pb: no sidecar bare\.pb\.json"):
        export_onnx(bare, tmp_path / "bare.onnx")
    assert not (tmp_path / "bare.onnx").exists()


def test_conversion_failure_is_one_line(runtime_zoo, tmp_path):
    z = runtime_zoo["mnist_cnn"]
    broken = tmp_path / "broken.pb"
    shutil.copy(z["pb"], broken)
    side = dict(z["side"], outputs=[dict(z["side"]["outputs"][0], tensor="nowhere:0")])
    broken.with_name("broken.pb.json").write_text(json.dumps(side))
    with pytest.raises(Keras2pbError, match=r"broken\.pb: tf2onnx could not convert") as info:
        export_onnx(broken, tmp_path / "broken.onnx")
    assert "\n" not in str(info.value)
    assert not (tmp_path / "broken.onnx").exists()


def test_missing_tf2onnx_is_a_clear_error(runtime_zoo, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS2PB_RUNTIME_MODULES", "tf2onnx=keras2pb_no_such_tf2onnx")
    with pytest.raises(Keras2pbError, match="keras2pb_no_such_tf2onnx is not installed: "
                                            "pip install tf2onnx"):
        export_onnx(runtime_zoo["mnist_cnn"]["pb"], tmp_path / "m.onnx")


def test_unwritable_destination(runtime_zoo, tmp_path):
    with pytest.raises(Keras2pbError, match="does not exist"):
        export_onnx(runtime_zoo["mnist_cnn"]["pb"], tmp_path / "no" / "m.onnx")


def test_wrong_feeds(runtime_zoo, tmp_path):
    z = runtime_zoo["two_io"]
    model = OnnxModel(export_onnx(z["pb"], tmp_path / "two.onnx"))
    with pytest.raises(Keras2pbError, match="missing input.*meta:0"):
        model({"image": z["feeds"]["image"]})
    with pytest.raises(Keras2pbError, match="pass a dict"):
        model(z["feeds"]["image"])


def test_cli_export_onnx(runtime_zoo, tmp_path, capfd):
    """export-onnx runs in a child process (tf2onnx runs ops): its stdout is file-level."""
    from keras2pb.cli import main

    out = tmp_path / "cli.onnx"
    assert main(["export-onnx", str(runtime_zoo["flatten_dynamic"]["pb"]), str(out)]) == 0
    assert f"wrote {out}" in capfd.readouterr().out
    z = runtime_zoo["flatten_dynamic"]
    assert max_diff(z["expected"], OnnxModel(out)(z["feeds"])) <= 1e-5
    assert main(["export-onnx", str(tmp_path / "missing.pb"), str(out)]) == 1
    assert "keras2pb: error:" in capfd.readouterr().err
