"""`pip install .` gives the whole library: the wheel, installed into a fresh venv, run elsewhere.

The wheel is built from a copy of what it is made of (pyproject.toml, README.md, keras2pb/),
offline (``pip wheel --no-deps --no-build-isolation --no-index``), and pip installs it into a
new venv before anything else is visible there. Only then does a ``.pth`` file lend that venv
this environment's site-packages for TensorFlow and the rest, appended after its own, so
``import keras2pb`` finds the wheel's copy (the test asserts it), never the repository's.
Everything runs from a folder outside the repository, without PYTHONPATH.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

#: Freeze -> load -> predict -> show with the installed wheel; prints what it found as JSON.
CHILD = """
import importlib.util, json, sys
import numpy as np
import keras2pb

(x, y), (x_test, _) = keras2pb.load_mnist(n_train=256, n_test=8)
model = keras2pb.mnist_cnn()
keras2pb.train(model, ((x, y), (x_test, _)), epochs=1, verbose=0)
side = keras2pb.freeze(model, "mnist_cnn.pb")
with keras2pb.load("mnist_cnn.pb") as graph:
    probs = graph(x_test)
np.save("digits.npy", x_test)
from keras2pb.runtime.c_client import build_c_client, run_c_client
c_probs = run_c_client(build_c_client("predict"), "mnist_cnn.pb", x_test)["probs"]
view = keras2pb.show_graphs(model, "mnist_cnn.pb")
view.save("graphs.html")
print(json.dumps({
    "file": keras2pb.__file__, "prefix": sys.prefix,
    "diff": float(np.abs(probs - np.asarray(model(x_test, training=False))).max()),
    "shape": list(probs.shape), "nodes": side["node_count"],
    "c_diff": float(np.abs(c_probs - probs).max()),
    "stages": type(view.diff).__name__,
    "show_graph_module": importlib.util.find_spec("show_graph") is not None,
}))
"""


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 600):
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n" \
                                 f"{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """Build the wheel, install it into a fresh venv; returns the paths and a clean env."""
    if importlib.util.find_spec("setuptools") is None:  # Python 3.12+ venvs come without it
        pytest.skip("building the wheel offline needs setuptools in this environment")
    tmp = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "KERAS2PB_MODELS_DIR", "KERAS2PB_MNIST")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    shutil.copytree(REPO / "keras2pb", src / "keras2pb",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--no-index", "-q", "-w", str(tmp / "dist"), "./src"], tmp, env)
    [wheel] = (tmp / "dist").glob("keras2pb-*.whl")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp, env)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
          "--no-index", "-q", str(wheel)], tmp, env)
    # Only now: TensorFlow and the rest from this environment, after the venv's own packages.
    [own] = [p for p in (venv / "lib").glob("python3*/site-packages")]
    (own / "zz_borrowed.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    outside = tmp / "elsewhere"
    outside.mkdir()
    return {"wheel": wheel, "venv": venv, "python": python, "env": env, "cwd": outside}


def test_the_wheel_holds_the_library_its_data_and_no_tests(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for needed in ("keras2pb/show.py", "keras2pb/tutorial/sample/mnist_sample.npz",
                   "keras2pb/tutorial/sample/README.md",
                   "keras2pb/tutorial/templates/offline_html.j2",
                   "keras2pb/viewer/assets/viewer.js",
                   "keras2pb/viewer/assets/vendor/dagre/dagre.min.js",
                   "keras2pb/runtime/c/predict.c", "keras2pb/runtime/c/build.sh"):
        assert needed in names, needed
    assert not [n for n in names if n.startswith(("tests/", "show_graph", "keras2pb/fuzzing"))]


def test_freeze_load_predict_show_from_the_installed_wheel(installed):
    cwd, venv = installed["cwd"], installed["venv"]
    assert not cwd.resolve().is_relative_to(REPO)
    proc = _run([str(installed["python"]), "-c", CHILD], cwd, installed["env"])
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(found["file"]).resolve().is_relative_to(venv.resolve()), found["file"]
    assert found["shape"] == [8, 10] and found["diff"] < 1e-5, found
    assert found["c_diff"] <= 1e-6, found  # the C client, compiled from the installed package
    assert found["stages"] == "StageDiff" and found["nodes"] > 0
    assert not found["show_graph_module"]  # the repository root's re-export stays there
    page = (cwd / "graphs.html").read_text(encoding="utf-8")
    assert "training step" in page and "frozen graph" in page
    # The console script, and `keras2pb predict`'s child process, use the wheel too.
    _run([str(venv / "bin" / "keras2pb"), "predict", "mnist_cnn.pb", "digits.npy",
          "-o", "probs.npy"], cwd, installed["env"])
    assert (cwd / "probs.npy").is_file()


def test_keras2pb_check_is_green_outside_the_repository(installed):
    proc = _run([str(installed["venv"] / "bin" / "keras2pb"), "check"], installed["cwd"],
                installed["env"])
    lines = proc.stdout.splitlines()
    assert not [line for line in lines if line.startswith("✗")], proc.stdout
    sample = [line for line in lines if line.startswith("✓ MNIST sample (offline): ")]
    assert sample and str(installed["venv"].resolve()) in sample[0], proc.stdout
    skipped = [line for line in lines if line.startswith("- ")]
    assert [line.split(":")[0] for line in skipped] == ["- notebooks",
                                                        "- models/ folder writable"]
    assert all("no keras2pb checkout" in line for line in skipped)
    assert lines[-1].startswith("all ") and "2 skipped" in lines[-1], lines[-1]
