"""The support matrix: the fast rows in every runtime at batch 1 and 4 (slow rows: -m slow)."""

from __future__ import annotations

import pytest

from tests.helpers.support_matrix import BATCHES, COLUMNS, Cell, check_model, markdown, rows

FAST = [r for r in rows() if not r.slow]
SLOW = [r for r in rows() if r.slow]
#: Cells the slow rows are known to fail, with part of the reason (docs/SUPPORT.md).
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize("row", FAST, ids=[r.name for r in FAST])
def test_fast_row_runs_everywhere_at_batch_1_and_4(row, c_client, tmp_path):
    cells = check_model(row, tmp_path, c_binary=c_client)
    assert list(cells) == list(COLUMNS)
    for column, cell in cells.items():
        assert cell.reason is None, (column, cell.reason)
        assert sorted(cell.diffs) == list(BATCHES), column
        assert max(cell.diffs.values()) <= 1e-5, (column, cell.diffs)
        assert cell.ok


@pytest.mark.slow
@pytest.mark.parametrize("row", SLOW, ids=[r.name for r in SLOW])
def test_slow_row(row, c_client, tmp_path):
    cells = check_model(row, tmp_path, c_binary=c_client)
    for column, cell in cells.items():
        known = KNOWN_FAILURES.get((row.name, column))
        if known is None:
            assert cell.ok, (column, cell.text())
        else:
            assert cell.reason is not None and known in cell.reason, cell.text()


def test_markdown_states_how_it_ran():
    row = FAST[0]
    cells = {"tf": Cell({1: 1e-8, 4: 3e-8}), "c": Cell(reason="C client not built"),
             "opencv": Cell({1: 0.2, 4: 0.3})}
    text = markdown([(row, cells)], {"on": "2026-11-26", "TensorFlow": "2.21.0"})
    assert "Ran on 2026-11-26, TensorFlow 2.21.0." in text
    line = next(ln for ln in text.splitlines() if ln.startswith(f"| {row.name}"))
    assert "| ok (1: 1e-08, 4: 3e-08) | fails: C client not built | differs (1: 2e-01, " \
           "4: 3e-01) | - | - |" in line
