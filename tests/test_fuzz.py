"""Fuzz: damaged frozen graphs end in a result or a one-line Keras2pbError, never a crash."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keras2pb.fuzzing import run_case, seed_graphs, viewer_builder


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    work = tmp_path_factory.mktemp("fuzz")
    return work, seed_graphs(work), viewer_builder()


@settings(max_examples=300, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case_seed=st.integers(min_value=0, max_value=2**63))
def test_damaged_graphs_never_crash(seeds, case_seed):
    work, graphs, builder = seeds
    assert run_case(graphs, case_seed, work, builder) in ("ok", "error")


def test_fuzz_cases_reach_both_outcomes(seeds):
    work, graphs, builder = seeds
    outcomes = Counter(run_case(graphs, s, work, builder) for s in range(100))
    assert outcomes["error"] > 0 and outcomes["ok"] > 0, outcomes
