"""Issue 22, classes 1 and 5: an output never destroys what is not ours, and pairs stay pairs.

An output path that exists and is not a regular file (a FIFO, a device) is refused, and so is an
output that is the same file as an input; SIGTERM and SIGHUP mid-write leave no temp file; a
``.pb`` and its sidecar are renamed into place under one lock, so two writers cannot mix them.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from keras2pb import Keras2pbError
from keras2pb.cli import main
from keras2pb.fileio import atomic_write_bytes, atomic_write_many, check_output


def _copy(src: Path, dst: Path) -> Path:
    dst.write_bytes(src.read_bytes())
    return dst


def test_a_fifo_target_is_refused_and_kept(tmp_path):
    fifo = tmp_path / "out.npy"
    os.mkfifo(fifo)
    with pytest.raises(Keras2pbError, match=r"out\.npy: exists and is not a regular file \(a "
                                            r"FIFO\)"):
        atomic_write_bytes(fifo, b"data")
    assert fifo.is_fifo() and os.listdir(tmp_path) == ["out.npy"]


def test_a_device_target_is_refused(tmp_path):
    with pytest.raises(Keras2pbError, match=r"/dev/null: exists and is not a regular file "
                                            r"\(a character device\)"):
        check_output("/dev/null")


def test_a_symlink_to_a_device_is_refused(tmp_path):
    link = tmp_path / "out.npy"
    link.symlink_to("/dev/null")
    with pytest.raises(Keras2pbError, match="not a regular file"):
        atomic_write_bytes(link, b"data")
    assert link.is_symlink()


def test_an_output_that_is_an_input_is_refused(tmp_path):
    model = tmp_path / "m.h5"
    model.write_bytes(b"model")
    link = tmp_path / "link.h5"
    link.symlink_to(model)
    for out in (model, link, tmp_path / "." / "m.h5"):
        with pytest.raises(Keras2pbError, match=r"is also an input \(m\.h5\); write to "
                                                "another file"):
            check_output(out, inputs=[model])
    check_output(tmp_path / "new.pb", inputs=[model, tmp_path / "missing.pb"])  # fine


def test_cli_freeze_onto_its_own_model_keeps_the_model(tiny, tmp_path, capsys):
    model = _copy(tiny / "tiny.h5", tmp_path / "m.h5")
    before = model.read_bytes()
    assert main(["freeze", str(model), str(model)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"keras2pb: error: {model}: is also an input") and err.count("\n") == 1
    assert model.read_bytes() == before and not (tmp_path / "m.h5.json").exists()


def test_cli_show_onto_its_graph_keeps_the_graph(tiny, tmp_path, capsys):
    pb = _copy(tiny / "tiny.pb", tmp_path / "g.pb")
    before = pb.read_bytes()
    assert main(["show", str(pb), "-o", str(pb)]) == 1
    assert "is also an input" in capsys.readouterr().err and pb.read_bytes() == before


def test_cli_predict_onto_a_fifo_or_its_input_is_refused(tiny, tmp_path, capsys, monkeypatch):
    fifo = tmp_path / "y.npy"
    os.mkfifo(fifo)
    x = _copy(tiny / "x.npy", tmp_path / "x.npy")
    assert main(["predict", str(tiny / "tiny.pb"), str(x), "-o", str(fifo)]) == 1
    assert "not a regular file (a FIFO)" in capsys.readouterr().err and fifo.is_fifo()
    before = x.read_bytes()
    assert main(["predict", str(tiny / "tiny.pb"), str(x), "-o", str(x)]) == 1
    assert "is also an input" in capsys.readouterr().err and x.read_bytes() == before


def test_cli_export_onnx_onto_its_graph_is_refused(tiny, tmp_path, capsys):
    pb = _copy(tiny / "tiny.pb", tmp_path / "g.pb")
    _copy(tiny / "tiny.pb.json", tmp_path / "g.pb.json")
    before = pb.read_bytes()
    assert main(["export-onnx", str(pb), str(pb)]) == 1
    assert "is also an input" in capsys.readouterr().err and pb.read_bytes() == before


@pytest.mark.parametrize("command", ["predict", "show", "export-onnx"])
def test_cli_output_onto_the_graphs_sidecar_is_refused(tiny, tmp_path, capsys, command):
    """The sidecar is read beside the graph: writing onto it would lose the graph's names (a
    reviewer's predict -o g.pb.json wrote an array there and exited 0)."""
    pb = _copy(tiny / "tiny.pb", tmp_path / "g.pb")
    side = _copy(tiny / "tiny.pb.json", tmp_path / "g.pb.json")
    before = side.read_bytes()
    args = {"predict": ["predict", str(pb), str(tiny / "x.npy"), "-o", str(side)],
            "show": ["show", str(pb), "-o", str(side)],
            "export-onnx": ["export-onnx", str(pb), str(side)]}[command]
    assert main(args) == 1
    assert "is also an input (g.pb.json)" in capsys.readouterr().err
    assert side.read_bytes() == before


def test_a_pair_is_renamed_while_the_folder_lock_is_held(tmp_path, monkeypatch):
    """Both renames of atomic_write_many happen under an exclusive lock on the folder, so a
    second writer (another freeze to the same output) waits instead of interleaving."""
    held = []
    real_replace = os.replace

    def replace(src, dst):
        probe = os.open(tmp_path, os.O_RDONLY)
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held.append(False)
        except BlockingIOError:
            held.append(True)
        finally:
            os.close(probe)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    atomic_write_many({tmp_path / "m.pb": b"graph", tmp_path / "m.pb.json": b"{}"})
    assert held == [True, True]
    assert (tmp_path / "m.pb").read_bytes() == b"graph"


_WRITE_THEN_SIGNAL = """
import os, signal, sys
from keras2pb import cli, fileio

def write(args):
    with fileio.atomic_output(sys.argv[2]) as tmp:
        tmp.write_bytes(b"half")
        os.kill(os.getpid(), getattr(signal, sys.argv[1]))
        tmp.write_bytes(b"whole")

cli._cmd_show = write  # "show" imports no TensorFlow: a quick child
sys.exit(cli.main(["show", "unused.pb", "-o", "unused.html"]))
"""


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signal_mid_write_leaves_no_temp_file(signame, tmp_path):
    out = tmp_path / "x.pb"
    out.write_bytes(b"old")
    proc = subprocess.run([sys.executable, "-c", _WRITE_THEN_SIGNAL, signame, str(out)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env=dict(os.environ, KERAS2PB_ISOLATED_CHILD="1"))
    assert proc.returncode == 128 + getattr(signal, signame), proc.stderr
    assert sorted(os.listdir(tmp_path)) == ["x.pb"] and out.read_bytes() == b"old"
    assert proc.stderr.strip().startswith("keras2pb: ")
    assert "Traceback" not in proc.stderr
