"""The lesson's claims about TensorFlow and Keras, checked on this install (issue 11).

A sentence in a tutorial is a test too: the README caption's node counts, what still ships
in TensorFlow 2.21, and what is public API.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _readme() -> str:
    """The README with its whitespace collapsed (sentences wrap across lines)."""
    return re.sub(r"\s+", " ", (REPO / "README.md").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def stages():
    """The three stages of the tutorial CNN (untrained: the weights do not change the graph)."""
    import keras

    import keras2pb
    from keras2pb.freezing.freeze import freeze_model

    keras.utils.set_random_seed(0)
    model = keras2pb.mnist_cnn()
    return keras2pb.compare_stages(keras2pb.training_graph(model),
                                   keras2pb.inference_graph(model),
                                   freeze_model(model).graph_def)


def test_readme_caption_tells_the_three_stages_with_their_counts(stages):
    from keras2pb.graph.optypes import CATEGORIES

    training, inference, frozen = stages.counts
    why = stages.removed_by_category
    main = {"optimizer", "gradient", "random", "loss"}
    rest = sum(n for key, n in why.items() if key not in main)
    labels = dict(CATEGORIES)  # the notebooks print these same words
    readme = _readme()
    for phrase in [
        "in three panes: the training step",
        f"the training step ({training} nodes, left)",
        f"the inference trace of `model(x, training=False)` ({inference} nodes, middle)",
        f"the frozen graph ({frozen} nodes, right)",
        f"The {sum(stages.removed.values())} nodes that vanished went at **tracing**",
        f"optimizer {why['optimizer']}, gradients {why['gradient']}, dropout randomness "
        f"{why['random']}, loss & metrics {why['loss']}, {labels['variable']} "
        f"{why['variable']}, {labels['update']} {why['update']} and other {why['other']} "
        f"(these {rest}:",
        f"**Freezing** removed {'nothing' if not stages.removed_at_freezing else '?'}",
        f"it turned {stages.changed['Placeholder→Const']} variable handles into constants and "
        f"{stages.changed['ReadVariableOp→Identity']} variable reads into `Identity` nodes",
    ]:
        assert phrase in readme, phrase


def test_the_tf1_freezing_function_still_ships_but_wants_a_session():
    import tensorflow as tf

    fn = tf.compat.v1.graph_util.convert_variables_to_constants
    assert list(inspect.signature(fn).parameters)[:3] == ["sess", "input_graph_def",
                                                         "output_node_names"]
    assert not hasattr(tf.graph_util, "convert_variables_to_constants")  # TF2 namespace
    readme = _readme()
    assert "`tf.compat.v1.graph_util.convert_variables_to_constants`, which still ships" in readme
    assert "`convert_variables_to_constants`) no longer exist" not in readme


def test_convert_to_constants_is_not_public_api_but_others_use_it():
    from tensorflow.python.framework import convert_to_constants
    from tensorflow.python.util import tf_export

    fn = convert_to_constants.convert_variables_to_constants_v2
    assert tf_export.get_v1_names(fn) == [] and tf_export.get_v2_names(fn) == []
    lite = importlib.util.find_spec("tensorflow.lite.python.lite").origin
    assert "convert_to_constants" in Path(lite).read_text(encoding="utf-8")
    spec = importlib.util.find_spec("tf2onnx")
    if spec is None:
        pytest.skip("tf2onnx not installed (requirements-runtimes.txt)")
    loader = Path(spec.origin).parent / "tf_loader.py"
    assert "convert_variables_to_constants_v2" in loader.read_text(encoding="utf-8")


def test_keras_exports_savedmodel_litert_and_onnx_and_tf_keeps_the_tflite_converter():
    import keras
    import tensorflow as tf

    doc = inspect.getdoc(keras.Model.export)
    for fmt in ('"tf_saved_model"', '"onnx"', '"litert"'):
        assert fmt in doc, fmt
    assert inspect.signature(keras.Model.export).parameters["format"].default == "tf_saved_model"
    assert hasattr(tf.lite, "TFLiteConverter")


def _notebook_markdown(prefix: str) -> str:
    import nbformat

    path = next((REPO / "notebooks").glob(f"{prefix}_*.ipynb"))
    return re.sub(r"\s+", " ", "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                                         if c.cell_type == "markdown"))


def test_02_tells_the_four_op_types_freezing_changed(stages):
    """02's sentence under its four-row table: 9 placeholders → 1, 8 reads → 0, Const 6 → 14,
    Identity 2 → 10, and nothing else changed."""
    import keras

    import keras2pb
    from keras2pb.freezing.freeze import freeze_model

    keras.utils.set_random_seed(0)
    model = keras2pb.mnist_cnn()
    trace = keras2pb.op_histogram(keras2pb.inference_graph(model))
    frozen = keras2pb.op_histogram(freeze_model(model).graph_def)
    changed = {op: (trace.get(op, 0), frozen.get(op, 0)) for op in set(trace) | set(frozen)
               if trace.get(op, 0) != frozen.get(op, 0)}
    assert changed == {"Placeholder": (9, 1), "ReadVariableOp": (8, 0), "Const": (6, 14),
                       "Identity": (2, 10)}
    text = _notebook_markdown("02")
    assert "9 placeholders became 1 (the image) and constants went from 6 to 14" in text
    assert "`ReadVariableOp` became an `Identity` (2 became 10)" in text


def test_sentences_issue_20_found_wrong_are_gone():
    nb01, nb02, nb03, nb05 = (_notebook_markdown(n) for n in ("01", "02", "03", "05"))
    assert "estimates), so training could resume." not in nb01
    assert "Keras 3.15 does not resume from it" in nb01
    assert "## The TF2 way: `keras2pb.load`" not in nb03
    assert "runs the classic route: a `Session`" in nb03
    assert "OpenCV's importer does not follow all of that" not in nb05
    assert "Find the op that Dropout became" not in nb02  # 04's exercise 1 asks that
    teaching = re.sub(r"\s+", " ", (REPO / "docs" / "TEACHING.md").read_text(encoding="utf-8"))
    assert "38.2 s" not in teaching


def test_04_describes_the_view_it_shows(stages):
    """04's "Side by side" cell against the page show_graphs makes: three panes, one sentence
    per transition, chips (variables in the trace, constants in the frozen graph), the search
    field chooser, the Changes navigator, Projector and the exports."""
    import keras

    import keras2pb
    from keras2pb.freezing.freeze import freeze_model
    from keras2pb.show import show_graphs

    keras.utils.set_random_seed(0)
    model = keras2pb.mnist_cnn()
    view = show_graphs(keras2pb.training_graph(model), keras2pb.inference_graph(model),
                       freeze_model(model).graph_def)
    page = view.page
    text = _notebook_markdown("04")
    assert "draws **three panes**: training step | inference trace | frozen graph" in text
    assert tuple(view.diff.titles) == ("training step", "inference trace", "frozen graph")
    for shown in ("never recorded", "became constants inside the .pb", "link panes",
                  "Projector", "op type", "attribute", "SVG", "PNG", "bar: a mixed box"):
        assert shown in page, shown
    assert "one sentence per transition" in text and "**one search box** with a field chooser " \
        "(name, op type or attribute" in text
    assert "**Changes** (a navigator" in text and "**Projector**" in text
    assert "SVG / PNG exports that carry its title, the sentence and the legend" in text
    # the chips' words and size: conv1 reads its kernel (3, 3, 1, 32) and bias (32,), float32:
    # 1,280 bytes, which the viewer writes as 1.3 kB (bytesText: decimal kB, as the sentences)
    assert '"2 variables 1.3 kB" in the' in text and '"2 constants 1.3 kB" in the' in text
    from keras2pb.graph.diff import bytes_text
    assert bytes_text(1280) == "1.3 kB" and bytes_text(656) == "656 B"
    assert bytes_text(900_136) == "0.90 MB"  # the MNIST CNN's 225,034 float32 weights
    kernel, bias = model.get_layer("conv1").weights
    assert tuple(kernel.shape) == (3, 3, 1, 32) and tuple(bias.shape) == (32,)
    assert '"(3, 3, 1, 32)",1152' in page and '"(32,)",128' in page
    assert int((1152 + 128) / 1024 * 10 + 0.5) / 10 == 1.3


def test_05_drift_finds_one_nudged_conv2_weight_at_conv2(tmp_path):
    """05's section 11 on an untrained CNN: the nudge is one of conv2's 18,432 kernel weights,
    the first divergence is conv2's Conv2D, the nodes before it are exact, and once the weight
    is back no node diverges."""
    import keras

    import keras2pb

    keras.utils.set_random_seed(0)
    model = keras2pb.mnist_cnn()
    pb = tmp_path / "cnn.pb"
    keras2pb.freeze(model, pb)
    kernel = model.get_layer("conv2").kernel
    saved = kernel.numpy()
    assert saved.size == 18_432
    assert "one of conv2's 18,432 kernel weights" in "\n".join(_notebook_code("05"))
    nudged = saved.copy()
    nudged[1, 1, 0, 0] += 0.5
    kernel.assign(nudged)
    try:
        report = keras2pb.per_node_drift(model, pb)
    finally:
        kernel.assign(saved)
    [pair] = report.pairs
    first = next(i for i, n in enumerate(pair.nodes) if n.diverged)
    assert pair.nodes[first].node.endswith("conv2_1/convolution")
    assert pair.nodes[first].op == "Conv2D" and first == 4
    assert all(n.max_abs_diff == 0.0 for n in pair.nodes[:first])
    assert keras2pb.per_node_drift(model, pb).first_divergence is None


def _notebook_code(prefix: str) -> list[str]:
    import nbformat

    path = next((REPO / "notebooks").glob(f"{prefix}_*.ipynb"))
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_04_capstone_c_cell_skips_in_one_clear_line_without_a_compiler(monkeypatch, capsys):
    """No C compiler ($CC names none): the capstone's C cell prints why it skips, and how to
    get one, instead of failing (Run All goes on)."""
    import nbformat

    path = next((REPO / "notebooks").glob("04_*.ipynb"))
    [cell] = [c.source for c in nbformat.read(path, as_version=4).cells
              if "capstone-c" in c.metadata.get("tags", [])]
    monkeypatch.setenv("CC", "/nonexistent/cc")
    exec(cell, {})  # nothing else is needed on this path: no model, no .pb
    out = capsys.readouterr().out
    assert out.startswith("skipped: no C compiler on this machine (cc / $CC)"), out
    assert "apt-get install gcc" in out and len(out.strip().splitlines()) == 1
