"""Execute every tutorial notebook in a real kernel (quick mode) and check what they make."""

from __future__ import annotations

import os
import re
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from keras2pb import tutorial
from tests.helpers.notebook_outputs import html_noise, tagged_output_text

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
    assert html_noise(page) == []


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
    text = tagged_output_text(run.nb, "accuracy")
    assert text.startswith("test accuracy: ") and "%" in text


def test_notebook_03_predicts_20_digits_as_a_20_by_10_array(runs):
    run = runs.upto(next(p for p in NOTEBOOKS if p.name == NB03))
    text = tagged_output_text(run.nb, "prediction")
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
    assert "(20, 10)" in tagged_output_text(run.nb, "prediction")


def test_notebook_02_tells_the_three_stages_with_counts(runs):
    run = runs.upto(next(p for p in NOTEBOOKS if p.name.startswith("02_")))
    text = tagged_output_text(run.nb, "stages")
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
    text = tagged_output_text(run.nb, "unsure")
    shown, total = map(int, re.search(r"(\d+) of these 20 are mistakes, of (\d+) in all",
                                       text).groups())
    assert 1 <= shown <= min(20, total), text


def test_notebook_04_solution_names_the_variables_batchnorm_updates(runs):
    run = runs.upto(next(p for p in NOTEBOOKS if p.name.startswith("04_")))
    text = tagged_output_text(run.nb, "04_ex2")
    assert "bn1/moving_mean" in text and "bn1/moving_variance" in text


def test_notebook_04_tensorboard_runs_after_run_all_and_the_export_shows_a_note(runs):
    run = runs.upto(next(p for p in NOTEBOOKS if p.name.startswith("04_")))
    assert tagged_output_text(run.nb, "tensorboard-running").strip() == \
        "TensorBoard servers running: [True, True]"
    live = [o for c in run.nb.cells for o in c.get("outputs", [])
            if "127.0.0.1" in str(o.get("data", {}).get("text/html", ""))]
    assert live, "the executed notebook shows the live TensorBoard frames"
    page = run.html.read_text(encoding="utf-8")
    assert page.count(tutorial.LIVE_FRAME_NOTE) == 2  # one per server, instead of its frame
    assert not re.search(r"<(?:iframe|a)\b[^>]*(?:src|href)=[\"']?http://127\.0\.0\.1", page)


def _nb(prefix: str) -> Path:
    return next(p for p in NOTEBOOKS if p.name.startswith(prefix))


def test_notebook_05_drift_cell_finds_the_nudged_conv2_and_nothing_before_it(runs):
    """05, section 11: one conv2 weight nudged on the model the .pb was frozen from; the
    report's first divergence is conv2's Conv2D, the rows before it are exact, and with the
    weight restored nothing diverges (the prose says each of these)."""
    run = runs.upto(_nb("05_"))
    text = tagged_output_text(run.nb, "drift")
    rows = re.findall(r"^\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(.*)$", text, re.M)
    first = [r for r in rows if "first divergence" in r[6]]
    assert len(first) == 1, text
    index, node, op = int(first[0][0]), first[0][1], first[0][2]
    assert (index, node, op) == (4, "mnist_cnn_1/conv2_1/convolution", "Conv2D"), text
    before = [r for r in rows if int(r[0]) < index]
    assert [r[1] for r in before] == ["mnist_cnn_1/conv1_1/Relu",
                                      "mnist_cnn_1/pool1_1/MaxPool2d"], text
    assert all(float(r[3]) == 0.0 for r in before)  # "match to the last bit"
    assert all("past tolerance" in r[6] for r in rows if int(r[0]) > index)  # downstream
    assert "first divergence: mnist_cnn_1/conv2_1/convolution (keras vs tf)" in text
    assert text.strip().splitlines()[-1] == "weight restored, first divergence: None"
    md = re.sub(r"\s+", " ", " ".join(c.source for c in run.nb.cells if c.cell_type == "markdown"))
    assert "node 4, `mnist_cnn_1/conv2_1/convolution`" in md
    assert "(rows 2 and 3), match to the last bit (max abs 0.00e+00)" in md


def test_notebook_05_openvino_runs_and_its_table_row_is_ok(runs):
    run = runs.upto(_nb("05_"))
    text = tagged_output_text(run.nb, "openvino")
    assert text.startswith("OpenVINO "), text  # requirements-runtimes.txt pins openvino
    diff = float(re.search(r"max abs diff vs TensorFlow (\S+)", text).group(1))
    assert diff <= 1e-5  # float32 precision, not the CPU plugin's bf16 default
    table = tagged_output_text(run.nb, "runtimes-table", mime="text/markdown")
    rows = {cells[0]: cells for cells in (
        [c.strip() for c in line.strip("|").split("|")] for line in table.splitlines()
        if line.startswith("| ") and not line.startswith("| runtime"))}
    assert set(rows) == {"tf", "opencv", "onnx", "opencv-onnx", "openvino"}, table
    assert rows["openvino"][1] == "ok" and rows["openvino"][3] == "100.0 %", table
    assert float(rows["openvino"][2]) <= 1e-5


def test_notebook_04_capstone_verify_fails_then_passes_then_runs_in_c(runs):
    run = runs.upto(_nb("04_"))
    wrong = tagged_output_text(run.nb, "capstone-wrong")
    fixed = tagged_output_text(run.nb, "capstone-fixed")
    assert wrong.strip().endswith("- ok: False") and fixed.strip().endswith("- ok: True")
    worst = float(re.search(r"max_abs_diff=([\d.e+-]+)", wrong).group(1))
    agree = float(re.search(r"argmax_agreement=([\d.e+-]+)", wrong).group(1))
    assert worst > 0.1 and agree < 0.5, wrong
    c_text = tagged_output_text(run.nb, "capstone-c")
    if c_text.startswith("skipped: no C compiler"):
        return
    digits = re.search(r"C client digits: \[([\d ]+)\]\s+Keras: \[([\d ]+)\]", c_text)
    assert digits and digits.group(1).split() == digits.group(2).split(), c_text
    assert float(re.search(r"max abs diff: (\S+)", c_text).group(1)) <= 1e-5
