"""The supported-version verdicts: the range, the warning, the one-line stop with the fix."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from keras2pb import versions
from keras2pb.errors import Keras2pbError
from keras2pb.versions import UnsupportedVersion, notebook_check, parse_version, verdict

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text, expected", [
    ("2.21.0", (2, 21)), ("2.20.0rc1", (2, 20)), ("3.15.1", (3, 15)), ("2.19", (2, 19)),
    ("2.22.0.dev20260101", (2, 22)),
])
def test_parse_version(text, expected):
    assert parse_version(text) == expected


@pytest.mark.parametrize("text", ["", "?", "two.one", "2"])
def test_parse_version_refuses_garbage(text):
    with pytest.raises(ValueError, match="not a version number"):
        parse_version(text)


def test_pinned_version_is_ok_and_names_both_versions():
    result = verdict("2.21.0", "3.15.1")
    assert (result.level, result.ok) == ("ok", True)
    assert result.message == "TensorFlow 2.21.0, Keras 3.15.1"


@pytest.mark.parametrize("tf_version", ["2.19.1", "2.20.0"])
def test_tested_older_version_warns_in_one_line_and_goes_on(tf_version):
    result = verdict(tf_version, "3.15.1")
    assert (result.level, result.ok) == ("warn", True)
    assert result.message.startswith(f"warning: TensorFlow {tf_version}, Keras 3.15.1: tested")
    assert "2.21" in result.message and "\n" not in result.message


def test_newer_than_tested_warns():
    result = verdict("2.22.0", "3.16.0")
    assert result.level == "warn"
    assert "newer than the tested 2.19-2.21" in result.message


@pytest.mark.parametrize("tf_version, keras_version", [
    ("2.18.1", "3.8.0"), ("2.15.1", "2.15.0"), ("1.15.5", None), ("?", None)])
def test_old_tensorflow_stops_naming_the_minimum_and_the_fix(tf_version, keras_version):
    result = verdict(tf_version, keras_version)
    assert (result.level, result.ok) == ("stop", False)
    assert "TensorFlow 2.19 or newer" in result.message
    assert "pip install -r requirements.txt" in result.message
    assert "\n" not in result.message


def test_keras_2_stops_even_with_a_supported_tensorflow():
    result = verdict("2.21.0", "2.15.0")
    assert result.level == "stop"
    assert "needs Keras 3" in result.message and "TF_USE_LEGACY_KERAS" in result.message


def test_notebook_check_prints_one_line_or_raises_a_one_line_error(capsys):
    notebook_check("2.19.1", "3.15.1")
    out = capsys.readouterr().out
    assert out.startswith("warning: TensorFlow 2.19.1") and out.count("\n") == 1
    with pytest.raises(UnsupportedVersion) as info:
        notebook_check("2.15.1", "2.15.0")
    assert isinstance(info.value, Keras2pbError)
    # IPython shows _render_traceback_ instead of the traceback: one line in the notebook
    assert info.value._render_traceback_() == [
        f"UnsupportedVersion: {verdict('2.15.1', '2.15.0').message}"]


def test_the_installed_stack_is_supported():
    import keras
    import tensorflow as tf

    versions.require_supported(keras_too=True)  # raises if not
    assert verdict(tf.__version__, keras.__version__).ok


def test_importing_the_library_under_an_old_tensorflow_fails_with_one_line():
    """A real process whose ``tensorflow`` reports 2.15: the CLI says one line, exits 1."""
    code = textwrap.dedent("""
        import sys
        import tensorflow as tf
        tf.__version__ = "2.15.1"
        from keras2pb.cli import main
        sys.exit(main(["inspect", "whatever.pb"]))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert proc.returncode == 1, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("keras2pb:")]
    assert lines == ["keras2pb: error: TensorFlow 2.15.1: keras2pb needs TensorFlow 2.19 or "
                     f"newer with Keras 3: {versions.FIX}"], proc.stderr
    assert "Traceback" not in proc.stderr


def test_pyproject_states_the_same_range():
    import tomllib

    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    lo, hi = versions.MIN_TF, versions.MAX_TF
    assert f"tensorflow>={lo[0]}.{lo[1]},<{hi[0]}.{hi[1] + 1}" in deps
    assert any(d.startswith(f"keras>={versions.KERAS_MAJOR}.") for d in deps)
