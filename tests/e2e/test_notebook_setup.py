"""The notebooks' Setup cells: find keras2pb (or clone it on Colab), then check the versions.

The second cell's ``tutorial.start("NN")`` checks the versions and prints where the notebook
sits in the lesson. The find-or-clone cell is executed here for real, offline, in temp
folders: Colab is faked by a ``google.colab`` entry in ``sys.modules`` and "not installed" by
``find_spec``; the clone is a real ``git clone`` of this repository through a ``file://`` URL.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

from keras2pb import tutorial

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = tutorial.notebook_paths(REPO / "notebooks")
URL_LINE = 'REPO_URL = ""'


def _setup_cells(path: Path) -> tuple[str, str]:
    """(find-or-clone cell, imports + version check cell): the first two code cells."""
    nb = nbformat.read(path, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    return code[0], code[1]


FIND = _setup_cells(NOTEBOOKS[0])[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_notebook_has_the_same_short_setup(path):
    find, check = _setup_cells(path)
    assert find == FIND, f"{path.name}: the find-or-clone cell differs from 01's"
    assert find.count(URL_LINE) == 1
    assert len(find.splitlines()) <= 10
    assert len(check.splitlines()) <= 15
    # the version check and the you-are-here line: one call, this notebook's number
    assert f'tutorial.start("{path.name[:2]}"' in check
    assert "TF_CPP_MIN_LOG_LEVEL" not in find + check
    assert "assert tf.__version__" not in check  # a tested version warns, it does not stop


@pytest.fixture
def run_cell(monkeypatch, tmp_path):
    """Run the find-or-clone cell in ``cwd``: (namespace, paths put first on sys.path, calls)."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    calls: list[list[str]] = []
    real_run = subprocess.run

    def recording_run(args, *a, **kw):
        calls.append(list(args))
        return real_run(args, *a, **kw)

    monkeypatch.setattr(subprocess, "run", recording_run)

    def run(cwd: Path, *, colab: bool = False, installed: bool = True, url: str = ""):
        monkeypatch.chdir(cwd)
        if colab:
            monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
        else:
            monkeypatch.delitem(sys.modules, "google.colab", raising=False)
        if not installed:
            real = importlib.util.find_spec
            monkeypatch.setattr(importlib.util, "find_spec",
                                lambda name, *a: None if name == "keras2pb" else real(name, *a))
        before = list(sys.path)
        ns: dict = {}
        exec(FIND.replace(URL_LINE, f"REPO_URL = {url!r}"), ns)
        assert sys.path[len(sys.path) - len(before):] == before  # only put in front
        return ns, sys.path[:len(sys.path) - len(before)], calls

    return run


def test_finds_the_repository_from_notebooks_and_from_the_root(run_cell):
    for cwd in (REPO / "notebooks", REPO):
        _, added, calls = run_cell(cwd, installed=False)
        assert added == [str(REPO)] and calls == []


def test_finds_a_clone_inside_the_working_folder(run_cell, tmp_path):
    (tmp_path / "keras2pb" / "keras2pb").mkdir(parents=True)
    (tmp_path / "keras2pb" / "keras2pb" / "__init__.py").write_text("")
    _, added, calls = run_cell(tmp_path, colab=True, installed=False, url="file:///nowhere")
    assert added == [str(tmp_path.resolve() / "keras2pb")] and calls == []


def test_outside_the_repository_an_installed_keras2pb_is_used(run_cell, tmp_path):
    _, added, calls = run_cell(tmp_path, installed=True)
    assert added == [] and calls == []


@pytest.mark.parametrize("colab, url", [(False, "file:///x"), (True, "")])
def test_nothing_to_find_gives_one_clear_line(run_cell, tmp_path, colab, url):
    with pytest.raises(ModuleNotFoundError) as info:
        run_cell(tmp_path, colab=colab, installed=False, url=url)
    assert str(info.value) == (f"keras2pb: not found in or above {tmp_path.resolve()} "
                               "(README: Colab)")
    assert not (tmp_path / "keras2pb").exists()


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(),
                    reason="needs git and a git checkout of the repository")
def test_on_colab_it_clones_the_repository_and_uses_it(run_cell, tmp_path):
    url = f"file://{REPO}"
    _, added, calls = run_cell(tmp_path, colab=True, installed=False, url=url)
    clone = tmp_path.resolve() / "keras2pb"
    assert calls == [["git", "clone", "-q", "--depth=1", url, "keras2pb"]]
    assert added == [str(clone)]
    assert (clone / "keras2pb" / "versions.py").is_file()
    assert (clone / "keras2pb" / "tutorial" / "sample" / "mnist_sample.npz").is_file()  # MNIST
    assert tutorial.repo_root(clone / "notebooks") == clone
    # a second run finds the clone instead of cloning again
    _, added, calls = run_cell(tmp_path, colab=True, installed=False, url=url)
    assert len(calls) == 1


def _run_in_kernel(cells: list[str], cwd: Path):
    """Run ``cells`` in a fresh python3 kernel in ``cwd``; return (notebook, error or None)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        return nb, exc
    return nb, None


def _stdout(nb) -> str:
    return "".join(o.get("text", "") for c in nb.cells for o in c.outputs
                   if o.output_type == "stream" and o.name == "stdout")


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_setup_cells_run_in_a_real_kernel(path):
    import tensorflow as tf

    nb, error = _run_in_kernel(list(_setup_cells(path)), REPO / "notebooks")
    assert error is None, error
    assert f"TensorFlow {tf.__version__}" in _stdout(nb).splitlines()[0]


@pytest.mark.notebooks
@pytest.mark.parametrize("version, stops", [("2.19.1", False), ("2.15.1", True)])
def test_version_cell_warns_or_stops_in_one_line(version, stops):
    """A faked ``tf.__version__``: a tested one warns and goes on, an old one stops."""
    find, check = _setup_cells(REPO / "notebooks" / "03_load_pb_and_predict.ipynb")
    fake = f"import tensorflow as tf\ntf.__version__ = {version!r}"
    nb, error = _run_in_kernel([fake, find, check, "print('went on')"], REPO / "notebooks")
    if not stops:
        assert error is None, error
        lines = _stdout(nb).splitlines()
        assert lines[0].startswith(f"warning: TensorFlow {version}: tested")
        assert lines[-1] == "went on"
        return
    assert error is not None and error.ename == "UnsupportedVersion"
    [err] = [o for o in nb.cells[2].outputs if o.output_type == "error"]
    assert err.traceback == [f"UnsupportedVersion: TensorFlow {version}: keras2pb needs "
                             "TensorFlow 2.19 or newer with Keras 3: pip install -r "
                             "requirements.txt (TensorFlow 2.21 + Keras 3)"]
    assert nb.cells[3].outputs == []  # "Run all" stopped there
