"""The drift overlay's data: per node of the frozen graph its worst relative drift, the first
divergence marked, and a bad report a one-line error naming it."""

from __future__ import annotations

import json

import pytest

from keras2pb import show
from keras2pb.cli import main
from keras2pb.errors import Keras2pbError
from keras2pb.viewer import pane_data, prepare, single_page
from keras2pb.viewer.payload import drift_overlay
from tests.fixtures.viewer import small_graph_def


def _node(name, rel, abs_=None, tol=1e-5):
    return {"node": name, "op": "X", "max_abs_diff": abs_ if abs_ is not None else rel,
            "max_rel_diff": rel, "tolerance": tol, "diverged": rel is None or rel > tol,
            "nonfinite": None}


def _report():
    """Two pairs (as ``DriftReport.to_dict()`` writes them): the worst of both counts."""
    first = {"node": "act/Relu", "max_abs_diff": 0.25, "tolerance": 1e-5,
             "reference": "keras", "runtime": "tf"}
    return {"graph": "small.pb", "n": 3, "atol": 1e-6, "rtol": 1e-5,
            "first_divergence": first,
            "pairs": [
                {"reference": "keras", "runtime": "tf", "status": "ok", "note": "",
                 "first_divergence": first, "unmatched": [],
                 "nodes": [_node("dense/MatMul", 1e-7), _node("dense/BiasAdd", 2e-7),
                           _node("act/Relu", 0.3), _node("act/Relu_1", 0.3)]},
                {"reference": "tf", "runtime": "onnx", "status": "ok", "note": "",
                 "first_divergence": None, "unmatched": [],
                 "nodes": [_node("dense/MatMul", 3e-6), _node("act/Relu_1", None)]},
            ]}


def test_pane_data_carries_the_drift_column_and_the_first_divergence():
    pg = prepare(small_graph_def(), "small")
    data = pane_data(pg, drift=_report())
    names = [n.name for n in pg.graph.nodes]
    drift = dict(zip(names, data["n"]["dr"], strict=True))
    assert drift["dense/MatMul"] == 3e-6  # the worse of its two pairs
    assert drift["dense/BiasAdd"] == 2e-7
    assert drift["act/Relu"] == 0.3
    assert drift["act/Relu_1"] == -1  # not finite in one pair: the worst
    assert drift["input"] is None and drift["dense/kernel"] is None  # not compared
    summary = data["drift"]
    assert names[summary["first"]] == "act/Relu" == summary["firstNode"]
    assert summary["firstInfo"]["max_abs_diff"] == 0.25
    assert summary["firstInfo"]["runtime"] == "tf"
    assert summary["matched"] == 4
    # without a report: no column, no summary
    plain = pane_data(pg)
    assert "dr" not in plain["n"] and plain["drift"] is None
    # the page carries it (and its script draws it)
    page = single_page(small_graph_def(), "small", _report())
    assert '"firstNode":"act/Relu"' in page and "gotoDivergence" in page


def test_a_first_divergence_outside_the_graph_marks_nothing():
    report = _report()
    report["first_divergence"] = dict(report["first_divergence"], node="elsewhere/Conv2D")
    column, summary = drift_overlay(prepare(small_graph_def(), "small").graph, report)
    assert summary["first"] == -1 and summary["firstNode"] == "elsewhere/Conv2D"
    report["first_divergence"] = None
    column, summary = drift_overlay(prepare(small_graph_def(), "small").graph, report)
    assert summary["first"] == -1 and summary["firstInfo"] is None
    assert sum(v is not None for v in column) == 4


class _FakeReport:
    """Anything with ``to_dict()`` (a DriftReport) is taken as its dict."""

    def to_dict(self):
        return _report()


def test_show_graph_takes_a_report_or_its_dict_and_refuses_others():
    view = show.show_graph(small_graph_def(), drift=_FakeReport())
    assert '"firstNode":"act/Relu"' in view.page
    with pytest.raises(Keras2pbError, match="drift: not a per-node drift report"):
        show.show_graph(small_graph_def(), drift={"nodes": []})
    with pytest.raises(Keras2pbError, match="numeric max_rel_diff"):
        show.show_graph(small_graph_def(), drift={"pairs": [{"nodes": [
            {"node": "a", "max_rel_diff": "big"}]}]})


def test_cli_show_drift_and_bad_drift_files(tmp_path, capfd):
    pb = tmp_path / "small.pb"
    pb.write_bytes(small_graph_def().SerializeToString())
    good = tmp_path / "drift.json"
    good.write_text(json.dumps(_report()))
    out = tmp_path / "page.html"
    assert main(["show", str(pb), "-o", str(out), "--drift", str(good)]) == 0
    assert '"firstNode":"act/Relu"' in out.read_text()
    capfd.readouterr()
    for name, text in (("missing.json", None), ("broken.json", "{not json"),
                       ("other.json", json.dumps({"inputs": ["x"]}))):
        bad = tmp_path / name
        if text is not None:
            bad.write_text(text)
        page = tmp_path / f"{name}.html"
        assert main(["show", str(pb), "-o", str(page), "--drift", str(bad)]) != 0
        err = capfd.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and name in err, err
        assert "Traceback" not in err
        assert not page.exists()
