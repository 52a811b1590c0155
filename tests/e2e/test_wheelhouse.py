"""scripts/wheelhouse.sh: download a wheelhouse once, install from it with no index (offline).

Cheap and real: pip itself, run on a tiny package built here, never TensorFlow's gigabytes
(pip is told to download from a local folder, as if it were the index).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "wheelhouse.sh"


def _run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHON": sys.executable, **env}
    return subprocess.run(["bash", str(SCRIPT), *args], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    """A folder holding the wheel of a tiny package, ``k2pb-tiny`` (module ``k2pb_tiny``)."""
    src = tmp_path_factory.mktemp("tiny")
    (src / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "k2pb-tiny"\nversion = "1.0"\n'
        '[tool.setuptools]\npy-modules = ["k2pb_tiny"]\n')
    (src / "k2pb_tiny.py").write_text("ANSWER = 42\n")
    out = tmp_path_factory.mktemp("index")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(out), str(src)],
                   check=True, capture_output=True, timeout=300)
    return out


def test_download_then_install_with_no_index(index, tmp_path):
    req = tmp_path / "req.txt"
    req.write_text("k2pb-tiny==1.0\n")
    # the script's download step, pointed at a local folder instead of the network
    done = _run("download", "house", cwd=tmp_path, REQUIREMENTS=str(req), WHEELHOUSE_EXTRA="",
                PIP_NO_INDEX="1", PIP_FIND_LINKS=str(index))
    assert done.returncode == 0, done.stderr
    house = tmp_path / "house"  # relative to where the script was called from
    assert [p.name for p in house.iterdir()] == ["k2pb_tiny-1.0-py3-none-any.whl"]
    assert "bash scripts/wheelhouse.sh install" in done.stdout
    # what `install` does (through scripts/setup.sh): pip with no index, only the wheelhouse
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "-r", str(req)], check=True,
                   timeout=300, env={**env, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(house)})
    out = subprocess.run([str(py), "-c", "import k2pb_tiny; print(k2pb_tiny.ANSWER)"],
                         capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "42"


def test_install_from_a_missing_wheelhouse_is_one_clear_line(tmp_path):
    done = _run("install", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'nowhere'}: no wheelhouse there "
        f"(run: bash scripts/wheelhouse.sh download {tmp_path / 'nowhere'})"]


def test_setup_reads_pip_settings_from_the_environment():
    """install hands PIP_NO_INDEX / PIP_FIND_LINKS to setup.sh: its pip calls must not pin
    an index of their own."""
    setup = (REPO / "scripts" / "setup.sh").read_text()
    assert "pip install" in setup
    assert "--index-url" not in setup and "--extra-index-url" not in setup


def test_unknown_command_prints_usage(tmp_path):
    done = _run("fly", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("usage: bash scripts/wheelhouse.sh")
