"""Fuzz: damaged frozen graphs end in a result or a one-line Keras2pbError, never a crash."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.fuzzing import run_case, seed_graphs, viewer_builder

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fuzz_graphs.py"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    work = tmp_path_factory.mktemp("fuzz")
    return work, seed_graphs(work), viewer_builder()


@settings(max_examples=300, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case_seed=st.integers(min_value=0, max_value=2**63))
def test_damaged_graphs_never_crash_inspect_viewer_or_import(seeds, case_seed):
    # In this process: parsing, checks, the viewer and TensorFlow's import, but no run.
    work, graphs, builder = seeds
    assert run_case(graphs, case_seed, work, builder, run=False) in ("ok", "error")


def test_fuzz_cases_reach_both_outcomes(seeds):
    work, graphs, builder = seeds
    outcomes = Counter(run_case(graphs, s, work, builder, run=False) for s in range(100))
    assert outcomes["error"] > 0 and outcomes["ok"] > 0, outcomes


def test_fuzz_script_runs_damaged_graphs_and_isolates_tensorflow_crashes():
    # Running damaged graphs can kill TensorFlow: the script runs them in a worker process
    # and checks that the CLI turns such a crash into a one-line error.
    proc = subprocess.run([sys.executable, str(SCRIPT), "--cases", "400", "--seed", "3"],
                          capture_output=True, text=True, timeout=600)
    summary = proc.stdout.strip().splitlines()[-1]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert summary.startswith("fuzz: 400 cases") and summary.endswith(" 0 crashes"), summary
