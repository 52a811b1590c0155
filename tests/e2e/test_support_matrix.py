"""The support matrix and feature zoo: the fast rows in every runtime at batch 1 and 3 (slow
rows: -m slow). A cell is ok, or fails with the reason docs/SUPPORT.md gives for it."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers.matrix_cells import (
    BATCHES,
    Cell,
    check_model,
    columns,
    markdown,
    relative_error,
    rows,
)

FAST = [r for r in rows() if not r.slow]
SLOW = [r for r in rows() if r.slow]
#: Cells known to fail, (row, runtime) -> part of the reason (docs/SUPPORT.md has the rest,
#: with the way out). Every other cell must be ok: relative error <= 1e-4 at batch 1 and 3 and
#: every argmax agreeing.
_TO_ONNX = "recurrent layers (LSTM, GRU) run in ONNX Runtime"
_ONNX_ROUTE = "use the ONNX route instead: keras2pb export-onnx"
_NO_ONNX_TEXT = "text ops and lookup tables (TextVectorization, StringLookup) have no ONNX"
_C_FLOATS = "the C client (predict.c) feeds float32 inputs only"
_CV_STRINGS = "OpenCV DNN cannot run this graph: it has no string tensors or lookup tables"
KNOWN_FAILURES: dict[tuple[str, str], str] = {
    ("LSTM", "opencv"): _TO_ONNX,
    ("GRU", "opencv"): _TO_ONNX,
    ("BiLSTM + TimeDistributed", "opencv"): _TO_ONNX,
    ("BiLSTM + TimeDistributed", "opencv-onnx"): "LSTMLayerImpl",
    ("Conv1D", "opencv"): "parseExpandDims",
    ("Transformer block", "opencv"): "blobFromTensor",
    ("mixed_float16 CNN", "opencv"): "outputType",
    **{(name, "c"): _C_FLOATS for name in ("TextVectorization", "StringLookup")},
    **{(name, "opencv"): _CV_STRINGS for name in ("TextVectorization", "StringLookup",
                                                  "IntegerLookup behind a float input")},
    **{(name, col): _NO_ONNX_TEXT for name in ("TextVectorization", "StringLookup",
                                               "IntegerLookup behind a float input")
       for col in ("opencv-onnx", "onnx")},
    # OpenVINO's own reasons (issue 23's runtime): no string tensors, no lookup tables
    ("TextVectorization", "openvino"): "no string tensors or lookup tables",
    ("StringLookup", "openvino"): "no string tensors or lookup tables",
    ("IntegerLookup behind a float input", "openvino"): "no string tensors or lookup tables",
}
#: Cells that run but differ by float16 rounding (about 1e-4 relative; docs/SUPPORT.md says
#: why): held to float16's bar, keras2pb.runtime.verify.HALF_TOLERANCE.
KNOWN_DIFFERS = {("mixed_float16 CNN", col) for col in ("opencv-onnx", "onnx", "openvino")}


@pytest.mark.parametrize("row", FAST, ids=[r.name for r in FAST])
def test_fast_row_is_ok_or_fails_as_documented(row, c_client, tmp_path):
    from keras2pb.runtime.verify import HALF_TOLERANCE

    cells = check_model(row, tmp_path, c_binary=c_client)
    assert list(cells) == list(columns())
    for column, cell in cells.items():
        known = KNOWN_FAILURES.get((row.name, column))
        if known is not None:
            assert cell.reason is not None and known in cell.reason, (column, cell.text())
            continue
        assert cell.reason is None, (column, cell.reason)
        assert sorted(cell.diffs) == list(BATCHES), column
        if (row.name, column) in KNOWN_DIFFERS:
            assert max(cell.diffs.values()) <= HALF_TOLERANCE and all(cell.argmax.values())
        else:
            assert cell.ok, (column, cell.text())


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
    agree = {1: True, 3: True}
    cells = {"tf": Cell({1: 1e-8, 3: 3e-8}, argmax=agree),
             "c": Cell(reason="C client not built"), "opencv": Cell({1: 0.2, 3: 0.3}, argmax=agree)}
    text = markdown([(row, cells)], {"on": "2026-11-26", "TensorFlow": "2.21.0"}, 12.0)
    assert "Ran on 2026-11-26, TensorFlow 2.21.0; the rows below took 12 s." in text
    line = next(ln for ln in text.splitlines() if ln.startswith(f"| {row.kind} | {row.name}"))
    assert "| ok (1: 1e-08, 3: 3e-08) | fails (1) | differs (1: 2e-01, 3: 3e-01) | - |" in line
    assert f"1. **{row.name}**, C client (TF C API): C client not built" in text


def test_ok_needs_a_small_relative_error_and_every_argmax():
    """A 1000-class softmax has outputs near 1e-3: an absolute 1e-4 there is a 10 % error."""
    ref = np.full((2, 1000), 1e-3, dtype=np.float32)
    ref[:, 7] = 2e-3
    off = ref * 1.1  # 10 % off everywhere: absolute differences of 1e-4 and 2e-4
    err, agree = relative_error({"probs": ref}, {"probs": off})
    assert agree and err > 0.09
    assert not Cell({1: err}, argmax={1: agree}).ok
    swapped = ref.copy()
    swapped[:, [7, 8]] = swapped[:, [8, 7]]  # the top class moves; values barely change
    err, agree = relative_error({"probs": ref}, {"probs": swapped})
    assert not agree and not Cell({1: 0.0}, argmax={1: agree}).ok
    same_err, same_agree = relative_error({"probs": ref}, {"probs": ref.copy()})
    assert same_err == 0.0 and same_agree and Cell({1: 0.0}, argmax={1: True}).ok
