"""The C client: keras2pb/runtime/c/predict.c compiled with gcc against the TensorFlow wheel's C
API, run as a real process on real .pb files and compared with keras2pb.load."""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest

from keras2pb import Keras2pbError, load
from keras2pb.runtime.c_client import build_c_client, c_command, parse_c_output, run_c_client


def _python_outputs(pb, feeds):
    with load(pb) as graph:
        return graph.run(feeds)


@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize("case", ["mnist_cnn", "two_io", "issue_h5"])
def test_c_matches_python_to_1e6(runtime_zoo, c_client, case, batch):
    z = runtime_zoo[case]
    feeds = {k: v[:batch] for k, v in z["feeds"].items()}
    got = run_c_client(c_client, z["pb"], feeds)
    expected = _python_outputs(z["pb"], feeds)
    assert set(got) == set(expected) == {e["name"] for e in z["side"]["outputs"]}
    for name, ref in expected.items():
        assert got[name].shape == ref.shape
        assert np.max(np.abs(got[name] - ref)) <= 1e-6, name


def test_two_inputs_two_outputs_by_tensor_name(runtime_zoo, c_client, tmp_path):
    # The command a C user types, with ":0" tensor names and outputs in a chosen order.
    z = runtime_zoo["two_io"]
    np.save(tmp_path / "image.npy", z["feeds"]["image"][:3])
    np.save(tmp_path / "meta.npy", z["feeds"]["meta"][:3])
    cmd = c_command(c_client, z["pb"], {"meta:0": tmp_path / "meta.npy",
                                        "image:0": tmp_path / "image.npy"},
                    ["score:0", "digit:0"])
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "score:0: shape [3, 1]"
    got = parse_c_output(proc.stdout)
    assert list(got) == ["score", "digit"]
    expected = _python_outputs(z["pb"], {k: v[:3] for k, v in z["feeds"].items()})
    for name in ("score", "digit"):
        assert np.max(np.abs(got[name] - expected[name])) <= 1e-6


def test_raw_float32_input_with_shape(runtime_zoo, c_client, tmp_path):
    z = runtime_zoo["mnist_cnn"]
    x = z["feeds"]["image"][:2]
    x.astype("<f4").tofile(tmp_path / "digits.f32")
    proc = subprocess.run([str(c_client), str(z["pb"]), "-i",
                           f"image={tmp_path / 'digits.f32'}:2,28,28,1", "-o", "probs"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    got = parse_c_output(proc.stdout)["probs"]
    assert np.max(np.abs(got - _python_outputs(z["pb"], x)["probs"])) <= 1e-6


#: How TensorFlow's own log lines start (absl's notice, then "I0000 00:00:..." style lines).
TF_LOG_PREFIXES = ("WARNING: All log messages before absl", "I0", "W0", "E0")


def _fails(cmd):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    own = [ln for ln in proc.stderr.splitlines() if ln.startswith("predict:")]
    return proc.returncode, own


def test_bad_input_is_one_line_naming_the_file(runtime_zoo, c_client, tmp_path):
    z = runtime_zoo["mnist_cnn"]
    x = tmp_path / "x.npy"
    np.save(x, z["feeds"]["image"][:1])
    code, own = _fails([c_client, z["pb"], "-i", f"image={x}", "-o", "nowhere"])
    assert code == 1 and len(own) == 1
    assert own[0] == f"predict: error: {z['pb']}: no output tensor 'nowhere' in the graph " \
                     "(see its .pb.json)"
    code, own = _fails([c_client, tmp_path / "missing.pb", "-i", f"image={x}", "-o", "probs"])
    assert (code, own) == (1, [f"predict: error: {tmp_path / 'missing.pb'}: "
                               "No such file or directory"])
    ints = tmp_path / "ints.npy"
    np.save(ints, np.zeros((1, 28, 28, 1), np.int64))
    code, own = _fails([c_client, z["pb"], "-i", f"image={ints}", "-o", "probs"])
    assert code == 1 and own == [f"predict: error: {ints}: the .npy array is not float32 "
                                 "(need '<f4')"]
    proc = subprocess.run([str(c_client), str(z["pb"]), "-i", f"image={x}"],  # no -o
                          capture_output=True, text=True, timeout=300)
    # TensorFlow may log a oneDNN line when the library loads, whatever TF_CPP_MIN_LOG_LEVEL
    # says (it depends on the CPU): only the program's own line is checked.
    usage = [ln for ln in proc.stderr.splitlines() if not ln.startswith(TF_LOG_PREFIXES)]
    assert proc.returncode == 2
    assert len(usage) == 1 and usage[0].startswith("usage: predict GRAPH.pb -i NAME="), usage


def test_run_c_client_reports_the_clients_message(runtime_zoo, c_client):
    z = runtime_zoo["two_io"]
    with pytest.raises(Keras2pbError, match=r"the C client failed: .*no_such_output"):
        run_c_client(c_client, z["pb"], z["feeds"], outputs=["no_such_output"])
    with pytest.raises(Keras2pbError, match=r"two_io\.pb: missing input\(s\) meta"):
        run_c_client(c_client, z["pb"], {"image": z["feeds"]["image"][:1]})  # caught first


def test_no_compiler_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CC", "keras2pb-no-such-cc")
    with pytest.raises(Keras2pbError, match="no C compiler \\(keras2pb-no-such-cc\\).*gcc"):
        build_c_client(tmp_path / "predict")
    assert list(tmp_path.iterdir()) == []
