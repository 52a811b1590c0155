"""Tests for keras2pb.tutorial: settings, paths, rebuilding models, running notebooks."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from keras2pb import tutorial
from keras2pb.errors import Keras2pbError
from tests.helpers.notebook_outputs import html_noise, tagged_output_text

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_env(monkeypatch):
    """No tutorial environment variables from the caller's shell."""
    monkeypatch.delenv(tutorial.QUICK_ENV, raising=False)
    monkeypatch.delenv(tutorial.MODELS_ENV, raising=False)
    return monkeypatch


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_quick_on(clean_env, value):
    clean_env.setenv(tutorial.QUICK_ENV, value)
    assert tutorial.is_quick()
    s = tutorial.settings()
    assert (s.quick, s.epochs, s.n_train) == (True, 1, 1000)
    assert "quick" in s.describe()


@pytest.mark.parametrize("value", [None, "", "0", "false", "off"])
def test_quick_off_is_full_training(clean_env, value):
    if value is not None:
        clean_env.setenv(tutorial.QUICK_ENV, value)
    assert not tutorial.is_quick()
    s = tutorial.settings()
    assert (s.quick, s.epochs, s.n_train, s.n_test) == (False, 3, None, None)
    assert s.describe().startswith("3 epochs on 4,000 digits")


def test_quick_nonsense_value_is_a_clear_error(clean_env):
    clean_env.setenv(tutorial.QUICK_ENV, "maybe")
    with pytest.raises(Keras2pbError, match="KERAS2PB_QUICK='maybe'"):
        tutorial.settings()


@pytest.mark.parametrize("start", [".", "notebooks", "keras2pb/viewer"])
def test_repo_root_from_inside_the_repository(start):
    assert tutorial.repo_root(REPO / start) == REPO


def test_repo_root_from_elsewhere_falls_back_to_the_package(tmp_path):
    # an editable install: the package sits in the repository
    assert tutorial.repo_root(tmp_path) == REPO


def test_repo_root_follows_the_current_folder(monkeypatch):
    monkeypatch.chdir(REPO / "notebooks")
    assert tutorial.repo_root() == REPO


def test_models_dir_default_is_repo_models(clean_env):
    assert tutorial.models_dir(create=False) == REPO / "models"


def test_models_dir_from_env_is_created(clean_env, tmp_path):
    target = tmp_path / "a" / "models"
    clean_env.setenv(tutorial.MODELS_ENV, str(target))
    assert tutorial.models_dir() == target.resolve()
    assert target.is_dir()


def test_models_dir_that_is_a_file_is_a_clear_error(clean_env, tmp_path):
    f = tmp_path / "models"
    f.write_text("not a folder")
    clean_env.setenv(tutorial.MODELS_ENV, str(f))
    with pytest.raises(Keras2pbError, match="models folder is a file"):
        tutorial.models_dir()


def tiny_model():
    """A tiny compiled Keras model (fast to build and save)."""
    import keras

    model = keras.Sequential([keras.Input((4,), name="x"), keras.layers.Dense(2, name="y")])
    model.compile(optimizer="adam", loss="mse")
    return model


def test_save_h5_is_atomic_and_loadable(tmp_path):
    import keras

    model = tiny_model()
    path = tutorial.save_h5(model, tmp_path / "m.h5")
    assert path == tmp_path / "m.h5"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.h5"]  # no temp file left
    restored = keras.models.load_model(path, compile=False)
    assert [w.shape for w in restored.weights] == [w.shape for w in model.weights]


def test_save_h5_into_missing_folder_names_it(tmp_path):
    with pytest.raises(Keras2pbError, match="does not exist"):
        tutorial.save_h5(tiny_model(), tmp_path / "nope" / "m.h5")


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    """ensure_pb in an empty folder (quick mode): it must train the .h5, then freeze it."""
    folder = tmp_path_factory.mktemp("rebuilt")
    mp = pytest.MonkeyPatch()
    mp.setenv(tutorial.QUICK_ENV, "1")
    mp.setenv(tutorial.MODELS_ENV, str(folder))
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            pb = tutorial.ensure_pb()
    finally:
        mp.undo()
    return folder, pb, buf.getvalue()


def test_ensure_pb_rebuilds_missing_files_and_says_so(rebuilt):
    folder, pb, messages = rebuilt
    assert pb == folder / tutorial.PB_NAME
    names = {p.name for p in folder.iterdir()}
    assert {"mnist_cnn.h5", "mnist_cnn.pb", "mnist_cnn.pb.json"} <= names
    assert "mnist_cnn.h5 is missing" in messages
    assert "mnist_cnn.pb is missing" in messages
    import keras2pb

    graph = keras2pb.load(pb)
    assert graph.input_names == ["image"] and graph.output_names == ["probs"]


def test_ensure_functions_keep_existing_files(rebuilt, capsys):
    folder, pb, _ = rebuilt
    h5 = folder / tutorial.H5_NAME
    before = (h5.stat().st_mtime_ns, pb.stat().st_mtime_ns)
    assert tutorial.ensure_h5(h5) == h5
    assert tutorial.ensure_pb(pb) == pb
    assert (h5.stat().st_mtime_ns, pb.stat().st_mtime_ns) == before
    assert capsys.readouterr().out == ""


def test_ensure_pb_refreezes_when_only_the_sidecar_is_missing(rebuilt, tmp_path):
    folder, pb, _ = rebuilt
    h5 = folder / tutorial.H5_NAME
    target = tmp_path / "copy.pb"
    target.write_bytes(pb.read_bytes())  # a .pb without sidecar
    assert tutorial.ensure_pb(target, h5, verbose=False) == target
    assert Path(f"{target}.json").is_file()


def test_ensure_two_io_pb(tmp_path):
    import keras2pb

    pb = tutorial.ensure_two_io_pb(tmp_path / "two.pb", verbose=False)
    graph = keras2pb.load(pb)
    assert sorted(graph.input_names) == ["image", "meta"]
    assert sorted(graph.output_names) == ["digit", "score"]


def test_notebook_paths_are_the_numbered_ones_in_order(tmp_path):
    for name in ["10_b.ipynb", "01_a.ipynb", "x.ipynb", "2_c.ipynb", "02_notes.txt"]:
        (tmp_path / name).write_text("{}")
    assert [p.name for p in tutorial.notebook_paths(tmp_path)] == ["01_a.ipynb", "10_b.ipynb"]


def test_notebook_paths_default_to_the_repository():
    paths = tutorial.notebook_paths()
    assert paths[0].name == "01_train_and_save_h5.ipynb"
    assert all(p.parent == REPO / "notebooks" for p in paths)


def test_notebook_paths_missing_folder(tmp_path):
    with pytest.raises(Keras2pbError, match="no such notebooks folder"):
        tutorial.notebook_paths(tmp_path / "nope")


def _write_nb(path: Path, *sources: str, tags: dict[int, list[str]] | None = None) -> Path:
    cells = [new_markdown_cell("# Title")]
    for i, src in enumerate(sources):
        cell = new_code_cell(src)
        if tags and i in tags:
            cell.metadata["tags"] = tags[i]
        cells.append(cell)
    nbformat.write(new_notebook(cells=cells), path)
    return path


def test_run_notebook_executes_in_a_kernel_with_env_and_cwd(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    path = _write_nb(tmp_path / "01_env.ipynb",
                     "import os, sys\n"
                     "print(os.environ['KERAS2PB_QUICK'], os.getcwd(), sys.executable)",
                     "6 * 7", tags={0: ["probe"]})
    before = path.read_text()
    [run] = tutorial.run_notebooks([path], quick=True, cwd=work, html_dir=tmp_path / "html")
    text = tagged_output_text(run.nb, "probe")
    assert text.split() == ["1", str(work.resolve()), sys.executable]  # this (venv) Python
    assert run.nb.cells[2].outputs[0]["data"]["text/plain"] == "42"
    assert run.html == tmp_path / "html" / "01_env.html"
    assert "42" in run.html.read_text(encoding="utf-8")
    assert path.read_text() == before  # the notebook file is left untouched


def test_run_notebook_failure_names_notebook_and_cell(tmp_path):
    path = _write_nb(tmp_path / "02_bad.ipynb", "x = 1", "raise ValueError('boom here')",
                     "print('never')")
    with pytest.raises(tutorial.NotebookFailed) as info:
        tutorial.run_notebooks([path, _write_nb(tmp_path / "03_next.ipynb", "1")])
    exc = info.value
    assert isinstance(exc, Keras2pbError)
    assert exc.cell_index == 2
    assert "02_bad.ipynb" in str(exc) and "cell 3 failed" in str(exc)
    assert "ValueError: boom here" in str(exc)
    assert "\n" not in str(exc)
    assert "boom here" in exc.traceback


def test_run_notebook_timeout_is_reported(tmp_path):
    path = _write_nb(tmp_path / "03_slow.ipynb", "import time\ntime.sleep(30)")
    with pytest.raises(tutorial.NotebookFailed, match="cell 2 failed: timed out after 2 s"):
        tutorial.run_notebook(path, timeout=2)


def test_run_notebook_missing_file(tmp_path):
    with pytest.raises(Keras2pbError, match="no such notebook"):
        tutorial.run_notebook(tmp_path / "nope.ipynb")


def test_tagged_output_text_without_the_tag():
    with pytest.raises(Keras2pbError, match="no cell tagged 'missing'"):
        tagged_output_text(new_notebook(cells=[new_code_cell("1")]), "missing")


def test_runner_script_help_runs():
    out = subprocess.run([sys.executable, str(REPO / "scripts" / "run_notebooks.py"), "--help"],
                         capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert "--quick" in out.stdout and "--models-dir" in out.stdout


# --- what a learner sees: no TensorFlow log lines, no progress-bar floods, no dead frames ---

#: Lines TensorFlow's C++ logging printed into notebook outputs (issue 11), and lines it did not.
TF_LOG_SAMPLES = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "E0000 00:00:1732612345.123456   12345 cuda_executor.cc:1228] failed call to cuInit: "
    "INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",
    "2025-01-01 00:00:00.000000: I external/local_xla/xla/tsl/cuda/cudart_stub.cc:32] Could "
    "not find cuda drivers on your machine, GPU will not be used.",
    "I0000 00:00:1732612345.1  123 cpu_feature_guard.cc:210] This TensorFlow binary is optimized",
]
NOT_TF_LOG = ["WARNING:absl:You are saving your model as an HDF5 file via `model.save()`.",
              "test accuracy: 96.2% (loss 0.141) on 1000 digits",
              "63/63 - 5s - 74ms/step - accuracy: 0.8880 - loss: 0.3624"]


@pytest.mark.parametrize("line", TF_LOG_SAMPLES)
def test_noise_in_text_finds_each_tensorflow_log_line(line):
    text = f"before\n{line}\nafter\n"
    assert tutorial.noise_in_text(text) == [f"TensorFlow log line: {line[:120]}"]


@pytest.mark.parametrize("line", NOT_TF_LOG)
def test_noise_in_text_leaves_other_lines_alone(line):
    assert tutorial.noise_in_text(line) == []


def test_noise_in_text_counts_backspaces():
    frame = "\r 2/63 ━━━━━━━━━━ 3s 65ms/step - accuracy: 0.1797" + "\b" * 60
    assert tutorial.noise_in_text(frame) == []
    found = tutorial.noise_in_text(frame * 2)
    assert found == ["120 backspace characters (an animated progress bar)"]


def _with_outputs(*outputs) -> nbformat.NotebookNode:
    cell = new_code_cell("x = 1")
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return new_notebook(cells=[new_markdown_cell("# Title"), cell])


def test_output_noise_and_html_noise_name_what_they_found(tmp_path):
    line = TF_LOG_SAMPLES[1]
    nb = _with_outputs({"output_type": "stream", "name": "stderr", "text": line + "\n"},
                       {"output_type": "stream", "name": "stdout", "text": "ok\n"})
    assert tutorial.output_noise(nb) == [f"cell 2: TensorFlow log line: {line[:120]}"]
    page = tutorial.export_html(nb, tmp_path / "nb.html").read_text(encoding="utf-8")
    assert html_noise(page) == [f"text block 2: TensorFlow log line: {line[:120]}"]
    clean = _with_outputs({"output_type": "stream", "name": "stdout", "text": "ok\n"})
    assert tutorial.output_noise(clean) == []
    page = tutorial.export_html(clean, tmp_path / "clean.html").read_text(encoding="utf-8")
    assert html_noise(page) == []


def _tensorboard_output() -> dict:
    """A display output holding the real TensorBoard view HTML of two (unstarted) servers."""
    from keras2pb.viewer.tbserver import TensorBoardServer, tensorboard_html

    servers = [TensorBoardServer(f"http://127.0.0.1:{port}/", port, Path(f"/tmp/log{port}"), 0.1)
               for port in (40001, 40002)]
    return {"output_type": "display_data", "metadata": {},
            "data": {"text/html": tensorboard_html(servers, ["training step", "frozen graph"]),
                     "text/plain": "<GraphView>"}}


def test_exported_html_shows_a_note_instead_of_live_frames(tmp_path):
    srcdoc = ('<iframe srcdoc="&lt;p&gt;offline viewer&lt;/p&gt;" sandbox="allow-scripts">'
              "</iframe>")
    nb = _with_outputs(_tensorboard_output(),
                       {"output_type": "display_data", "metadata": {},
                        "data": {"text/html": srcdoc}})
    copy, replaced = tutorial.without_live_frames(nb)
    assert replaced == 2
    assert "127.0.0.1:4000" in nb.cells[1].outputs[0]["data"]["text/html"]  # original intact
    page = tutorial.export_html(nb, tmp_path / "tb.html").read_text(encoding="utf-8")
    assert "127.0.0.1:4000" not in page
    assert page.count(tutorial.LIVE_FRAME_NOTE) == 2
    assert 'srcdoc="&lt;p&gt;offline viewer&lt;/p&gt;"' in page  # the inline viewer stays


def test_the_notebook_kernel_sets_the_tensorflow_log_level_from_its_start(tmp_path, monkeypatch):
    """The kernel scripts/setup.sh installs carries TF_CPP_MIN_LOG_LEVEL=2 and
    TF_ENABLE_ONEDNN_OPTS=0 itself: they win over the environment it is started from (here 0
    and 1), before any cell runs."""
    assert tutorial.kernel_env_missing() == {}, "run scripts/setup.sh to install the kernel"
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    path = _write_nb(tmp_path / "01_level.ipynb",
                     "import os\nprint(os.environ.get('TF_CPP_MIN_LOG_LEVEL'),"
                     " os.environ.get('TF_ENABLE_ONEDNN_OPTS'))", tags={0: ["lv"]})
    [run] = tutorial.run_notebooks([path])
    assert tagged_output_text(run.nb, "lv").strip() == "2 0"


def test_source_excerpt_shows_the_real_train_step():
    from keras2pb.freezing import training_step

    text = tutorial.source_excerpt(training_step.training_graph, "@tf.function", "return loss")
    assert text.startswith("@tf.function") and text.endswith("return loss")
    assert "tape.gradient" in text and "optimizer.apply" in text
    with pytest.raises(Keras2pbError, match="'no such line' not found"):
        tutorial.source_excerpt(training_step.training_graph, "no such line", "return loss")


# --- issue 20: the checkpoints' self-checks, the set-up line, the TF1 demo, the slides ---

#: One right and one wrong answer per checkpoint: each check must be able to say both.
CHECK_ANSWERS = {
    "01-biggest-layer": ("Dense", "conv2"), "01-adam-state": (2.0, 1),
    "01-resume-h5": (False, True), "02-print-runs": (1, 3), "02-freeze-removes": (0, 16),
    "02-dropout-ops": (0, 3), "03-feed-name": ("import/image:0", "image:0"),
    "03-prefix-in-file": ("no", "yes"), "04-bn-freeze-removes": (0, 24),
    "04-gradients-gone-at": ("tracing", "freezing"),
}


@pytest.mark.parametrize("name", sorted(CHECK_ANSWERS))
def test_each_check_can_say_right_and_not_yet(name, capsys):
    from keras2pb.tutorial.checks import CHECKPOINTS, check

    assert set(CHECKPOINTS) == set(CHECK_ANSWERS)
    right, wrong = CHECK_ANSWERS[name]
    assert check(name, right) is True
    assert capsys.readouterr().out.startswith("right: ")
    assert check(name, wrong) is False
    out = capsys.readouterr().out
    assert out.startswith(f"not yet: {wrong!r} is not it. Hint: ")
    assert check(name, None) is False
    assert capsys.readouterr().out.startswith("not yet: no answer. ")


def test_check_names_an_unknown_checkpoint():
    from keras2pb.tutorial.checks import check

    with pytest.raises(Keras2pbError, match="no checkpoint named 'nope'"):
        check("nope", 1)


def test_every_notebook_checkpoint_is_known_and_notebooks_01_to_04_have_two():
    from keras2pb.tutorial.checks import CHECKPOINTS

    for path in tutorial.notebook_paths(REPO / "notebooks"):
        code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                         if c.cell_type == "code")
        names = re.findall(r'tutorial\.check\("([^"]+)"', code)
        assert set(names) <= set(CHECKPOINTS), path.name
        if path.name[:2] in {"01", "02", "03", "04"}:
            assert len(names) >= 2, f"{path.name}: {names}"


def test_you_are_here_marks_the_notebooks_step():
    from keras2pb.tutorial.start import you_are_here

    assert you_are_here("02") == "train → save → [freeze] → load → compare → deploy"
    assert you_are_here("01").startswith("[train] → [save] → freeze")
    with pytest.raises(Keras2pbError, match="no notebook '09'"):
        you_are_here("09")


def test_the_tf1_graph_freezes_the_tf1_way_pruning_training_keeping_the_cond():
    import tensorflow as tf

    from keras2pb.tutorial.tf1 import tf1_reasons, tf1_session_graph

    sess, graph = tf1_session_graph()
    gd = graph.as_graph_def()
    frozen = tf.compat.v1.graph_util.convert_variables_to_constants(sess, gd, ["probs"])
    sess.close()
    kept = {n.name for n in frozen.node}
    why = tf1_reasons(n.name for n in gd.node if n.name not in kept)
    assert why["gradients"] > 0 and why["optimizer"] > 0 and why["loss"] > 0
    ops = {n.op for n in frozen.node}
    assert {"Switch", "Merge", "RandomUniform"} <= ops
    assert not any(n.name.startswith(("gradients/", "train_op")) for n in frozen.node)
    # TF2's control flow is back on: a tf.cond traced now makes an If op, not Switch/Merge
    fn = tf.function(lambda x: tf.cond(x > 0, lambda: x, lambda: -x))
    traced = fn.get_concrete_function(tf.constant(1.0)).graph.as_graph_def()
    assert "Switch" not in {n.op for n in traced.node}


def _fake_reveal_wheel(path: Path) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:
        for name in ("LICENSE", "dist/reveal.js", "dist/reveal.css", "dist/theme/white.css",
                     "plugin/notes/notes.js", "plugin/zoom/zoom.js"):
            zf.writestr(f"sphinx_revealjs/_static/revealjs/{name}", f"/* {name} */")
    return path


def test_slides_export_offline_with_reveal_from_the_wheel(tmp_path):
    from keras2pb.tutorial import slides

    reveal = slides.reveal_from_wheel(_fake_reveal_wheel(tmp_path / "s.whl"), tmp_path / "r")
    assert (reveal / "dist" / "reveal.js").is_file()
    assert not (reveal / "plugin" / "zoom").exists()  # only what the page needs
    page = slides.export_slides(REPO / "docs" / "slides" / "keras2pb_lesson.ipynb",
                                tmp_path / "out", reveal)
    text = page.read_text(encoding="utf-8")
    assert '<script src="reveal.js/dist/reveal.js">' in text
    assert "Three stages of one model" in text and text.count("<section") >= 6
    remote = re.findall(r"<(?:script|link|img)\b[^>]*(?:src|href)=[\"']?(?:https?:)?//", text)
    assert not remote, remote
    assert (tmp_path / "out" / "reveal.js" / "dist" / "reveal.css").is_file()


def test_slides_refuse_a_wheel_without_reveal(tmp_path):
    import zipfile

    from keras2pb.tutorial import slides

    with zipfile.ZipFile(tmp_path / "empty.whl", "w") as zf:
        zf.writestr("x.txt", "")
    with pytest.raises(Keras2pbError, match="no reveal.js"):
        slides.reveal_from_wheel(tmp_path / "empty.whl", tmp_path / "r")


def test_solution_files_in_exercise_order_and_appended_tagged(tmp_path):
    path = _write_nb(tmp_path / "07_demo.ipynb", "x = 1")
    (tmp_path / "solutions").mkdir()
    for k in (10, 2, 1):
        (tmp_path / "solutions" / f"07_ex{k}.py").write_text(f"print({k})\n")
    (tmp_path / "solutions" / "08_ex1.py").write_text("print('other notebook')\n")
    files = tutorial.solution_files(path)
    assert [f.name for f in files] == ["07_ex1.py", "07_ex2.py", "07_ex10.py"]
    nb = nbformat.read(path, as_version=4)
    both = tutorial.with_solutions(nb, path)
    assert [c.source for c in both.cells[len(nb.cells):]] == ["print(1)\n", "print(2)\n",
                                                              "print(10)\n"]
    assert both.cells[-1].metadata["tags"] == ["solution", "07_ex10"]
    assert len(nbformat.read(path, as_version=4).cells) == len(nb.cells)  # the file unchanged


def test_test_only_notebook_readers_are_not_in_the_package():
    """html_noise and tagged_output_text serve tests and benchmarks only: tests/helpers."""
    import keras2pb.tutorial.notebooks as notebooks

    for name in ("html_noise", "tagged_output_text"):
        assert not hasattr(tutorial, name) and not hasattr(notebooks, name), name
        assert name not in tutorial.__all__
