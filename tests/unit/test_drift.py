"""Per-node drift: a fault in one weight is reported at its node, and nothing else diverges."""

from __future__ import annotations

import json

import numpy as np
import pytest

from keras2pb import Keras2pbError
from keras2pb.runtime.drift import per_node_drift, topological_nodes


def _deep_cnn():
    """Five convolutions with BatchNorm, a residual add and a side branch, on 12x12x3."""
    import keras
    from keras import layers

    x_in = keras.Input((12, 12, 3), name="image")
    x = layers.Conv2D(8, 3, padding="same", name="c1")(x_in)
    x = layers.ReLU(name="r1")(layers.BatchNormalization(name="bn1")(x))
    y = layers.Conv2D(8, 3, padding="same", activation="relu", name="c2")(x)
    y = layers.Conv2D(8, 3, padding="same", name="c3")(y)
    x = layers.ReLU(name="r3")(layers.Add(name="res")([x, y]))
    side = layers.Conv2D(8, 1, name="side")(x)
    z = layers.Conv2D(8, 3, padding="same", activation="relu", name="c4")(x)
    z = layers.Add(name="join")([z, side])
    z = layers.GlobalAveragePooling2D(name="gap")(z)
    out = layers.Dense(5, activation="softmax", name="probs")(z)
    return keras.Model(x_in, out, name="deep_cnn")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """``{name: (model, pb)}``: each model frozen once; tests nudge weights and restore them."""
    import keras

    from keras2pb import freeze
    from keras2pb.tutorial.models import bn_cnn, mnist_cnn

    out = tmp_path_factory.mktemp("drift")
    keras.utils.set_random_seed(3)
    built = {}
    for name, make in (("mnist_cnn", mnist_cnn), ("bn_cnn", bn_cnn), ("deep_cnn", _deep_cnn)):
        model = make()
        pb = out / f"{name}.pb"
        freeze(model, pb)
        built[name] = (model, pb)
    return built


def _inputs(model, n=3):
    rng = np.random.default_rng(0)
    return rng.random((n, *model.inputs[0].shape[1:]), dtype=np.float32)


def _downstream(pb, start):
    """Names of the nodes that depend on ``start`` (itself included)."""
    from keras2pb.graph.reading import read_graph_def

    gd = read_graph_def(pb)
    users = {}
    for node in gd.node:
        for src in node.input:
            if not src.startswith("^"):
                users.setdefault(src.split(":")[0], []).append(node.name)
    seen, todo = {start}, [start]
    while todo:
        for user in users.get(todo.pop(), []):
            if user not in seen:
                seen.add(user)
                todo.append(user)
    return seen


def test_a_clean_freeze_does_not_drift(models):
    model, pb = models["deep_cnn"]
    report = per_node_drift(model, pb, x=_inputs(model))
    (pair,) = report.pairs
    assert (pair.reference, pair.runtime, pair.status) == ("keras", "tf", "ok")
    assert report.first_divergence is None and pair.first_divergence is None
    assert len(pair.nodes) >= 15 and not pair.unmatched
    assert all(n.max_abs_diff <= n.tolerance for n in pair.nodes)
    ops = {n.op for n in pair.nodes}
    assert {"Conv2D", "Relu", "AddV2", "MatMul", "Softmax"} <= ops
    assert "Const" not in ops and "Placeholder" not in ops
    assert "no node drifts past the tolerance" in report.format_table()


@pytest.mark.parametrize("name,layer,index,earlier", [
    ("deep_cnn", "c3", (1, 1, 2, 5), 8),     # deep in the residual branch
    ("deep_cnn", "c4", (0, 2, 7, 0), 10),    # beside the 1x1 side branch
    ("deep_cnn", "side", (0, 0, 3, 6), 10),  # the side branch itself
    ("mnist_cnn", "conv2", (2, 0, 11, 30), 4),
    ("bn_cnn", "conv1", (1, 1, 0, 9), 0),    # the very first node
])
def test_a_nudged_weight_is_found_at_its_convolution(models, name, layer, index, earlier):
    model, pb = models[name]
    kernel = model.get_layer(layer).kernel
    saved = kernel.numpy()
    nudged = saved.copy()
    nudged[index] += 0.5
    kernel.assign(nudged)  # the Keras model moved on; the frozen graph did not
    try:
        report = per_node_drift(model, pb, x=_inputs(model))
    finally:
        kernel.assign(saved)
    first = report.first_divergence
    assert first is not None
    assert first["node"].endswith(f"{layer}_1/convolution"), first
    assert first["max_abs_diff"] > first["tolerance"] > 0
    (pair,) = report.pairs
    after = _downstream(pb, first["node"])
    diverged = [n.node for n in pair.nodes if n.diverged]
    assert diverged and set(diverged) <= after  # nothing upstream or beside it diverges
    before = pair.nodes[:[n.node for n in pair.nodes].index(first["node"])]
    assert len(before) >= earlier  # compared, and within the tolerance (it is the first)
    assert all(n.max_abs_diff <= n.tolerance for n in before)


def test_a_fault_in_the_pb_is_found_at_its_convolution(models, tmp_path):
    """The other way round: one weight of the frozen graph's constant is changed."""
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.python.framework import tensor_util

    model, pb = models["deep_cnn"]
    gd = GraphDef.FromString(pb.read_bytes())
    (const,) = [n for n in gd.node if n.name.endswith("c3_1/convolution/ReadVariableOp")]
    resource = next(n for n in gd.node if n.name == const.input[0])
    values = tensor_util.MakeNdarray(resource.attr["value"].tensor).copy()
    values[2, 0, 4, 1] -= 0.5
    resource.attr["value"].tensor.CopyFrom(tensor_util.make_tensor_proto(values))
    bad = tmp_path / "bad.pb"
    bad.write_bytes(gd.SerializeToString())
    (tmp_path / "bad.pb.json").write_text(pb.with_name(pb.name + ".json").read_text())
    report = per_node_drift(model, bad, x=_inputs(model))
    assert report.first_divergence["node"].endswith("c3_1/convolution")


def test_report_json_and_table(models):
    model, pb = models["mnist_cnn"]
    kernel = model.get_layer("conv1").kernel
    saved = kernel.numpy()
    kernel.assign(saved * 1.01)
    try:
        report = per_node_drift(model, pb, x=_inputs(model), atol=1e-6, rtol=1e-5)
    finally:
        kernel.assign(saved)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["n"] == 3 and data["atol"] == 1e-6 and data["rtol"] == 1e-5
    first = data["first_divergence"]
    assert set(first) >= {"node", "max_abs_diff", "tolerance"}
    assert first["node"] == "mnist_cnn_1/conv1_1/convolution"
    nodes = data["pairs"][0]["nodes"]
    assert nodes[0]["node"] == first["node"] and nodes[0]["diverged"]
    assert set(nodes[0]) == {"node", "tensor", "op", "max_abs_diff", "max_rel_diff",
                             "tolerance", "diverged", "nonfinite"}
    assert nodes[0]["nonfinite"] == ""
    text = report.format_table()
    assert text.splitlines()[-1].startswith("first divergence: mnist_cnn_1/conv1_1/convolution")
    assert "<- first divergence" in text


def test_topological_order_puts_inputs_first():
    from tensorflow.core.framework.graph_pb2 import GraphDef

    gd = GraphDef()
    for name, inputs in (("c", ["b", "^a"]), ("b", ["a:0"]), ("a", [])):
        gd.node.add(name=name, op="Identity", input=inputs)
    assert [n.name for n in topological_nodes(gd)] == ["a", "b", "c"]
    gd.node.add(name="a2", op="Identity", input=["c"])
    gd.node[2].input.append("a2")  # a cycle a -> b -> c -> a2 -> a
    with pytest.raises(Keras2pbError, match="cycle"):
        topological_nodes(gd)


def test_bad_arguments_are_user_errors(models):
    model, pb = models["mnist_cnn"]
    with pytest.raises(Keras2pbError, match="unknown runtime 'tensorrt'"):
        per_node_drift(model, pb, ["tensorrt"])
    with pytest.raises(Keras2pbError, match="tolerance"):
        per_node_drift(model, pb, atol=-1.0)


def test_cli_per_node(models, tmp_path, capfd):
    from keras2pb.cli import main

    model, pb = models["mnist_cnn"]
    kernel = model.get_layer("conv2").kernel
    saved = kernel.numpy()
    kernel.assign(saved + 0.01)
    try:
        model.save(tmp_path / "moved.keras")
    finally:
        kernel.assign(saved)
    np.save(tmp_path / "x.npy", _inputs(model))
    args = ["verify", str(tmp_path / "moved.keras"), str(pb), "--per-node",
            "--input", str(tmp_path / "x.npy")]
    assert main([*args, "--json"]) == 1  # a divergence is a failed check
    data = json.loads(capfd.readouterr().out)
    assert data["first_divergence"]["node"] == "mnist_cnn_1/conv2_1/convolution"
    assert main(args) == 1
    last = capfd.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("first divergence: mnist_cnn_1/conv2_1/convolution (keras vs tf)")
    model.save(tmp_path / "same.keras")
    assert main(["verify", str(tmp_path / "same.keras"), str(pb), "--per-node"]) == 0
    assert "no node drifts past the tolerance" in capfd.readouterr().out


# --- the reviewer's findings (issue: per-node drift under attack) ---------------------------

def _noisy(model, seed, scale=0.5):
    """Give every weight a seeded, non-trivial value."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        w.assign((rng.normal(0, scale, w.shape)).astype(w.dtype))
    return model


def _two_heads(kind):
    """One input, two Dense heads, returned as a list or a dict."""
    import keras
    from keras import layers

    x_in = keras.Input((6,), name="feat")
    h = layers.Dense(5, activation="tanh", name="hid")(x_in)
    o1, o2 = layers.Dense(3, name="o1")(h), layers.Dense(2, name="o2")(h)
    outputs = [o1, o2] if kind == "list" else {"o1": o1, "o2": o2}
    return _noisy(keras.Model(x_in, outputs, name=f"heads_{kind}"), 1)


def _frozen(model, tmp_path, name):
    from keras2pb import freeze

    pb = tmp_path / f"{name}.pb"
    freeze(model, pb)
    return pb


def _nudge(model, layer, delta, index=0, which=0):
    """Change one weight of ``layer``; returns a function that puts it back."""
    var = model.get_layer(layer).weights[which]
    saved = var.numpy()
    moved = saved.copy()
    moved.reshape(-1)[index] += delta
    var.assign(moved)
    return lambda: var.assign(saved)


def test_nan_or_inf_in_the_reference_is_a_divergence(models, tmp_path, capfd):
    """Finding 1: NaN made the tolerance NaN, so nothing diverged and the CLI exited 0."""
    from keras2pb.cli import main

    model, pb = models["mnist_cnn"]
    x = _inputs(model)
    for value, text in ((np.nan, "NaN"), (np.inf, "inf")):
        undo = _nudge(model, "conv2", value)
        try:
            report = per_node_drift(model, pb, x=x)
            if value is np.nan:
                model.save(tmp_path / "nan.keras")
        finally:
            undo()
        first = report.first_divergence
        assert first is not None and first["node"] == "mnist_cnn_1/conv2_1/convolution", first
        assert text in first["nonfinite"] and "keras:" in first["nonfinite"]
        assert "tf: finite" in first["nonfinite"]
        assert all(n.tolerance == n.tolerance for n in report.pairs[0].nodes)  # never NaN
        data = report.to_dict()
        json.dumps(data, allow_nan=False)  # strict JSON
        assert data["first_divergence"]["max_abs_diff"] is None
        assert "NaN/inf: keras: " in report.format_table().splitlines()[-1]
    args = ["verify", str(tmp_path / "nan.keras"), str(pb), "--per-node"]
    assert main([*args, "--json"]) == 1
    out = capfd.readouterr().out
    data = json.loads(out, parse_constant=lambda c: pytest.fail(f"not strict JSON: {c}"))
    assert data["first_divergence"]["node"] == "mnist_cnn_1/conv2_1/convolution"


def test_nan_and_inf_rules_of_one_tensor():
    from keras2pb.runtime.drift import compare_nodes

    t = [("n", "n:0", "Relu")]
    nan, inf = np.nan, np.inf
    cases = {  # reference, other side, diverged?
        "same finite": ([1.0, 2.0], [1.0, 2.0], False),
        "NaN on both sides": ([nan, 2.0], [nan, 2.0], True),  # the reference is not finite
        "inf on both sides": ([inf, 2.0], [inf, 2.0], True),
        "NaN only in the other side": ([1.0, 2.0], [nan, 2.0], True),
        "inf against -inf": ([1.0, -inf], [1.0, inf], True),
    }
    for label, (ref, got, diverged) in cases.items():
        (node,), _ = compare_nodes(t, {"n:0": np.array(ref, np.float32)},
                                   {"n:0": np.array(got, np.float32)}, 1e-5, 1e-4)
        assert node.diverged is diverged, label
        assert np.isfinite(node.tolerance), label
        assert (node.nonfinite == "") is (label == "same finite"), label
    (node,), _ = compare_nodes(t, {"n:0": np.array([1.0, nan])}, {"n:0": np.array([1.0, 3.0])},
                               1e-5, 1e-4, ("tf", "onnx"))
    assert node.nonfinite == "tf: 1 NaN; onnx: finite (1 values disagree)"


@pytest.mark.parametrize("kind", ["list", "dict"])
def test_models_with_two_outputs(tmp_path, kind):
    """Finding 2: the trace's Identity_1 waits on a NoOp that reads the variables."""
    model = _two_heads(kind)
    pb = _frozen(model, tmp_path, kind)
    x = np.random.default_rng(2).normal(size=(3, 6)).astype(np.float32)
    report = per_node_drift(model, pb, x=x)
    (pair,) = report.pairs
    assert report.first_divergence is None and not pair.unmatched
    assert {"hid_1/MatMul", "o1_1/MatMul", "o2_1/MatMul"} <= {
        n.node.split("/", 1)[1] for n in pair.nodes if "/" in n.node}
    undo = _nudge(model, "o2", 0.5, index=3)
    try:
        report = per_node_drift(model, pb, x=x)
    finally:
        undo()
    assert report.first_divergence["node"] == f"heads_{kind}_1/o2_1/MatMul"
    diverged = {n.node for n in report.pairs[0].nodes if n.diverged}
    assert not any("o1" in n or "hid" in n for n in diverged), diverged


def _gru_model():
    import keras
    from keras import layers

    x_in = keras.Input((5, 3), name="seq")
    h = layers.GRU(4, name="gru")(x_in)
    out = layers.Dense(2, name="head")(h)
    return _noisy(keras.Model(x_in, out, name="gru_net"), 4)


@pytest.fixture(scope="module")
def gru_graphs(tmp_path_factory):
    """The GRU model frozen three ways: by ``freeze``, and by hand with the while loop lowered
    (Enter/Merge/NextIteration/Exit) and kept functional (a While op with body functions)."""
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    from keras2pb.freezing.freeze import serving_function
    from keras2pb.graph.reading import read_graph_def

    out = tmp_path_factory.mktemp("gru")
    model = _gru_model()
    pbs = {"freeze": _frozen(model, out, "freeze")}
    sidecar = pbs["freeze"].with_name("freeze.pb.json").read_text()
    for name, lower in (("lowered", True), ("functional", False)):
        fn = convert_variables_to_constants_v2(serving_function(model).concrete,
                                               lower_control_flow=lower)
        pb = out / f"{name}.pb"
        pb.write_bytes(fn.graph.as_graph_def().SerializeToString())
        pb.with_name(f"{name}.pb.json").write_text(sidecar)
        pbs[name] = pb
    ops = {k: {n.op for n in read_graph_def(p).node} for k, p in pbs.items()}
    assert "NextIteration" in ops["lowered"] and "While" not in ops["lowered"]
    assert "While" in ops["functional"] and "NextIteration" not in ops["functional"]
    return model, pbs


@pytest.mark.parametrize("how", ["freeze", "lowered", "functional"])
def test_recurrent_models(gru_graphs, how):
    """Finding 3: a lowered loop's back edge was a cycle; the loop's outer nodes compare."""
    model, pbs = gru_graphs
    x = np.random.default_rng(5).normal(size=(3, 5, 3)).astype(np.float32)
    report = per_node_drift(model, pbs[how], x=x)
    (pair,) = report.pairs
    assert report.first_divergence is None
    compared = {n.node for n in pair.nodes}
    assert "gru_net_1/head_1/MatMul" in compared and "Identity" in compared
    assert not any("/while/body" in n or "/while/cond" in n for n in compared)
    for layer, where in (("head", "gru_net_1/head_1/MatMul"), ("gru", "gru_net_1/gru_1/")):
        undo = _nudge(model, layer, 0.5, index=1)
        try:
            first = per_node_drift(model, pbs[how], x=x).first_divergence
        finally:
            undo()
        assert first is not None and first["node"].startswith(where), (layer, first)


def test_loop_back_edges_are_not_cycles_and_errors_name_the_file():
    from tensorflow.core.framework.graph_pb2 import GraphDef

    from keras2pb.runtime.drift import loop_depths

    gd = GraphDef()
    for name, op, inputs in (("x", "Placeholder", []), ("enter", "Enter", ["x"]),
                             ("merge", "Merge", ["enter", "next"]), ("body", "Relu", ["merge"]),
                             ("next", "NextIteration", ["body"]), ("exit", "Exit", ["body"]),
                             ("after", "Relu", ["exit"])):
        gd.node.add(name=name, op=op, input=inputs)
    order = topological_nodes(gd, "loop.pb")
    assert [n.name for n in order] == ["x", "enter", "merge", "body", "next", "exit", "after"]
    depth = loop_depths(order)
    assert [depth[n] for n in ("x", "enter", "body", "exit", "after")] == [0, 1, 1, 0, 0]
    gd.node[0].input.append("after")  # a real cycle
    with pytest.raises(Keras2pbError, match=r"^loop\.pb: the graph has a cycle .*through x"):
        topological_nodes(gd, "loop.pb")


def test_a_model_that_does_not_match_the_graph(models, tmp_path, capfd):
    """Finding 4: KeyError 'img' (internal error) -> one line naming both files."""
    from keras2pb.cli import main

    _, pb = models["mnist_cnn"]
    other = _two_heads("list")
    other.save(tmp_path / "other.keras")
    with pytest.raises(Keras2pbError, match=r"mnist_cnn\.pb: model .*other\.keras does not "
                                            r"match this graph: the model takes 'feat'"):
        per_node_drift(tmp_path / "other.keras", pb)
    assert main(["verify", str(tmp_path / "other.keras"), str(pb), "--per-node"]) == 1
    err = capfd.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "internal error" not in err
    assert "other.keras" in err and "mnist_cnn.pb" in err and "'image'" in err


def _f16_model():
    import keras
    from keras import layers

    x_in = keras.Input((8,), name="h", dtype="float16")
    h = layers.Dense(16, activation="relu", name="e1", dtype="float16")(x_in)
    out = layers.Dense(3, name="e2", dtype="float16")(h)
    return _noisy(keras.Model(x_in, out, name="half"), 6, scale=0.6)


def test_float16_tolerance_scales_with_the_dtype():
    """Finding 5: one float16 rounding step (4.9e-4 at 0.5..1) was past 1e-5 + 1e-4 * 2.3."""
    from keras2pb.runtime.drift import DTYPE_ULPS, compare_nodes

    t = [("n", "n:0", "MatMul")]
    ref = np.array([2.3, -0.7, 0.6], np.float16)
    step = ref.copy()
    step[2] = np.nextafter(ref[2], np.float16(1))  # one float16 rounding step
    (node,), _ = compare_nodes(t, {"n:0": ref}, {"n:0": step}, 1e-5, 1e-4)
    assert not node.diverged and node.max_abs_diff == pytest.approx(4.88e-4, rel=1e-2)
    assert node.tolerance == pytest.approx(1e-5 + DTYPE_ULPS * np.finfo(np.float16).eps
                                           * 2.3, rel=1e-3)
    fault = ref.copy()
    fault[1] += 0.1
    (node,), _ = compare_nodes(t, {"n:0": ref}, {"n:0": fault}, 1e-5, 1e-4)
    assert node.diverged
    (node,), _ = compare_nodes(t, {"n:0": ref.astype(np.float32)},  # float32: unchanged
                               {"n:0": step.astype(np.float32)}, 1e-5, 1e-4)
    assert node.diverged and node.tolerance == pytest.approx(1e-5 + 1e-4 * 2.3, rel=1e-3)


def test_a_float16_model(tmp_path):
    """A float16 model frozen correctly does not drift (in ONNX Runtime and OpenVINO too, when
    installed: both are a float16 step or two off TensorFlow from e1's BiasAdd on, up to 9e-4
    relative); a real fault in it still does."""
    from keras2pb.runtime.registry import runtime

    model = _f16_model()
    pb = _frozen(model, tmp_path, "half")
    x = np.random.default_rng(7).normal(0, 2, (4, 8)).astype(np.float16)
    runtimes = ["tf"] + [r for r in ("onnx", "openvino") if not runtime(r).missing()]
    report = per_node_drift(model, pb, runtimes, x=x)
    assert [p.status for p in report.pairs] == ["ok"] * len(runtimes)
    assert report.first_divergence is None, report.format_table()
    assert len(report.pairs[0].nodes) >= 5
    undo = _nudge(model, "e2", 0.25, index=4)
    try:
        first = per_node_drift(model, pb, x=x).first_divergence
    finally:
        undo()
    assert first["node"] == "half_1/e2_1/MatMul"


def test_runtimes_as_a_string(models):
    """Finding 6: "tf" was read as the runtimes 't' and 'f'."""
    model, pb = models["mnist_cnn"]
    for runtimes in ("tf", "TF, tf", ["tf"]):
        report = per_node_drift(model, pb, runtimes, x=_inputs(model, 2))
        assert [(p.reference, p.runtime) for p in report.pairs] == [("keras", "tf")]
    with pytest.raises(Keras2pbError, match="unknown runtime 'nope'"):
        per_node_drift(model, pb, "tf,nope")
