"""The notebooks' Setup cells: find keras2pb (a clone on Colab), then check the versions.

The first code cell (at most 4 lines) puts this repository's keras2pb first on ``sys.path`` and
imports it; the second cell's ``tutorial.start("NN")`` checks the versions and prints where the
notebook sits in the lesson. The find part is executed here for real, offline, in temp folders;
the README's Colab route is its clone line, run through a ``file://`` URL of this repository.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from keras2pb import tutorial

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = tutorial.notebook_paths(REPO / "notebooks")
IMPORT_LINE = 'import keras2pb  # not found? On Colab, clone the repository first (README, "Colab")'


def _setup_cells(path: Path) -> tuple[str, str]:
    """(find cell, imports + version check cell): the first two code cells."""
    nb = nbformat.read(path, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    return code[0], code[1]


FIND = _setup_cells(NOTEBOOKS[0])[0]
#: The find cell without its last line (the import): what it does to sys.path.
FIND_PATH = FIND.rsplit("\n", 1)[0]


def _readme_clone_line() -> str:
    """The README's Colab clone line, e.g. ``!git clone -q --depth=1 <repository URL> keras2pb``."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    colab = readme[readme.index("### Colab"):readme.index("## Troubleshooting")]
    [line] = re.findall(r"^!git clone .*$", colab, re.M)
    return line


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_notebook_has_the_same_short_setup(path):
    find, check = _setup_cells(path)
    assert find == FIND, f"{path.name}: the find cell differs from 01's"
    assert len(find.splitlines()) <= 4  # issue 20: set-up out of the way
    assert find.splitlines()[-1] == IMPORT_LINE  # fails in one line, pointing at the README
    assert len(check.splitlines()) <= 15
    # the version check and the you-are-here line: one call, this notebook's number
    assert f'tutorial.start("{path.name[:2]}"' in check
    assert "TF_CPP_MIN_LOG_LEVEL" not in find + check
    assert "assert tf.__version__" not in check  # a tested version warns, it does not stop
    setup_md = next(c.source for c in nbformat.read(path, as_version=4).cells
                    if c.cell_type == "markdown" and c.source.startswith("## Setup"))
    assert _readme_clone_line() in setup_md.replace("\n", " ")  # the same Colab line


@pytest.fixture
def run_cell(monkeypatch):
    """Run the find cell's path part in ``cwd``: the paths it put first on sys.path."""
    monkeypatch.setattr(sys, "path", list(sys.path))

    def run(cwd: Path) -> list[str]:
        monkeypatch.chdir(cwd)
        before = list(sys.path)
        exec(FIND_PATH, {})
        assert sys.path[len(sys.path) - len(before):] == before  # only put in front
        return sys.path[:len(sys.path) - len(before)]

    return run


def test_finds_the_repository_from_notebooks_and_from_the_root(run_cell):
    for cwd in (REPO / "notebooks", REPO):
        assert run_cell(cwd) == [str(REPO)]


def test_finds_a_clone_inside_the_working_folder(run_cell, tmp_path):
    (tmp_path / "keras2pb" / "keras2pb").mkdir(parents=True)
    (tmp_path / "keras2pb" / "keras2pb" / "__init__.py").write_text("")
    assert run_cell(tmp_path) == [str(tmp_path.resolve() / "keras2pb")]


def test_a_folder_named_keras2pb_without_the_package_is_not_taken(run_cell, tmp_path):
    (tmp_path / "keras2pb" / "notes").mkdir(parents=True)  # e.g. a half-finished clone
    assert run_cell(tmp_path) == []


def test_outside_the_repository_nothing_is_put_first(run_cell, tmp_path):
    """Then the import takes an installed keras2pb (this venv's editable install)."""
    assert run_cell(tmp_path) == []


def test_nothing_to_find_stops_at_the_import_in_one_line(tmp_path):
    """Outside the repository with no keras2pb installed (``python -S``: no site-packages), the
    cell's last line stops the notebook: the error names keras2pb, the line points at the
    README."""
    proc = subprocess.run([sys.executable, "-S", "-c", FIND], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert lines[-1] == "ModuleNotFoundError: No module named 'keras2pb'"
    assert not (tmp_path / "keras2pb").exists()


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(),
                    reason="needs git and a git checkout of the repository")
def test_on_colab_the_readme_clone_line_then_the_cell_use_the_clone(run_cell, tmp_path):
    url = f"file://{REPO}"
    args = shlex.split(_readme_clone_line()[1:].replace("<repository URL>", url))
    assert args == ["git", "clone", "-q", "--depth=1", url, "keras2pb"]
    subprocess.run(args, cwd=tmp_path, check=True, timeout=300)
    clone = tmp_path.resolve() / "keras2pb"
    assert run_cell(tmp_path) == [str(clone)]
    assert (clone / "keras2pb" / "versions.py").is_file()
    assert (clone / "keras2pb" / "tutorial" / "sample" / "mnist_sample.npz").is_file()  # MNIST
    assert tutorial.repo_root(clone / "notebooks") == clone
    # and from the clone's notebooks/ folder (Colab's "open notebook" after cloning)
    assert run_cell(clone / "notebooks") == [str(clone)]


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
