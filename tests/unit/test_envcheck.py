"""keras2pb.tutorial.readiness: the real checks pass here, a broken setup shows a red line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from keras2pb import tutorial
from keras2pb.errors import Keras2pbError
from keras2pb.tutorial import readiness as envcheck
from keras2pb.tutorial.readiness import CHECKS, Check, main_check, run_checks
from tests.helpers.checklist import format_checklist

GREEN, RED = "\033[32m", "\033[31m"


@pytest.fixture(scope="module")
def checks(tmp_path_factory) -> list[Check]:
    """The checklist of this environment, with a temp models folder."""
    mp = pytest.MonkeyPatch()
    mp.setenv("KERAS2PB_MODELS_DIR", str(tmp_path_factory.mktemp("models")))
    mp.delenv("KERAS2PB_MNIST", raising=False)
    try:
        yield run_checks()
    finally:
        mp.undo()


def _by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def test_every_check_passes_in_the_test_environment(checks):
    assert [c.name for c in checks] == [name for name, _ in CHECKS]
    failed = [c for c in checks if not c.ok]
    assert failed == []
    assert all(c.detail for c in checks)


def test_details_name_what_was_found(checks):
    import keras
    import tensorflow as tf

    found = _by_name(checks)
    assert tf.__version__ in found["TensorFlow 2.19-2.21"].detail
    assert keras.__version__ in found["Keras 3"].detail
    assert "python3" in found["Jupyter"].detail
    assert "4,000 train + 1,000 test" in found["MNIST sample (offline)"].detail
    assert "predicted 2 digits" in found["freeze and load a model"].detail
    assert "dagre 3.1.3" in found["graph viewer (offline)"].detail
    assert "01" in found["notebooks"].detail


def test_green_checklist_format(checks):
    text = format_checklist(checks, color=True)
    lines = text.splitlines()
    assert len(lines) == len(checks) + 1
    assert all(line.startswith(f"{GREEN}\033[1m✓") for line in lines[:-1])
    assert RED not in text
    assert lines[-1] == f"{GREEN}all {len(checks)} checks passed: ready for the workshop\033[0m"
    plain = format_checklist(checks, color=False)
    assert "\033[" not in plain
    assert plain.splitlines()[0].startswith("✓ Python: Python 3.")


def test_missing_mnist_sample_shows_red(monkeypatch, tmp_path):
    missing = tmp_path / "no_such_sample.npz"
    monkeypatch.setenv("KERAS2PB_MNIST", str(missing))
    monkeypatch.setenv("KERAS2PB_MODELS_DIR", str(tmp_path / "models"))
    checks = run_checks()
    found = _by_name(checks)
    bad = found["MNIST sample (offline)"]
    assert not bad.ok
    assert str(missing) in bad.detail and "not found" in bad.detail
    # the other checks do not depend on it: freezing uses any two images then
    assert [c.name for c in checks if not c.ok] == ["MNIST sample (offline)"]
    text = format_checklist(checks, color=True)
    red_lines = [line for line in text.splitlines() if "✗" in line]
    assert len(red_lines) == 1
    assert red_lines[0].startswith(f"{RED}\033[1m✗") and "MNIST sample" in red_lines[0]
    assert text.splitlines()[-1] == f"{RED}1 of {len(checks)} checks failed: fix the red " \
                                    "lines above\033[0m"


def test_models_folder_that_is_a_file_shows_red(monkeypatch, tmp_path):
    blocker = tmp_path / "models"
    blocker.write_text("not a folder")
    monkeypatch.setenv("KERAS2PB_MODELS_DIR", str(blocker))
    name = "models/ folder writable"  # this line alone: the whole list runs in the tests above
    check = envcheck._run_one(name, dict(CHECKS)[name], {}, False)
    assert not check.ok and "is a file" in check.detail


def test_main_check_prints_the_checklist_and_returns_0(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("KERAS2PB_MODELS_DIR", str(tmp_path))
    assert main_check(None) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(CHECKS) + 1
    assert all(line.startswith("✓ ") for line in out[:-1])  # not a terminal: no colours
    assert out[-1].startswith("all ")


def test_cli_check_exits_1_on_a_red_line(tmp_path):
    env = {**os.environ, "KERAS2PB_MNIST": str(tmp_path / "missing.npz"),
           "KERAS2PB_MODELS_DIR": str(tmp_path / "models")}
    proc = subprocess.run([sys.executable, "-m", "keras2pb", "check"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.startswith("✗ MNIST sample (offline): ") for line in lines)
    assert sum(line.startswith("✓ ") for line in lines) == len(CHECKS) - 1
    assert lines[-1].startswith("1 of ")


def test_outside_a_checkout_the_checkout_only_lines_are_skipped_not_red(monkeypatch, tmp_path):
    def no_checkout(start=None):
        raise Keras2pbError("not inside the keras2pb repository")

    monkeypatch.setattr(tutorial.notebooks, "repo_root", no_checkout)  # as in a wheel install
    monkeypatch.delenv("KERAS2PB_MODELS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    only = {"notebooks", "models/ folder writable", "Python"}
    checks = [envcheck._run_one(name, fn, {}, False) for name, fn in CHECKS if name in only]
    skipped = [c for c in checks if c.skipped]
    assert [c.name for c in skipped] == ["notebooks", "models/ folder writable"]
    assert all(c.ok and f"no keras2pb checkout in or above {tmp_path}" in c.detail
               for c in skipped)
    text = format_checklist(checks, color=True).splitlines()
    assert text[-2].startswith("- models/ folder writable: skipped: ")
    assert text[-1] == (f"{GREEN}all 1 checks that apply passed (2 skipped: they need a "
                        "keras2pb checkout): the library is ready\033[0m")
    # a models folder named in the environment is still checked, checkout or not
    monkeypatch.setenv("KERAS2PB_MODELS_DIR", str(tmp_path / "m"))
    models = dict(CHECKS)["models/ folder writable"]
    assert envcheck._run_one("models", models, {}, False).detail.endswith("is writable")
