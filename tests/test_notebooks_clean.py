"""Fast checks on the committed notebooks: clean in git, fixed opening, exercises, solutions."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from keras2pb import tutorial

NOTEBOOKS = tutorial.notebook_paths(Path(__file__).resolve().parent.parent / "notebooks")
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


def test_version_check_in_setup(nb):
    code = "\n".join(c.source for c in nb.cells[:6] if c.cell_type == "code")
    assert "__version__" in code, f"{nb.path.name}: Setup should check the TensorFlow version"


def test_exercises_with_a_hidden_solution_cell(nb):
    assert any("Exercise" in h for h in _md_headings(nb, 2)), f"{nb.path.name}: no Exercises"
    solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    assert solutions, f"{nb.path.name}: no cell tagged 'solution'"
    for cell in solutions:
        assert cell.cell_type == "code"
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True


def test_markdown_before_every_code_cell(nb):
    bare = [i + 1 for i in range(1, len(nb.cells)) if nb.cells[i].cell_type == "code"
            and nb.cells[i - 1].cell_type != "markdown"]
    assert not bare, f"{nb.path.name}: cells {bare} need a markdown cell before them saying why"


def test_code_cells_are_short(nb):
    long = [i + 1 for i, c in enumerate(nb.cells) if c.cell_type == "code"
            and "solution" not in c.metadata.get("tags", []) and len(c.source.splitlines()) > 25]
    assert not long, f"{nb.path.name}: cells {long} are long; one idea per cell"


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
