"""Fast checks on the committed notebooks: clean in git, fixed opening, exercises, solutions."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from keras2pb import tutorial

NOTEBOOKS = tutorial.notebook_paths(Path(__file__).resolve().parents[2] / "notebooks")
ids = [p.name for p in NOTEBOOKS]


@pytest.fixture(params=NOTEBOOKS, ids=ids)
def nb(request):
    """A committed notebook, read and validated against the nbformat schema."""
    notebook = nbformat.read(request.param, as_version=4)
    nbformat.validate(notebook)
    notebook.path = request.param
    return notebook


def _md_headings(notebook, level: int) -> list[str]:
    """Markdown headings of exactly ``level`` (# = 1), outside fenced code blocks."""
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.splitlines():
            if line.lstrip().startswith("```"):
                fenced = not fenced
            elif not fenced and re.match("#" * level + r" \S", line):
                found.append(line[level + 1:].strip())
    return found


def test_the_tutorial_notebooks_exist():
    assert ids[:3] == ["01_train_and_save_h5.ipynb", "02_freeze_to_pb.ipynb",
                       "03_load_pb_and_predict.ipynb"]


def test_no_outputs_or_execution_counts(nb):
    dirty = [i + 1 for i, c in enumerate(nb.cells) if c.cell_type == "code"
             and (c.outputs or c.execution_count is not None)]
    assert not dirty, (f"{nb.path.name}: cells {dirty} have outputs or execution counts; "
                       f"run: nbstripout {nb.path.name}")


def test_opens_with_one_h1_and_an_overview(nb):
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), \
        f"{nb.path.name}: the first cell must be a markdown H1 title"
    assert len(_md_headings(nb, 1)) == 1, f"{nb.path.name}: exactly one H1 expected"
    overview = first.source.split("\n", 1)[1].strip() if "\n" in first.source else ""
    assert overview, f"{nb.path.name}: a short overview must follow the title"


def test_setup_section_comes_before_any_code(nb):
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    setup = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
             and re.search(r"^#+ Setup\b", c.source, re.M)]
    assert setup and setup[0] < first_code, f"{nb.path.name}: needs a Setup section first"


def test_first_code_cell_is_at_most_4_lines(nb):
    """Issue 20: set-up out of the way; the first code cell finds keras2pb and imports it."""
    first = next(c.source for c in nb.cells if c.cell_type == "code")
    assert len(first.splitlines()) <= 4, f"{nb.path.name}: first code cell over 4 lines"
    assert first.splitlines()[-1].startswith("import keras2pb")


def test_version_check_in_setup(nb):
    """The second code cell of Setup calls ``tutorial.start("NN")``: the version check (it calls
    versions.notebook_check, tested in tests/e2e/test_notebook_setup.py) and the you-are-here
    line."""
    code = [c.source for c in nb.cells[:6] if c.cell_type == "code"]
    assert len(code) >= 2 and f'tutorial.start("{nb.path.name[:2]}"' in code[1], \
        f"{nb.path.name}: Setup should check the TensorFlow version with tutorial.start"


def _heading_index(notebook, title: str) -> int | None:
    """Index of the first markdown cell holding the level-2 heading ``## <title>``."""
    return next((i for i, c in enumerate(notebook.cells) if c.cell_type == "markdown"
                 and re.search(rf"^## {title}\s*$", c.source, re.M)), None)


def test_exercises_with_empty_cells_and_linked_solution_files_run_all_never_runs(nb):
    """Issue 20: "Run All" (the catch-up path) never runs a solution. Each exercise has an empty
    "your turn" cell; its solution is ``notebooks/solutions/NN_exK.py``, linked from the
    question and named in the cell's ``%load`` hint; the files exist and hold code; the
    notebook holds no solution cell (tests/e2e/test_notebooks.py runs the files)."""
    start = _heading_index(nb, "Exercises")
    assert start is not None, f"{nb.path.name}: no '## Exercises' section"
    assert _heading_index(nb, "Solutions") is None, f"{nb.path.name}: solutions in the notebook"
    turns = [c for c in nb.cells[start:] if c.cell_type == "code"
             and c.source.lstrip().startswith("# Your turn")]
    assert len(turns) >= 2, f"{nb.path.name}: at least two exercises, each with a cell"
    files = tutorial.solution_files(nb.path)
    assert [f.stem for f in files] == [f"{nb.path.name[:2]}_ex{k}" for k in
                                       range(1, len(turns) + 1)], \
        f"{nb.path.name}: one solution file per exercise: {[f.name for f in files]}"
    after = "\n".join(c.source for c in nb.cells[start:] if c.cell_type == "markdown")
    for cell, file in zip(turns, files, strict=True):
        code = [line for line in cell.source.splitlines() if not line.lstrip().startswith("#")]
        assert not "".join(code).strip(), \
            f"{nb.path.name}: a 'your turn' cell holds code: {cell.source!r}"
        assert f"%load solutions/{file.name}" in cell.source
        assert f"(solutions/{file.name})" in after, f"{nb.path.name}: no link to {file.name}"
        solution = file.read_text(encoding="utf-8")
        assert compile(solution, str(file), "exec") and re.search(r"^[a-z_].*\(", solution, re.M)
    assert not any("solution" in c.metadata.get("tags", []) for c in nb.cells)


def test_markdown_before_every_code_cell(nb):
    bare = [i + 1 for i in range(1, len(nb.cells)) if nb.cells[i].cell_type == "code"
            and nb.cells[i - 1].cell_type != "markdown"]
    assert not bare, f"{nb.path.name}: cells {bare} need a markdown cell before them saying why"


#: Issue 11: code cells of at most 15 lines, at most 30 code cells per notebook.
MAX_CELL_LINES = 15
MAX_CODE_CELLS = 30


def test_code_cells_are_short(nb):
    long = [(i + 1, len(c.source.splitlines())) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and len(c.source.splitlines()) > MAX_CELL_LINES]
    assert not long, (f"{nb.path.name}: (cell, lines) over {MAX_CELL_LINES} lines: {long}; "
                      "one idea per cell")


def test_at_most_30_code_cells(nb):
    n = sum(c.cell_type == "code" for c in nb.cells)
    assert n <= MAX_CODE_CELLS, f"{nb.path.name}: {n} code cells (at most {MAX_CODE_CELLS})"


def test_every_fit_prints_one_line_per_epoch_or_nothing(nb):
    """verbose=1 (Keras' default) animates a progress bar with backspaces: hundreds of frames
    in a saved or exported notebook. Every fit in a notebook says verbose=0 or 2."""
    for i, cell in enumerate(nb.cells):
        for call in re.findall(r"\.fit\((?:[^()]|\([^()]*\))*\)", cell.source):
            assert re.search(r"verbose\s*=\s*[02]\b", call), \
                f"{nb.path.name}: cell {i + 1}: fit without verbose=0 or 2: {call[:80]}"


def test_notebook_04_leaves_the_tensorboard_servers_running():
    """Stopping the servers is the learner's last, optional step: Run All must not do it."""
    path = next(p for p in NOTEBOOKS if p.name.startswith("04_"))
    cells = nbformat.read(path, as_version=4).cells
    stops = [c.source for c in cells if c.cell_type == "code" and "stop_tensorboards()" in c.source]
    assert stops and all(re.search(r"^STOP_NOW = False$", s, re.M) and
                         re.search(r"^if STOP_NOW:\n\s+stop_tensorboards\(\)", s, re.M)
                         for s in stops), stops
    last_code = [c for c in cells if c.cell_type == "code"][-1]
    assert "stop_tensorboards()" in last_code.source, "stopping is the last step"


def test_lines_fit_in_100_characters(nb):
    long = [(i + 1, line) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for line in c.source.splitlines() if len(line) > 100]
    assert not long, f"{nb.path.name}: code lines over 100 characters: {long[:3]}"


def test_notebook_03_does_not_import_keras():
    path = next(p for p in NOTEBOOKS if p.name.startswith("03_"))
    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                     if c.cell_type == "code")
    assert not re.search(r"^\s*(import keras\b|from keras\b)", code, re.M)
    assert "load_model" not in code


#: Sentences issue 11 found wrong (pattern, why); none may come back in a notebook's text.
WRONG_CLAIMS = [
    (r"TF_CPP_MIN_LOG_LEVEL=2` hides", "the full tensorflow wheel prints some start-up lines "
     "at any level; tensorflow-cpu with the level in the kernel's environment prints none"),
    (r"TensorFlow may print a few start-up lines", "the notebooks' kernel prints none "
     "(tensorflow-cpu and TF_CPP_MIN_LOG_LEVEL=2 in the kernel's environment)"),
    (r"convert_variables_to_constants`?\)? no longer exists?", "tf.compat.v1.graph_util."
     "convert_variables_to_constants still ships; a Session holding Keras 3's variables is gone"),
    (r"the graph `?fit`? runs for every batch", "training_graph traces an equivalent step, with "
     "its own loss and a fresh optimizer"),
    (r"What did freezing leave out", "tracing left the training ops out; freezing turned "
     "variables into constants"),
]


def test_no_sentence_issue_11_found_wrong(nb):
    text = re.sub(r"\s+", " ", "\n".join(c.source for c in nb.cells if c.cell_type == "markdown"))
    found = [(pattern, why) for pattern, why in WRONG_CLAIMS if re.search(pattern, text)]
    assert not found, f"{nb.path.name}: " + "; ".join(f"{p!r}: {w}" for p, w in found)
