"""Execute every tutorial notebook in a real kernel (quick mode) and check what they make."""

from __future__ import annotations

import os
import re
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from keras2pb import tutorial

pytestmark = pytest.mark.notebooks

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = tutorial.notebook_paths(REPO / "notebooks")
NB03 = "03_load_pb_and_predict.ipynb"


class _Runs:
    """Runs the notebooks in order, once each, the way scripts/run_notebooks.py does.

    Quick mode, a temporary models folder (never the user's models/), HTML copies into a
    temporary folder, and each notebook's solution files (notebooks/solutions/NN_ex*.py) run
    after its last cell, as a learner who loads them would (Run All of the notebook alone never
    runs them). A notebook is run on demand, after every notebook before it.
    """

    def __init__(self, models: Path, html: Path) -> None:
        self.models, self.html = models, html
        self.done: dict[str, tutorial.NotebookRun | Exception] = {}

    def upto(self, path: Path) -> tutorial.NotebookRun:
        for p in NOTEBOOKS:
            if p.name not in self.done:
                try:
                    # TF_CPP_MIN_LOG_LEVEL=0 around the kernel (TensorFlow would log): only the
                    # kernel's own environment, from scripts/setup.sh, keeps the outputs quiet.
                    # Without PYTEST_CURRENT_TEST, as for a user: with it, ipykernel does not
                    # forward what C++ code writes to fd 2, and no log line could be seen.
                    with mock.patch.dict(os.environ, {"TF_CPP_MIN_LOG_LEVEL": "0"}):
                        os.environ.pop("PYTEST_CURRENT_TEST", None)
                        [run] = tutorial.run_notebooks([p], quick=True, models=self.models,
                                                       html_dir=self.html, timeout=300,
                                                       solutions=True)
                    self.done[p.name] = run
                except tutorial.NotebookFailed as exc:
                    self.done[p.name] = exc
            if p == path:
                break
        result = self.done[path.name]
        if isinstance(result, Exception):
            pytest.fail(f"{result}\n{result.traceback[-3000:]}", pytrace=False)
        return result

    def all(self) -> None:
        for p in NOTEBOOKS:
            self.upto(p)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> _Runs:
    """The notebooks' runs in this test module, sharing one temporary models folder."""
    return _Runs(tmp_path_factory.mktemp("models"), tmp_path_factory.mktemp("html"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_every_cell(runs, path):
    run = runs.upto(path)
    code = [c for c in run.nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)  # the solution cells too
    ran = [t for c in code for t in c.metadata.get("tags", []) if t.startswith(path.name[:3])]
    assert ran == [f.stem for f in tutorial.solution_files(path)] and len(ran) >= 2
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert run.html == runs.html / f"{path.stem}.html" and run.html.stat().st_size > 0
    page = run.html.read_text(encoding="utf-8")
    # nothing from the web, and no frame of the (then gone) kernel's servers on 127.0.0.1
    remote = re.findall(r"<(?:script|link|img|iframe)\b[^>]*(?:src|href)=[\"']?(?:https?:)?//",
                        page, flags=re.IGNORECASE)
    assert not remote, f"{run.html.name} would load from elsewhere: {remote[:3]}"
    assert "<img" in page or "data:image/png;base64" in page  # figures are inline
    # what a learner reads: no TensorFlow C++ log line, no progress bar kept frame by frame
    assert tutorial.output_noise(run.nb) == []
    assert tutorial.html_noise(page) == []


def test_notebooks_make_the_models(runs):
    import keras2pb

    runs.all()
    for name in ("mnist_cnn.h5", "mnist_cnn.pb", "mnist_cnn.pb.json"):
        assert (runs.models / name).is_file(), name
    with keras2pb.load(runs.models / "mnist_cnn.pb") as graph:
        assert graph.input_names == ["image"] and graph.output_names == ["probs"]
        (_, _), (x, _) = keras2pb.load_mnist(n_train=1, n_test=5)
        probs = graph(x)
    assert probs.shape == (5, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_notebook_01_reports_test_accuracy(runs):
    run = runs.upto(NOTEBOOKS[0])
    text = tutorial.tagged_output_text(run.nb, "accuracy")
    assert text.startswith("test accuracy: ") and "%" in text


def test_notebook_03_predicts_20_digits_as_a_20_by_10_array(runs):
    run = runs.upto(next(p for p in NOTEBOOKS if p.name == NB03))
    text = tutorial.tagged_output_text(run.nb, "prediction")
    assert "(20, 10)" in text and "float32" in text


def test_notebook_03_alone_from_the_repo_root_rebuilds_what_it_needs(tmp_path):
    """Run on its own (empty models folder), with the repository root as working folder."""
    [run] = tutorial.run_notebooks([REPO / "notebooks" / NB03], quick=True, models=tmp_path,
                                   cwd=REPO, timeout=300)
    text = "".join(o.get("text", "") for c in run.nb.cells if c.cell_type == "code"
                   for o in c.outputs)
    assert "mnist_cnn.h5 is missing" in text and "mnist_cnn.pb is missing" in text
    assert {"mnist_cnn.h5", "mnist_cnn.pb", "mnist_cnn.pb.json", "two_io.pb"} <= {
        p.name for p in tmp_path.iterdir()}
    assert "(20, 10)" in tutorial.tagged_output_text(run.nb, "prediction")


def test_notebook_02_tells_the_three_stages_with_counts(runs):
    run = runs.upto(next(p for p in NOTEBOOKS if p.name.startswith("02_")))
    text = tutorial.tagged_output_text(run.nb, "stages")
    counts = dict(re.findall(r"^\s*(training step|inference trace|frozen graph): +(\d+) nodes",
                             text, re.M))
    assert set(counts) == {"training step", "inference trace", "frozen graph"}, text
    assert int(counts["training step"]) > int(counts["inference trace"])
    assert counts["inference trace"] == counts["frozen graph"]
    assert "'Placeholder→Const'" in text and "removed at freezing: 0" in text
    assert "'optimizer'" in text and "'gradients'" in text  # the reasons, in words
    assert "gone at tracing: " in text and "added at tracing: " in text


def test_notebook_03_grid_shows_mistakes(runs):
    run = runs.upto(next(p for p in NOTEBOOKS if p.name == NB03))
    text = tutorial.tagged_output_text(run.nb, "unsure")
    shown, total = map(int, re.search(r"(\d+) of these 20 are mistakes, of (\d+) in all",
                                       text).groups())
    assert 1 <= shown <= min(20, total), text


def test_notebook_04_solution_names_the_variables_batchnorm_updates(runs):
    run = runs.upto(next(p for p in NOTEBOOKS if p.name.startswith("04_")))
    text = tutorial.tagged_output_text(run.nb, "04_ex2")
    assert "bn1/moving_mean" in text and "bn1/moving_variance" in text


def test_notebook_04_tensorboard_runs_after_run_all_and_the_export_shows_a_note(runs):
    run = runs.upto(next(p for p in NOTEBOOKS if p.name.startswith("04_")))
    assert tutorial.tagged_output_text(run.nb, "tensorboard-running").strip() == \
        "TensorBoard servers running: [True, True]"
    live = [o for c in run.nb.cells for o in c.get("outputs", [])
            if "127.0.0.1" in str(o.get("data", {}).get("text/html", ""))]
    assert live, "the executed notebook shows the live TensorBoard frames"
    page = run.html.read_text(encoding="utf-8")
    assert page.count(tutorial.LIVE_FRAME_NOTE) == 2  # one per server, instead of its frame
    assert not re.search(r"<(?:iframe|a)\b[^>]*(?:src|href)=[\"']?http://127\.0\.0\.1", page)
