"""Unit tests of keras2pb.viewer: cleaning, scope boxes, diff, page building and escaping."""

from __future__ import annotations

import html
import json
import re

import pytest

from keras2pb.errors import Keras2pbError
from keras2pb.viewer import (
    build_hierarchy,
    category,
    clean_graph,
    collapse,
    diff_graphs,
    iframe_html,
    initial_expansion,
    page_html,
    pane_data,
    prepare,
    side_by_side_page,
    single_page,
    strip_consts,
    write_html,
)
from keras2pb.viewer.first_view import dominant_scopes
from tests.fixtures.viewer import HOSTILE, HOSTILE_OP, hostile_graph_def, small_graph_def
from tests.helpers.visible import visible_graph


def _by_name(graph):
    return {n.name: n for n in graph.nodes}


def test_strip_consts_replaces_big_bodies_and_keeps_the_input():
    gd = small_graph_def()
    out = strip_consts(gd, max_const_size=32)
    kernel = [n for n in out.node if n.name == "dense/kernel"][0]
    assert kernel.attr["value"].tensor.tensor_content == b"<stripped 4096 bytes>"
    original = [n for n in gd.node if n.name == "dense/kernel"][0]
    assert len(original.attr["value"].tensor.tensor_content) == 4096
    assert [n.name for n in out.node] == [n.name for n in gd.node]


def test_clean_folds_constants_reads_and_noops_and_drops_control_edges():
    g = clean_graph(small_graph_def())
    nodes = _by_name(g)
    folded = {n.name for n in g.nodes if n.is_folded}
    assert folded == {"dense/kernel", "dense/kernel/read", "dense/bias", "init"}
    matmul = nodes["dense/MatMul"]
    assert [g.nodes[j].name for j in matmul.inputs] == ["input"]
    assert [g.nodes[j].name for j in matmul.folded] == ["dense/kernel/read"]
    relu1 = nodes["act/Relu_1"]
    assert [g.nodes[j].name for j in relu1.inputs] == ["act/Relu"]
    assert relu1.n_control == 1
    assert [g.nodes[j].name for j in nodes["out"].inputs] == ["act/Relu_1"]  # "x:0" parsed
    assert ("T", "float32") in matmul.attrs
    kernel_value = dict(nodes["dense/kernel"].attrs)["value"]
    assert "4096 bytes stripped" in kernel_value and "\0" not in kernel_value


def test_scopes_become_boxes_and_expand_into_their_ops():
    g = clean_graph(small_graph_def())
    h = build_hierarchy(g)
    paths = {sc.path: k for k, sc in enumerate(h.scopes)}
    # "dense/kernel" holds only folded nodes: dissolved; "dense" and "act" stay boxes.
    assert set(paths) == {"", "dense", "act"}
    dense, act = paths["dense"], paths["act"]
    assert h.scopes[dense].count == 5 and h.scopes[dense].shown == 2
    idx = {n.name: i for i, n in enumerate(g.nodes)}

    closed = visible_graph(h, g, {0})
    assert closed.boxes == sorted([f"n{idx['input']}", f"s{dense}", f"s{act}", f"n{idx['out']}"])
    assert set(closed.edges) == {(f"n{idx['input']}", f"s{dense}"), (f"s{dense}", f"s{act}"),
                                 (f"s{act}", f"n{idx['out']}")}
    assert closed.clusters == []

    opened = visible_graph(h, g, {0, dense})
    assert f"n{idx['dense/MatMul']}" in opened.boxes and f"s{dense}" not in opened.boxes
    assert (f"n{idx['dense/MatMul']}", f"n{idx['dense/BiasAdd']}") in opened.edges
    assert (f"n{idx['dense/BiasAdd']}", f"s{act}") in opened.edges
    assert opened.clusters == [dense]
    # A graph this small opens completely in the first view.
    assert initial_expansion(h, g) == {0, dense, act}


def _chain_graph(n: int, op: str = "AddV2", prefix: str = "op"):
    from tensorflow.core.framework.graph_pb2 import GraphDef

    gd = GraphDef()
    gd.node.add(name="x", op="Placeholder")
    prev = "x"
    for i in range(n):
        name = f"{prefix}_{i}" if i else prefix
        gd.node.add(name=name, op=op, input=[prev])
        prev = name
    return gd


def test_numbered_series_become_one_box():
    g = clean_graph(_chain_graph(7, op="AddN", prefix="AddN"))
    h = build_hierarchy(g)
    groups = [sc for sc in h.scopes if sc.kind == "group"]
    assert [sc.label for sc in groups] == ["AddN_* ×7"]
    assert len(visible_graph(h, g, {0}).boxes) == 2  # x and the series box


def test_huge_flat_graph_is_chunked_below_the_layout_cap():
    g = clean_graph(_chain_graph(5000, prefix="step"))
    h = build_hierarchy(g)
    assert all(h.n_boxes(k, g) <= collapse.CROWDED_ABOVE for k in range(len(h.scopes)))
    first = initial_expansion(h, g)
    assert len(visible_graph(h, g, first).boxes) <= collapse.MAX_BOXES


def test_categories_of_removed_ops():
    assert category("gradient_tape/dense/MatMul/MatMul_1", "MatMul") == "gradient"
    assert category("seq/dropout/stateless_random_uniform", "StatelessRandomUniformV2") == "random"
    assert category("adam/AssignAddVariableOp", "AssignAddVariableOp") == "optimizer"
    assert category("bn/AssignSubVariableOp", "AssignSubVariableOp") == "batchnorm"
    assert category("AssignVariableOp", "AssignVariableOp") == "update"
    assert category("adam/Sub_3", "Sub") == "optimizer"
    assert category("seq/dense/Cast/ReadVariableOp", "ReadVariableOp") == "variable"
    assert category("sparse_categorical_crossentropy/Sum", "Sum") == "loss"
    assert category("Add", "AddV2") == "other"


def test_diff_by_name_counts_removed_kept_added():
    left = small_graph_def()
    right = small_graph_def()
    keep = [n for n in right.node if n.name not in ("act/Relu_1", "init")]
    del right.node[:]
    right.node.extend(keep)
    right.node.add(name="extra", op="Softmax", input=["act/Relu"])
    d = diff_graphs(clean_graph(left), clean_graph(right))
    assert d.matched_by == "name"
    assert dict(d.removed) == {"Relu": 1, "NoOp": 1}
    assert dict(d.added) == {"Softmax": 1}
    assert sum(d.kept.values()) == len(left.node) - 2
    n = len(left.node)
    assert d.summary().startswith(f"left graph {n} nodes → right graph {n - 1} nodes; removed 2: ")
    assert d.summary().endswith("; added 1 (Softmax 1)")


def test_diff_falls_back_to_op_types_without_shared_names():
    left = clean_graph(_chain_graph(3, op="Relu", prefix="a"))
    right = clean_graph(_chain_graph(2, op="Tanh", prefix="b"))
    right.nodes[0].name = "y"  # no shared name at all (not even the input)
    right.index = {n.name: i for i, n in enumerate(right.nodes)}
    d = diff_graphs(left, right)
    assert d.matched_by == "op type"
    assert dict(d.removed) == {"Relu": 3} and dict(d.added) == {"Tanh": 2}
    assert "matched by op type" in d.summary()


def _data_of(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="k2-data">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


def test_page_escapes_hostile_names_op_types_and_attrs():
    page = single_page(hostile_graph_def(), title=HOSTILE)
    assert HOSTILE not in page and HOSTILE_OP not in page
    assert "<b onmouseover" not in page
    # The only script elements are the viewer's own three.
    assert len(re.findall(r"<script", page, re.I)) == 3
    assert len(re.findall(r"</script", page, re.I)) == 3
    data = _data_of(page)
    pane = data["panes"][0]
    assert HOSTILE_OP in pane["ops"]
    names = {pane["s"]["path"][p] + "/" + s if pane["s"]["path"][p] and s else
             (s or pane["s"]["path"][p]) for s, p in zip(pane["n"]["name"], pane["n"]["p"],
                                                        strict=True)}
    assert HOSTILE in names
    assert ["note", "<b onmouseover=alert(3)>bold</b>"] in [kv for a in pane["attrs"]
                                                            for kv in a]
    assert html.escape(HOSTILE) in page  # the <title>


def test_iframe_is_sandboxed_and_holds_the_page_escaped():
    page = single_page(hostile_graph_def(), title="t")
    frame = iframe_html(page, height=500)
    m = re.fullmatch(r'<iframe id="(k2f[0-9a-f]+)" sandbox="allow-scripts allow-downloads" '
                     r'title="[^"]*" style="[^"]*" srcdoc="([^"]*)"></iframe>'
                     r"<script>(.*)</script>", frame, re.S)
    assert m, frame[:200]
    # the script beside it only sets that frame's height, from that frame's messages
    ident, srcdoc, script = m.groups()
    assert f"getElementById('{ident}')" in script and "e.source!==f.contentWindow" in script
    assert "innerHTML" not in script and "eval" not in script
    m = re.match(r"(.*)", srcdoc, re.S)
    assert "<" not in m.group(1) and ">" not in m.group(1)
    assert html.unescape(m.group(1)) == page
    assert "height:500px" in frame and "width:100%" in frame


def test_page_needs_no_network_and_inlines_dagre_once():
    page = single_page(small_graph_def())
    assert page.count("dagre=(()=>") == 1
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", page)
    assert "@import" not in page and "sourceMappingURL" not in page
    csp = re.search(r'Content-Security-Policy"\s+content="([^"]*)"', page).group(1)
    assert "default-src 'none'" in csp and "script-src 'nonce-" in csp


def test_pane_data_columns_line_up():
    pg = prepare(small_graph_def(), "small")
    data = pane_data(pg)
    n = len(pg.graph.nodes)
    assert all(len(col) == n for col in data["n"].values())
    assert all(len(col) == len(pg.hier.scopes) for col in data["s"].values())
    assert data["nNodes"] == n and data["nShown"] == 6
    assert page_html([data], "small").startswith("<!DOCTYPE html>")


def test_write_html_one_or_two_graphs(tmp_path, mnist_pair):
    out = write_html([str(mnist_pair["frozen_pb"])], str(tmp_path / "one.html"))
    one = _data_of(out.read_text(encoding="utf-8"))
    assert [p["title"] for p in one["panes"]] == ["mnist_cnn.pb"] and one["summary"] is None
    two = write_html([str(mnist_pair["train_pb"]), str(mnist_pair["frozen_pb"])],
                     str(tmp_path / "two.html"), titles=["training", "frozen"])
    data = _data_of(two.read_text(encoding="utf-8"))
    assert [p["title"] for p in data["panes"]] == ["training", "frozen"]
    assert data["summary"].startswith("training ")
    assert data["summary"].split(";")[0].endswith(f"{len(mnist_pair['frozen_gd'].node)} nodes")
    assert not list(tmp_path.glob(".*.tmp"))


def test_write_html_rejects_bad_input(tmp_path, mnist_pair):
    bad = tmp_path / "bad.pb"
    bad.write_bytes(b"this is not a graph")
    with pytest.raises(Keras2pbError, match="bad.pb"):
        write_html([str(bad)], str(tmp_path / "x.html"))
    pb = str(mnist_pair["frozen_pb"])
    with pytest.raises(Keras2pbError, match="one, two or three"):
        write_html([pb, pb, pb, pb], str(tmp_path / "x.html"))
    with pytest.raises(Keras2pbError, match="titles"):
        write_html([pb], str(tmp_path / "x.html"), titles=["a", "b"])
    assert not (tmp_path / "x.html").exists()


def test_mnist_diff_marks_training_only_ops(mnist_pair):
    page, diff = side_by_side_page(mnist_pair["train_gd"], mnist_pair["frozen_gd"])
    assert diff.matched_by == "name"
    for op in ("Conv2DBackpropFilter", "MaxPoolGrad", "AssignVariableOp"):
        assert op in diff.removed, op
    assert "Conv2D" in diff.kept and "MatMul" in diff.kept
    assert not any("Grad" in op for op in diff.added)
    assert _data_of(page)["summary"] == diff.summary()
    cats = set(diff.left_category) - {""}
    assert {"gradient", "optimizer", "random"} <= cats


def test_tensorboard_html_escapes_titles_and_honours_the_proxy(monkeypatch, tmp_path):
    from keras2pb.viewer.tbserver import TensorBoardServer, frame_url, tensorboard_html

    srv = TensorBoardServer("http://127.0.0.1:6006/", 6006, tmp_path, 0.0)
    monkeypatch.delenv("TENSORBOARD_PROXY_URL", raising=False)
    out = tensorboard_html([srv], [HOSTILE])
    assert HOSTILE not in out and html.escape(HOSTILE) in out
    assert 'src="http://127.0.0.1:6006/#graphs"' in out and "needs the live kernel" in out
    monkeypatch.setenv("TENSORBOARD_PROXY_URL", "https://hub.example/user/me/proxy/%PORT%/")
    assert frame_url(srv) == "https://hub.example/user/me/proxy/6006/#graphs"


def _layers_graph(blocks: int = 8, per_block: int = 6):
    """A flat Keras-like model: ``model/conv{s}_block{b}_{k}_{kind}/op`` for 3 stages."""
    from tensorflow.core.framework.graph_pb2 import GraphDef

    gd = GraphDef()
    gd.node.add(name="x", op="Placeholder")
    prev = "x"
    for stage in (2, 3, 4):
        for b in range(1, blocks + 1):
            for k in range(per_block):
                kind = ("conv", "bn", "relu")[k % 3]
                name = f"model/conv{stage}_block{b}_{k // 3}_{kind}/op"
                gd.node.add(name=name, op="Relu" if kind == "relu" else "Conv2D", input=[prev])
                prev = name
    gd.node.add(name="model/predictions/MatMul", op="MatMul", input=[prev])
    gd.node.add(name="model/predictions/Softmax", op="Softmax", input=["model/predictions/MatMul"])
    return gd


def test_crowded_scopes_are_grouped_by_name_prefix():
    g = clean_graph(_layers_graph())
    h = build_hierarchy(g)
    labels = {sc.path + "/" + sc.label for sc in h.scopes if sc.kind == "group"}
    assert {"model/conv2_*", "model/conv3_*", "model/conv4_*"} <= labels
    assert "model/conv3_block2_*" in labels
    assert all(h.n_boxes(k, g) <= collapse.PREFIX_ABOVE for k in range(len(h.scopes)))
    by_label = {sc.label: k for k, sc in enumerate(h.scopes)}
    conv3 = h.scopes[by_label["conv3_*"]]
    assert conv3.count == 8 * 6  # every op of the stage, none lost or doubled
    assert sum(sc.count for sc in h.scopes if sc.parent == 0) + len(h.scopes[0].ops) == len(
        g.nodes)


def test_names_graph_keeps_what_a_diff_needs():
    from keras2pb.graph.nodes import names_graph

    gd = small_graph_def()
    h = gd.node.add(name="handle", op="Placeholder")
    h.attr["dtype"].type = 20  # DT_RESOURCE
    ng = names_graph(gd)
    assert [n.name for n in ng.nodes] == [n.name for n in gd.node]
    assert ng.nodes[ng.index["handle"]].attrs == [("dtype", "resource")]
    assert ng.nodes[ng.index["input"]].attrs == []
    # the inputs of top-level nodes (a function's Identity/NoOp match by them), no others
    for g in (ng, clean_graph(gd)):
        assert g.nodes[g.index["init"]].input_refs == ("^dense/kernel",)
        assert g.nodes[g.index["out"]].input_refs == ("act/Relu_1:0",)
        assert g.nodes[g.index["act/Relu_1"]].input_refs == ()


def test_side_by_side_first_view_and_borrowed_shapes(mnist_pair):
    page, diff = side_by_side_page(mnist_pair["train_gd"], mnist_pair["frozen_gd"])
    left, right = _data_of(page)["panes"]
    status = diff.left_status
    # no scope whose nodes were all removed is open in the first view; the right pane opens
    # the scopes of the same names as the left, and the model's own scope (to its layers)
    lp = prepare(mnist_pair["train_gd"], "l")
    open_left = {lp.hier.scopes[s].path for s in left["expanded"]}
    for s in left["expanded"][1:]:
        members = [i for i, p in enumerate(lp.hier.parent) if _under(lp.hier, p, s)]
        assert any(status[i] != "removed" for i in members), lp.hier.scopes[s].path
    rp = prepare(mnist_pair["frozen_gd"], "r")
    assert {right["s"]["path"][s] for s in right["expanded"]} <= open_left | dominant_scopes(rp)
    assert "mnist_cnn_1" in dominant_scopes(rp)
    # the frozen pane has shapes (borrowed from the training step) without TensorFlow import
    ops = [right["ops"][o] for o in right["n"]["op"]]
    conv = [right["shapes"][sh] for o, sh in zip(ops, right["n"]["sh"], strict=True)
            if o == "Conv2D"]
    assert conv and all(s.startswith("(?, ") for s in conv)


def _under(hier, s, top):
    while s >= 0:
        if s == top:
            return True
        s = hier.scopes[s].parent
    return False


def test_show_reads_graphs_without_importing_tensorflow(mnist_pair, tmp_path):
    import subprocess
    import sys

    out = tmp_path / "page.html"
    code = ("import sys; from keras2pb.cli import main; "
            f"rc = main(['show', {str(mnist_pair['train_pb'])!r}, {str(mnist_pair['infer_pb'])!r},"
            f" {str(mnist_pair['frozen_pb'])!r}, '-o', {str(out)!r}]); "
            "print(rc, 'tensorflow' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.split()[-2:] == ["0", "False"], done.stdout + done.stderr
    data = _data_of(out.read_text(encoding="utf-8"))
    assert len(data["stages"]) == 3 and "changed at freezing" in data["summary"]


def test_three_stage_page_data_freezing_in_numbers(mnist_pair):
    """Three panes; the sentences' numbers come from the diff and the frozen constants; the
    ops reading variables carry chips (variables in the trace, constants in the frozen graph);
    an op whose variable input froze is "input changed at freezing"; one table group per
    transition."""
    page, diff = side_by_side_page(mnist_pair["train_gd"], mnist_pair["frozen_gd"],
                                   ("training step", "inference trace", "frozen graph"),
                                   inference=mnist_pair["infer_gd"])
    data = _data_of(page)
    assert [p["role"] for p in data["panes"]] == ["training", "trace", "frozen"]
    fates = [f for f, _ in data["fates"]]
    tracing, freezing = data["transitions"]
    n_rm = sum(diff.tracing.removed.values())
    assert tracing["text"].startswith(f"{n_rm:,} training-step nodes were never recorded")
    frozen = data["panes"][2]
    consts = [(frozen["ops"][o], a) for o, a, f in zip(frozen["n"]["op"], frozen["n"]["at"],
                                                       frozen["n"]["f"], strict=True)
              if fates[f] == "changed" and frozen["ops"][o] == "Const"]
    weights = 0
    for _, a in consts:
        value = dict(map(tuple, frozen["attrs"][a]))["value"]
        dims = [int(d) for d in re.findall(r"\d+", value.split("(")[1].split(")")[0])]
        weights += int(__import__("math").prod(dims))
    assert f"{len(consts)} variables ({weights:,} weights" in freezing["text"]
    for k, kind in ((1, 0), (2, 1)):
        chips = [c for cs in data["panes"][k]["chips"].values() for c in cs]
        assert chips and {c[3] for c in chips} == {kind}
        assert sum(c[2] for c in chips) > 0
    convs = [fates[f] for o, f in zip(frozen["n"]["op"], frozen["n"]["f"], strict=True)
             if frozen["ops"][o] == "Conv2D"]
    assert convs and set(convs) == {"input"}
    assert [g[0] for g in data["table"]["groups"]] == ["at tracing", "at freezing"]
    assert all(len(r) == 7 for r in data["table"]["rows"])


def test_a_frozen_graph_and_its_opencv_rewrite_say_what_each_pass_did(opencv_pair, tmp_path):
    """show_graphs(frozen.pb, frozen.opencv.pb): a "rewrite" diff; every node the rewrite
    touched has a reason: grappler's work, or the pass of opencv_rewrite.PASSES that did it;
    the page's fates, legend head, navigator homes and sentence are the rewrite's."""
    from keras2pb import show_graphs
    from keras2pb.graph.diff import REWRITE_ADDED, REWRITE_REMOVED
    from keras2pb.graph.opencv_rewrite import PASSES

    view = show_graphs(str(opencv_pair["frozen_pb"]), opencv_pair["opencv_pb"])
    diff = view.diff
    assert diff.kind == "rewrite" and diff.titles == ("rewrite_cnn.pb", "rewrite_cnn.opencv.pb")
    removed = {c for c, st in zip(diff.left_category, diff.left_status, strict=True)
               if st == "removed"}
    assert removed == {"rw_identity", "rw_removed", "rw_merged"}
    assert all(c == "" for c, st in zip(diff.left_category, diff.left_status, strict=True)
               if st == "kept")
    done = diff.rewritten
    # BatchNorm after a Conv2D with a bias: its Mul became a depthwise convolution (and its
    # filter was added), its add a BiasAdd; after the bias-free Conv2D grappler folded it
    assert done["rw_muls_to_depthwise"] == 2 and done["rw_adds_to_bias_adds"] == 2
    assert done["rw_mul_conv"] == 1 and done["rw_const"] > 0
    ops = {n.name: n.op for n in opencv_pair["opencv_gd"].node}
    for j, (name, reason) in enumerate(zip(ops, diff.right_reason, strict=True)):
        if reason == "rw_muls_to_depthwise":
            assert ops[name] in ("DepthwiseConv2dNative", "Const"), name
        if not reason:
            assert diff.right_status[j] == "kept", name
    ((title, text),) = diff.sentences()
    assert title == "Rewrite rewrite_cnn.pb → rewrite_cnn.opencv.pb"
    n_rm = sum(diff.removed.values())
    adds = PASSES["adds_to_bias_adds"][3]
    assert text.startswith(f"{n_rm} nodes removed (") and f"{adds} 2" in text
    data = _data_of(view.page)
    assert [k for k, _ in data["categories"]] == [k for k, _ in REWRITE_REMOVED]
    fates = [k for k, _ in data["fates"]]
    assert fates == [k for k, _ in REWRITE_REMOVED] + ["kept"] + [k for k, _ in REWRITE_ADDED]
    assert data["removedHead"] == "removed by the rewrite:"
    assert set(data["nav"]) == set(fates) - {"kept"}
    assert data["transitions"] == [{"title": title, "text": text}]
    right = data["panes"][1]["n"]["f"]
    assert [fates[f] for f in right].count("rw_adds_to_bias_adds") == 2
    # the command line writes the same page: keras2pb show a.pb a.opencv.pb -o page.html
    from keras2pb.cli import main

    out = tmp_path / "page.html"
    assert main(["show", str(opencv_pair["frozen_pb"]), str(opencv_pair["opencv_pb"]),
                 "-o", str(out)]) == 0
    assert _data_of(out.read_text(encoding="utf-8"))["transitions"] == data["transitions"]


def test_rewrite_reasons_find_each_pass_by_its_mark():
    """A pass is named from its mark: the op types it turns a node from and into, or the
    name suffix of the nodes it adds (``_`` appended when taken); grappler's work from what
    is left."""
    from tensorflow.core.framework.graph_pb2 import GraphDef

    from keras2pb.graph.diff import diff_graphs

    def graph(nodes):
        gd = GraphDef()
        for name, op, inputs in nodes:
            gd.node.add(name=name, op=op, input=inputs)
        return clean_graph(gd)

    left = graph([("x", "Placeholder", []), ("s", "Const", []), ("m", "Mul", ["x", "s"]),
                  ("b", "Const", []), ("r", "Relu", ["m"]), ("add", "BiasAdd", ["r", "b"]),
                  ("i", "Identity", ["add"]), ("out", "Softmax", ["i"])])
    right = graph([("x", "Placeholder", []), ("m", "Const", []),
                   ("r", "Relu", ["x"]), ("b", "Const", []),
                   ("add/times_one/depthwise_filter_", "Const", []),
                   ("add/times_one", "DepthwiseConv2dNative",
                    ["r", "add/times_one/depthwise_filter_"]),
                   ("add", "BiasAdd", ["add/times_one", "b"]), ("out", "Softmax", ["add"])])
    diff = diff_graphs(left, right)
    assert diff.kind == "rewrite"
    why = dict(zip((n.name for n in right.nodes), diff.right_reason, strict=True))
    assert why == {"x": "", "m": "rw_const", "r": "rw_input", "b": "",
                   "add/times_one/depthwise_filter_": "rw_lone_bias_adds_to_depthwise",
                   "add/times_one": "rw_lone_bias_adds_to_depthwise",
                   "add": "rw_lone_bias_adds_to_depthwise", "out": "rw_input"}
    gone = dict(zip((n.name for n in left.nodes), diff.left_category, strict=True))
    assert gone["i"] == "rw_identity" and gone["s"] == "rw_removed"
    # a training step on the left is no rewrite: its removals keep their training reasons
    assert diff_graphs(graph([("v", "VarHandleOp", []), ("x", "Placeholder", [])]),
                       graph([("x", "Placeholder", [])])).kind == "training"
    # nor is another frozen model that shares only its input's name
    other = graph([("x", "Placeholder", []), ("net/a", "Relu", ["x"]),
                   ("net/b", "Softmax", ["net/a"])])
    assert diff_graphs(left, other).kind == "training"
