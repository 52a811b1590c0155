"""verify_runtimes and verify --runtimes: a row per runtime; missing ones skipped, not failed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from keras2pb import Keras2pbError
from keras2pb.runtime.compare import format_table, verify_runtimes
from keras2pb.runtime.optional import MODULES_ENV
from keras2pb.runtime.registry import missing_modules

ALL = ["tf", "opencv", "onnx", "opencv-onnx"]
GONE = "cv2=keras2pb_no_such_cv2,onnxruntime=keras2pb_no_such_ort"


def test_every_runtime_matches_keras(runtime_zoo):
    z = runtime_zoo["two_io"]
    rows = verify_runtimes(z["model"], z["cv_pb"], ALL)
    assert [r["runtime"] for r in rows] == ALL
    for row in rows:
        assert row["status"] == "ok", row
        assert row["max_abs_diff"] <= 1e-5
        assert row["argmax_agreement"] == 1.0
        assert row["latency_ms"] > 0
        assert row["n"] == 64
        assert sorted(row["batches"], key=int) == ["1", "64"]  # batch 1 and >= 2
        assert row["relative_error"] <= 1e-4


def test_plain_graph_is_converted_for_opencv_on_the_fly(runtime_zoo):
    z = runtime_zoo["bn_cnn"]
    x = z["feeds"]["image"][:10]
    (row,) = verify_runtimes(z["model"], z["pb"], ["opencv"], x)
    assert row["status"] == "ok" and row["max_abs_diff"] <= 1e-5 and row["n"] == 10
    assert "converted on the fly" in row["note"]


def test_missing_runtimes_are_skipped(runtime_zoo, monkeypatch):
    monkeypatch.setenv(MODULES_ENV, GONE)
    assert missing_modules("opencv") == ["keras2pb_no_such_cv2"]
    assert missing_modules("tf") == []
    z = runtime_zoo["mnist_cnn"]
    rows = verify_runtimes(z["model"], z["cv_pb"], ALL)
    status = {r["runtime"]: r["status"] for r in rows}
    assert status == {"tf": "ok", "opencv": "skipped", "onnx": "skipped",
                      "opencv-onnx": "skipped"}
    skipped = rows[1]
    assert skipped["max_abs_diff"] is None and skipped["latency_ms"] is None
    assert "pip install opencv-python-headless" in skipped["note"]
    assert "| opencv | skipped | - | - | - | - |" in format_table(rows)


def test_a_failing_runtime_is_a_failed_row(runtime_zoo, tmp_path):
    # A plain graph under a sidecar that claims to be the OpenCV variant: OpenCV 5 segfaults
    # (4.x refuses it) in the child process; verify reports it and carries on.
    z = runtime_zoo["mnist_cnn"]
    pb = tmp_path / "liar.pb"
    pb.write_bytes(z["pb"].read_bytes())
    pb.with_name("liar.pb.json").write_text(json.dumps(z["cv_side"]))
    rows = verify_runtimes(z["model"], pb, ["opencv", "tf"])
    assert [r["status"] for r in rows] == ["failed", "ok"]
    assert "liar.pb: OpenCV" in rows[0]["note"]


def test_unknown_runtime_is_a_user_error(runtime_zoo):
    z = runtime_zoo["mnist_cnn"]
    with pytest.raises(Keras2pbError,
                       match="unknown runtime 'tensorrt'.*tf, c, opencv, opencv-onnx, onnx"):
        verify_runtimes(z["model"], z["pb"], ["tf", "tensorrt"])
    with pytest.raises(Keras2pbError, match="no runtimes given"):
        verify_runtimes(z["model"], z["pb"], [" "])


def test_format_table():
    rows = [{"runtime": "tf", "status": "ok", "max_abs_diff": 1.5e-7, "argmax_agreement": 1.0,
             "latency_ms": 0.5, "n": 64, "note": "x"}]
    table = format_table(rows).splitlines()
    assert table[0].startswith("| runtime | status | max abs diff vs Keras |")
    assert table[2] == "| tf | ok | 1.5e-07 | 100.0 % | - | 0.500 | x |"
    rows[0]["batches"] = {"1": 2e-8, "64": 3.5e-8}
    assert "| 2.0e-08 (1), 3.5e-08 (64) |" in format_table(rows)


def test_cli_verify_runtimes_json(runtime_zoo, capfd):
    from keras2pb.cli import main

    z = runtime_zoo["mnist_cnn"]
    code = main(["verify", str(z["keras_file"]), str(z["cv_pb"]), "--runtimes",
                 "tf,opencv,onnx,opencv-onnx", "--json"])
    rows = json.loads(capfd.readouterr().out)  # the CLI runs verify in a child process
    assert code == 0
    assert [(r["runtime"], r["status"]) for r in rows] == [(n, "ok") for n in ALL]


def test_cli_verify_runtimes_prints_a_row_each_and_skips_missing(runtime_zoo):
    # The real command in a fresh process, where opencv and onnxruntime are "not installed".
    z = runtime_zoo["mnist_cnn"]
    env = dict(os.environ, **{MODULES_ENV: GONE})
    proc = subprocess.run([sys.executable, "-m", "keras2pb", "verify", str(z["keras_file"]),
                           str(z["cv_pb"]), "--runtimes", "tf,opencv,onnx,opencv-onnx"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("|")]
    assert lines[0].startswith("| runtime |")
    assert lines[2].startswith("| tf | ok |")
    assert lines[3].startswith("| opencv | skipped |")
    assert lines[4].startswith("| onnx | skipped |")
    assert lines[5].startswith("| opencv-onnx | skipped |")
    assert "not installed" in lines[3] and "pip install" in lines[4]


def test_core_does_not_import_the_runtimes():
    # Keras itself imports cv2 when it is installed; keras2pb must add none of them.
    code = ("import sys, keras, tensorflow; names = ('cv2', 'onnxruntime', 'tf2onnx', 'onnx'); "
            "before = {m for m in names if m in sys.modules}; "
            "import keras2pb.freezing.freeze, keras2pb.runtime.frozen_graph, "
            "keras2pb.runtime.verify, keras2pb.cli, "
            "keras2pb.runtime.opencv, keras2pb.runtime.onnx_export, keras2pb.runtime.compare; "
            "print(sorted(m for m in names if m in sys.modules and m not in before))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_check_lists_the_runtimes_and_says_what_is_missing(monkeypatch):
    import cv2
    import onnxruntime

    from keras2pb.tutorial.readiness import CHECKS, _run_one

    name = "other runtimes (notebook 05)"
    fn = dict(CHECKS)[name]
    check = _run_one(name, fn, {}, False)
    assert check.ok, check.detail
    assert f"OpenCV {cv2.__version__}" in check.detail
    assert f"ONNX Runtime {onnxruntime.__version__}" in check.detail
    monkeypatch.setenv(MODULES_ENV, GONE)
    check = _run_one(name, fn, {}, False)
    assert not check.ok
    assert check.detail == ("not installed: keras2pb_no_such_cv2, keras2pb_no_such_ort; "
                            "notebook 05 skips them: pip install -r requirements-runtimes.txt")
