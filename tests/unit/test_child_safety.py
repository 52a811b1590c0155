"""Issue 22, classes 2 and 4: what a child process imports, how long it may run, and that it
dies with its parent.

Children start in Python's safe-path mode with an environment keras2pb controls, so modules
beside a downloaded model (``keras.py``, ``numpy.py``) never run; every child has a time limit
by default, a memory limit, its own process group, and is killed when its parent dies.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from keras2pb import Keras2pbError
from keras2pb.runtime.isolation import run_child

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="PR_SET_PDEATHSIG is Linux's")


def _plant(folder, marker):
    """``keras.py`` and ``numpy.py`` in ``folder`` that leave ``marker`` when imported."""
    for name in ("keras", "numpy", "tensorflow"):
        (folder / f"{name}.py").write_text(
            f"open({str(marker)!r}, 'a').write({name!r})\nraise SystemExit(42)\n")


def _child_print(code: str, **kwargs) -> str:
    proc = run_child(["-c", code], path="x.pb", crashed="crashed ({signal})", **kwargs)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_a_child_does_not_import_modules_from_the_working_folder(tmp_path, monkeypatch):
    marker = tmp_path / "RAN"
    _plant(tmp_path, marker)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(["", ".", str(tmp_path / "nowhere")]))
    out = _child_print("import sys, numpy; print(sys.flags.safe_path, numpy.__file__)")
    assert not marker.exists()
    safe, numpy_file = out.split()
    assert safe == "True" and not numpy_file.startswith(str(tmp_path))


def test_a_childs_own_children_are_safe_too(tmp_path, monkeypatch):
    marker = tmp_path / "RAN"
    _plant(tmp_path, marker)
    monkeypatch.chdir(tmp_path)
    code = ("import subprocess, sys; "
            "print(subprocess.run([sys.executable, '-c', 'import numpy']).returncode)")
    assert _child_print(code) == "0" and not marker.exists()


def test_cli_predict_beside_a_planted_keras_py_does_not_run_it(tmp_path, monkeypatch, capfd):
    import keras
    import numpy as np

    from keras2pb import freeze
    from keras2pb.cli import main

    inp = keras.Input((4,), name="x")
    model = keras.Model(inp, keras.layers.Dense(2, name="y")(inp))
    freeze(model, tmp_path / "m.pb")
    np.save(tmp_path / "x.npy", np.ones((1, 4), np.float32))
    marker = tmp_path / "RAN"
    _plant(tmp_path, marker)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KERAS2PB_ISOLATED_CHILD", raising=False)
    assert main(["predict", "m.pb", "x.npy"]) == 0, capfd.readouterr().err
    assert "y: shape (1, 2) float32" in capfd.readouterr().out
    assert not marker.exists()


def test_python_m_keras2pb_beside_a_planted_keras_py_does_not_run_it(tmp_path):
    """``python -m keras2pb freeze`` runs in the parent process, where ``-m`` put the working
    folder first on sys.path (a reviewer's tensorflow.py ran); the console script never had it.
    A user's module beside the model still works through --custom-objects."""
    import keras

    inp = keras.Input((4,), name="x")
    keras.Model(inp, keras.layers.Dense(2, name="y")(inp)).save(tmp_path / "m.keras")
    marker = tmp_path / "RAN"
    _plant(tmp_path, marker)
    (tmp_path / "mymod.py").write_text("import keras\n\nclass Nothing(keras.layers.Layer):\n"
                                       "    pass\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for extra in ([], ["--custom-objects", "mymod:Nothing"]):
        proc = subprocess.run([sys.executable, "-m", "keras2pb", "freeze", "m.keras", "m.pb",
                               *extra], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert not marker.exists()


def test_every_child_has_a_time_limit_by_default(monkeypatch):
    monkeypatch.setenv("KERAS2PB_CHILD_TIMEOUT", "1")
    with pytest.raises(Keras2pbError, match=r"^x\.pb: the child process did not finish within "
                                            r"1 s .*KERAS2PB_CHILD_TIMEOUT"):
        run_child(["-c", "import time; time.sleep(600)"], path="x.pb",
                  crashed="crashed ({signal})")


def test_the_time_limit_also_stops_the_childs_children(tmp_path, monkeypatch):
    """A hung child's own children (its process group) are stopped with it."""
    pid_file = tmp_path / "grandchild.pid"
    code = ("import subprocess, sys, time; "
            "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
            f"open({str(pid_file)!r}, 'w').write(str(p.pid)); time.sleep(600)")
    for limit in (5, 30, 120):  # a loaded machine may need longer to start the grandchild
        with pytest.raises(Keras2pbError, match="did not finish"):
            run_child(["-c", code], path="x.pb", crashed="crashed ({signal})", timeout=limit)
        if pid_file.exists():
            break
    pid = int(pid_file.read_text())
    # SIGKILL went to the whole group; the grandchild may take a moment to finish dying (it is
    # not our child to wait for): poll, then only its zombie (init reaps it) may remain
    deadline = time.monotonic() + 60
    while _state(pid) not in (None, "Z") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _state(pid) in (None, "Z")


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None


def test_a_time_limit_of_zero_means_none(monkeypatch):
    monkeypatch.setenv("KERAS2PB_CHILD_TIMEOUT", "0")
    assert _child_print("print('done')") == "done"


def test_a_bad_time_limit_is_a_one_line_error(monkeypatch):
    monkeypatch.setenv("KERAS2PB_CHILD_TIMEOUT", "soon")
    with pytest.raises(Keras2pbError, match="KERAS2PB_CHILD_TIMEOUT"):
        run_child(["-c", "pass"], path="x.pb", crashed="crashed ({signal})")


@linux_only
def test_a_child_is_killed_when_its_parent_dies():
    code = ("import ctypes, signal; libc = ctypes.CDLL(None); v = ctypes.c_int(); "
            "libc.prctl(2, ctypes.byref(v)); print(v.value)")  # PR_GET_PDEATHSIG
    assert _child_print(code) == str(int(__import__("signal").SIGKILL))


@linux_only
def test_a_child_leads_its_own_process_group():
    assert _child_print("import os; print(os.getpgid(0) == os.getpid())") == "True"


@linux_only
def test_a_child_has_a_memory_limit(monkeypatch):
    monkeypatch.setenv("KERAS2PB_CHILD_MEMORY_MB", "3000")
    code = "import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0])"
    assert _child_print(code) == str(3000 * 2**20)
    monkeypatch.setenv("KERAS2PB_CHILD_MEMORY_MB", "0")  # 0: no limit
    assert _child_print(code) == str(-1)


def test_a_crash_names_the_memory_limit_it_may_have_hit(monkeypatch):
    """Past RLIMIT_AS TensorFlow dies of a signal: the error says the limit and how to raise
    it (it blamed the inputs only)."""
    kill = "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"
    monkeypatch.setenv("KERAS2PB_CHILD_MEMORY_MB", "3000")
    with pytest.raises(Keras2pbError, match=r"crashed \(SIGSEGV\); or it needed more than "
                                            r"the child's memory limit of 3,000 MB \(raise "
                                            r"KERAS2PB_CHILD_MEMORY_MB"):
        run_child(["-c", kill], path="x.pb", crashed="crashed ({signal})")
    monkeypatch.setenv("KERAS2PB_CHILD_MEMORY_MB", "0")
    with pytest.raises(Keras2pbError, match=r"crashed \(SIGSEGV\)$"):
        run_child(["-c", kill], path="x.pb", crashed="crashed ({signal})")
