"""keras2pb.runtime.isolation: a child killed by a real signal becomes a one-line error."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from keras2pb import Keras2pbError, load
from keras2pb.cli import main
from keras2pb.runtime.isolation import own_lines, run_child, signal_name

DYING = Path(__file__).resolve().parents[1] / "helpers" / "dying_child"


def _die_at_start(monkeypatch, signame: str) -> None:
    """Every child started from now on dies by ``signame`` as Python starts."""
    monkeypatch.setenv("PYTHONPATH", str(DYING))
    monkeypatch.setenv("KERAS2PB_TEST_DIE_WITH", signame)


@pytest.mark.parametrize("signame", ["SIGSEGV", "SIGABRT"])
def test_run_child_names_the_signal_that_killed_it(signame, monkeypatch):
    monkeypatch.setenv("KERAS2PB_CHILD_MEMORY_MB", "0")  # no limit: no memory clause
    with pytest.raises(Keras2pbError) as info:
        run_child([str(DYING / "die.py"), signame], path="model.pb",
                  crashed="the thing crashed ({signal}) on purpose")
    assert str(info.value) == f"model.pb: the thing crashed ({signame}) on purpose"


def test_run_child_returns_a_normal_exit_and_its_output():
    proc = run_child(["-c", "import sys; print('out'); sys.exit(3)"], path="x.pb",
                     crashed="crashed ({signal})")
    assert (proc.returncode, proc.stdout.strip()) == (3, "out")


def test_run_child_imports_this_copy_of_keras2pb(tmp_path):
    proc = run_child(["-c", "import keras2pb; print(keras2pb.__file__)"], path="x.pb",
                     crashed="crashed ({signal})", env={"PYTHONPATH": str(tmp_path)})
    import keras2pb

    assert proc.stdout.strip() == keras2pb.__file__


def test_run_child_stops_a_child_that_hangs():
    with pytest.raises(Keras2pbError, match=r"^x.pb: the child process did not finish within 1 s"):
        run_child(["-c", "import time; time.sleep(60)"], path="x.pb",
                  crashed="crashed ({signal})", timeout=1)


def test_signal_names_and_own_lines():
    assert signal_name(-11) == "SIGSEGV" and signal_name(-6) == "SIGABRT"
    assert signal_name(-250) == "signal 250"
    assert own_lines("*** SIGSEGV\nkeras2pb: error: a\n#0 0x7f\nkeras2pb: b\n") == [
        "keras2pb: error: a", "keras2pb: b"]


@pytest.mark.parametrize("signame", ["SIGSEGV", "SIGABRT"])
def test_cli_predict_turns_a_killed_child_into_one_line(signame, mnist_pb, tmp_path,
                                                        monkeypatch, capfd):
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((1, 28, 28, 1), np.float32))
    _die_at_start(monkeypatch, signame)
    monkeypatch.setenv("KERAS2PB_CHILD_MEMORY_MB", "0")  # no limit: no memory clause
    code = main(["predict", str(mnist_pb), str(x), "-o", str(tmp_path / "out.npy")])
    err = capfd.readouterr().err
    assert code == 1
    assert err.splitlines() == [f"keras2pb: error: {mnist_pb}: TensorFlow crashed ({signame}) "
                                "while importing or running this graph: the inputs do not fit "
                                "it (check their shapes against `keras2pb inspect`), or the "
                                "file is damaged or hostile"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npy"], "nothing written"


def test_load_isolate_turns_a_killed_probe_into_an_error(mnist_pb, monkeypatch):
    _die_at_start(monkeypatch, "SIGABRT")
    with pytest.raises(Keras2pbError, match=r"TensorFlow crashed \(SIGABRT\)"):
        load(mnist_pb, isolate=True)


def test_load_isolate_passes_a_good_graph(mnist_pb):
    with load(mnist_pb, isolate=True) as graph:
        assert graph(np.zeros((1, 28, 28, 1), np.float32)).shape == (1, 10)


def test_child_python_is_this_python():
    proc = run_child(["-c", "import sys; print(sys.executable)"], path="x",
                     crashed="crashed ({signal})")
    assert proc.stdout.strip() == sys.executable
