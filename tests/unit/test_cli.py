"""The CLI on real models: every subcommand, and one-line errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from keras2pb.cli import main


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "keras2pb", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def h5(zoo):
    return zoo["h5"]["source"]


def test_freeze_inspect_predict_verify(h5, tmp_path, capfd, zoo):
    pb = tmp_path / "m.pb"
    assert main(["freeze", str(h5), str(pb)]) == 0
    out = capfd.readouterr().out
    assert "feed image:0; fetch probs:0" in out
    assert pb.is_file() and (tmp_path / "m.pb.json").is_file()

    assert main(["inspect", str(pb), "--json"]) == 0
    info = json.loads(capfd.readouterr().out)
    assert info["outputs"][0]["tensor"] == "probs:0" and info["node_count"] > 10

    x = zoo["h5"]["feeds"]["image"]
    np.save(tmp_path / "x.npy", x)
    assert main(["predict", str(pb), str(tmp_path / "x.npy"), "-o", str(tmp_path / "y.npy")]) == 0
    y = np.load(tmp_path / "y.npy")
    np.testing.assert_allclose(y, zoo["h5"]["expected"]["probs"], atol=1e-5)
    capfd.readouterr()
    assert main(["predict", str(pb), str(tmp_path / "x.npy")]) == 0
    assert f"argmax: {y.argmax(1).tolist()}" in capfd.readouterr().out

    assert main(["verify", str(h5), str(pb), "--json"]) == 0
    result = json.loads(capfd.readouterr().out)
    assert result["ok"] and result["argmax_agreement"] == 1.0


def test_predict_several_inputs_from_npz(zoo, tmp_path):
    case = zoo["two_io"]
    np.savez(tmp_path / "in.npz", **case["feeds"])
    assert main(["predict", str(case["pb"]), str(tmp_path / "in.npz"),
                 "-o", str(tmp_path / "out.npz")]) == 0
    with np.load(tmp_path / "out.npz") as out:
        np.testing.assert_allclose(out["score"], case["expected"]["score"], atol=1e-5)
    assert main(["predict", str(case["pb"]), str(tmp_path / "in.npz"),
                 "-o", str(tmp_path / "out.npy")]) == 1  # two outputs need .npz
    assert not (tmp_path / "out.npy").exists()


def test_freeze_with_custom_objects_option(zoo, tmp_path, capfd):
    src = zoo["custom_file"]["source"]
    assert main(["freeze", str(src), str(tmp_path / "c.pb"),
                 "--custom-objects", "tests.helpers.custom_layers:CUSTOM_OBJECTS"]) == 0
    assert main(["freeze", str(src), str(tmp_path / "d.pb")]) == 1
    err = capfd.readouterr().err.strip()
    assert "custom-objects" in err and str(src) in err and "\n" not in err
    assert not (tmp_path / "d.pb").exists()


def test_unnamed_npz_feeds_a_one_input_graph(h5, zoo, tmp_path, capfd):
    pb = zoo["h5"]["pb"]
    np.savez(tmp_path / "x.npz", zoo["h5"]["feeds"]["image"])  # stored as arr_0
    assert main(["verify", str(h5), str(pb), "--input", str(tmp_path / "x.npz")]) == 0
    assert "argmax agreement 100.0% -> OK" in capfd.readouterr().out
    assert main(["predict", str(pb), str(tmp_path / "x.npz")]) == 0


def test_custom_objects_module_from_the_current_folder(zoo, tmp_path, capfd, monkeypatch):
    (tmp_path / "my_layers.py").write_text("from tests.helpers.custom_layers import Scale\n")
    monkeypatch.chdir(tmp_path)
    src = zoo["custom_file"]["source"]
    assert main(["freeze", str(src), "c.pb", "--custom-objects", "my_layers:Scale"]) == 0
    assert (tmp_path / "c.pb").is_file()


def test_help_for_every_subcommand(capfd):
    for cmd in ("freeze", "inspect", "predict", "verify", "show", "export-onnx"):
        with pytest.raises(SystemExit) as info:
            main([cmd, "--help"])
        assert info.value.code == 0
        assert f"usage: keras2pb {cmd}" in capfd.readouterr().out


def test_missing_file_one_line_no_traceback(tmp_path):
    proc = _run("inspect", str(tmp_path / "missing.pb"))
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"keras2pb: error: {tmp_path / 'missing.pb'}: no such graph "\
        "file (.pb)"
    assert proc.stdout == ""


def test_wrong_tensor_name_one_line_lists_real_names(mnist_pb, tmp_path):
    np.savez(tmp_path / "x.npz", imgae=np.zeros((1, 28, 28, 1), np.float32))
    proc = _run("predict", str(mnist_pb), str(tmp_path / "x.npz"))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "no input or output named 'imgae'; this graph has: image, probs" in lines[0]
    assert str(mnist_pb) in lines[0]
    assert "Traceback" not in proc.stderr


def test_debug_shows_the_traceback(tmp_path):
    proc = _run("inspect", str(tmp_path / "missing.pb"), "--debug")
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "Keras2pbError" in proc.stderr
