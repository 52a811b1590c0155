"""Issue 22, classes 4 (archive bounds), 6, 7 and 8: bad input is a one-line error naming the
file, never an internal error (exit 3), a silent wrong answer or raw terminal control codes."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from keras2pb import Keras2pbError, load
from keras2pb.cli import main

ESC = "\x1b"


@pytest.fixture(autouse=True)
def _in_process(monkeypatch):
    """Run predict/verify/export-onnx in this process (the child's own code path)."""
    monkeypatch.setenv("KERAS2PB_ISOLATED_CHILD", "1")


def _graph_with_sidecar(tiny: Path, folder: Path, edit) -> Path:
    pb = folder / "g.pb"
    pb.write_bytes((tiny / "tiny.pb").read_bytes())
    side = json.loads((tiny / "tiny.pb.json").read_text())
    text = edit(side)
    (folder / "g.pb.json").write_text(text if isinstance(text, str) else json.dumps(side))
    return pb


def _one_error_line(capsys, *names: object) -> str:
    err = capsys.readouterr().err
    assert err.startswith("keras2pb: error: ") and err.count("\n") == 1, err
    assert "internal error" not in err and ESC not in err
    for name in names:
        assert str(name) in err, err
    return err


def test_a_sidecar_nested_deeply_is_one_line(tiny, tmp_path, capsys):
    pb = _graph_with_sidecar(tiny, tmp_path, lambda s: json.dumps(s)[:-1] + ', "deep": '
                             + "[" * 200_000 + "]" * 200_000 + "}")
    assert main(["predict", str(pb), str(tiny / "x.npy")]) == 1
    _one_error_line(capsys, "g.pb.json", "nested too deeply")


def test_a_sidecar_tensor_the_graph_lacks_is_one_line(tiny, tmp_path):
    def edit(side):
        side["outputs"][0]["tensor"] = "probs:7"

    pb = _graph_with_sidecar(tiny, tmp_path, edit)
    with pytest.raises(Keras2pbError, match=r"g\.pb: sidecar names tensor 'probs:7'.*has 1 "
                                            "output"):
        load(pb)


def test_fetching_an_output_index_the_node_lacks_is_refused(tiny, capsys):
    assert main(["predict", str(tiny / "tiny.pb"), str(tiny / "x.npy"),
                 "--outputs", "probs:7"]) == 1
    _one_error_line(capsys, "tiny.pb", "probs:7")


def test_a_sidecar_without_outputs_is_refused(tiny, tmp_path, capsys):
    def edit(side):
        side["outputs"] = []

    pb = _graph_with_sidecar(tiny, tmp_path, edit)
    out = tmp_path / "y.npz"
    assert main(["predict", str(pb), str(tiny / "x.npy"), "-o", str(out)]) == 1
    _one_error_line(capsys, "g.pb.json", "no outputs")
    assert not out.exists()


def test_a_deeply_nested_pbtxt_is_one_line(tmp_path, capsys):
    pbtxt = tmp_path / "deep.pbtxt"
    pbtxt.write_text('node { name: "a" op: "Const" attr { key: "value" value { '
                     + 'list { func { name: "f" attr { key: "k" value { ' * 2500
                     + "} } } } " * 2500 + "} } }")
    assert main(["inspect", str(pbtxt)]) == 1
    _one_error_line(capsys, "deep.pbtxt", "nested too deeply")


def test_show_of_a_name_thousands_of_scopes_deep_is_one_line(tiny, tmp_path, capsys):
    from tensorflow.core.framework.graph_pb2 import GraphDef

    gd = GraphDef.FromString((tiny / "tiny.pb").read_bytes())
    gd.node.add(name="/".join(["s"] * 1200), op="NoOp")
    pb = tmp_path / "deep_scope.pb"
    pb.write_bytes(gd.SerializeToString())
    assert main(["show", str(pb), "-o", str(tmp_path / "v.html")]) == 1
    _one_error_line(capsys, "deep_scope.pb", "scopes deep")


def _npy_claiming(path: Path, shape: tuple[int, ...]) -> Path:
    header = f"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}".encode()
    header += b" " * (118 - len(header)) + b"\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header)
    return path


def test_an_npy_header_claiming_a_huge_shape_is_one_line(tiny, tmp_path, capsys):
    npy = _npy_claiming(tmp_path / "huge.npy", (100_000_000_000, 8))
    assert main(["predict", str(tiny / "tiny.pb"), str(npy)]) == 1
    _one_error_line(capsys, "huge.npy", "(100000000000, 8)")


def test_an_npz_member_claiming_a_huge_shape_is_one_line(tiny, tmp_path, capsys):
    npy = _npy_claiming(tmp_path / "x.npy", (100_000_000_000, 8))
    npz = tmp_path / "huge.npz"
    with zipfile.ZipFile(npz, "w") as z:
        z.write(npy, "x.npy")
    assert main(["predict", str(tiny / "tiny.pb"), str(npz)]) == 1
    _one_error_line(capsys, "huge.npz")


def test_an_npz_archive_bomb_is_one_line(tiny, tmp_path, capsys):
    """A small .npz whose member honestly declares 80 MiB of zeros: the header check passes
    (the member holds what it says) but it inflates ~1000 times (a reviewer's 2 MB file took
    12 GB of memory in predict)."""

    npz = tmp_path / "bomb.npz"
    header = np.lib.format
    with zipfile.ZipFile(npz, "w", zipfile.ZIP_DEFLATED) as z, \
            z.open("x.npy", "w", force_zip64=True) as f:
        header.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False,
                                          "shape": (20 * 2**20, 1)})
        chunk = bytes(2**20)
        for _ in range(80):
            f.write(chunk)
    assert npz.stat().st_size < 2**20
    assert main(["predict", str(tiny / "tiny.pb"), str(npz)]) == 1
    _one_error_line(capsys, "bomb.npz", "inflates")


def test_inspect_into_a_closed_pipe_in_a_real_process(tiny):
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "keras2pb", "inspect", str(tiny / "tiny.pb")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader went away before the first line
    err = proc.stderr.read().decode()
    proc.wait(timeout=300)
    assert proc.returncode != 3 and "internal error" not in err and "Traceback" not in err


def _escape_graph(tiny: Path, path: Path) -> Path:
    import tensorflow as tf
    from tensorflow.core.framework.graph_pb2 import GraphDef

    gd = GraphDef.FromString((tiny / "tiny.pb").read_bytes())
    read = gd.node.add(name=f"evil{ESC}[2K{ESC}[1A\u202eName", op="ReadFile")
    name = gd.node.add(name="file", op="Const")
    name.attr["dtype"].type = tf.string.as_datatype_enum
    name.attr["value"].tensor.dtype = tf.string.as_datatype_enum
    name.attr["value"].tensor.string_val.append(b"/etc/hostname")
    read.input.append("file")
    path.write_bytes(gd.SerializeToString())
    return path


def test_escape_sequences_in_node_names_are_printed_visibly(tiny, tmp_path, capsys):
    pb = _escape_graph(tiny, tmp_path / "esc.pb")
    assert main(["inspect", str(pb)]) == 0
    out = capsys.readouterr().out
    assert "unsafe ops: evil\\x1b[2K\\x1b[1A\\u202eName (ReadFile)" in out
    assert ESC not in out and "\u202e" not in out
    assert main(["predict", str(pb), str(tiny / "x.npy")]) == 1
    err = _one_error_line(capsys, "esc.pb", "evil\\x1b[2K")
    assert "\u202e" not in err


def test_debug_before_the_command_is_honoured(tmp_path):
    with pytest.raises(Keras2pbError, match="no such graph file"):
        main(["--debug", "inspect", str(tmp_path / "missing.pb")])


def test_string_lookup_reading_outside_the_archive_says_why(tmp_path, capsys):
    import keras

    inp = keras.Input((1,), dtype="string", name="s")
    model = keras.Model(inp, keras.layers.StringLookup(vocabulary=["a", "b"])(inp))
    good = tmp_path / "sl.keras"
    model.save(good)
    (tmp_path / "vocab.txt").write_text("a\nb\n")
    evil = tmp_path / "evil.keras"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(evil, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "config.json":
                cfg = json.loads(data)
                for layer in cfg["config"]["layers"]:
                    if layer["class_name"] == "StringLookup":
                        layer["config"]["vocabulary"] = str(tmp_path / "vocab.txt")
                data = json.dumps(cfg).encode()
            dst.writestr(name, data)
    assert main(["freeze", str(evil), str(tmp_path / "e.pb")]) == 1
    err = _one_error_line(capsys, "evil.keras", "vocabulary file outside the archive",
                          "--unsafe")
    assert "TypeError" not in err


def test_a_keras_archive_whose_config_inflates_too_far_is_refused(tiny, tmp_path, capsys,
                                                                 monkeypatch):
    monkeypatch.setenv("KERAS2PB_MAX_CONFIG_MB", "1")
    bomb = tmp_path / "bomb.keras"
    with zipfile.ZipFile(tiny / "tiny.keras") as src, \
            zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "config.json":
                data = data[:-1] + b"," + b'"pad": "' + b" " * 2_000_000 + b'"}'
            dst.writestr(name, data)
    assert bomb.stat().st_size < 200_000
    assert main(["freeze", str(bomb), str(tmp_path / "b.pb")]) == 1
    _one_error_line(capsys, "bomb.keras", "config.json", "KERAS2PB_MAX_CONFIG_MB")


def test_export_onnx_checks_the_tensorflow_version(tiny, tmp_path, capsys, monkeypatch):
    pytest.importorskip("tf2onnx")
    import tensorflow as tf

    monkeypatch.setattr(tf, "__version__", "2.15.1")
    assert main(["export-onnx", str(tiny / "tiny.pb"), str(tmp_path / "m.onnx")]) == 1
    _one_error_line(capsys, "2.15.1")
    assert not (tmp_path / "m.onnx").exists()


def test_c_client_refuses_an_npy_shape_that_overflows(c_client, tiny, tmp_path):
    npy = _npy_claiming(tmp_path / "big.npy", (2**62, 4))  # 2**64 floats: wraps to 0 bytes
    proc = subprocess.run([str(c_client), str(tiny / "tiny.pb"), "-i", f"x={npy}",
                           "-o", "probs"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    mine = [line for line in proc.stderr.splitlines() if line.startswith("predict:")]
    assert len(mine) == 1 and mine[0].startswith(f"predict: error: {npy}: "), proc.stderr
    assert "too large" in mine[0]
