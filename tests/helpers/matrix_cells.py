"""The support matrix and feature zoo: which models run in which runtime, at batch 1 and 3,
and how closely.

``scripts/support_matrix.py`` writes it to ``docs/SUPPORT.md``; the tests run the fast rows.
Each cell freezes the model with keras2pb, runs the frozen graph in one runtime on the same
inputs as Keras and records the relative error per batch, or the one-line reason it fails
(with the way out keras2pb gives). The OpenCV column runs what ``freeze --for-opencv`` writes:
the variant checked in OpenCV before it is written.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from keras2pb.errors import Keras2pbError, one_line
from keras2pb.runtime.verify import RELATIVE_TOLERANCE as TOLERANCE
from keras2pb.runtime.verify import relative_error

#: Batch 1 and an odd batch above it: OpenCV 5.0 ran an adapted Normalization right at 1,
#: failed it at 2 and 4 and ran it 5 % off with no error at 3 (issue 21).
BATCHES = (1, 3)


def columns() -> dict[str, str]:
    """Runtime name -> column title, in table order: the runtime registry, written once."""
    from keras2pb.runtime.registry import RUNTIMES

    return {name: rt.title for name, rt in RUNTIMES.items()}


@dataclass
class Cell:
    """One model in one runtime: the relative error vs Keras and whether every argmax agreed,
    per batch size, or why it fails."""

    diffs: dict[int, float] = field(default_factory=dict)  # batch -> relative error
    reason: str | None = None
    argmax: dict[int, bool] = field(default_factory=dict)  # batch -> every argmax agreed

    @property
    def ok(self) -> bool:
        """True when it ran at every batch size, within TOLERANCE, with every argmax agreeing."""
        return (self.reason is None and bool(self.diffs)
                and max(self.diffs.values()) <= TOLERANCE
                and all(self.argmax.get(b, False) for b in self.diffs))

    def text(self) -> str:
        """The Markdown cell: ``ok (1: 3e-08, 4: 5e-08)`` (relative errors) or the reason."""
        if self.reason is not None:
            return f"fails: {self.reason}"
        diffs = ", ".join(f"{b}: {d:.0e}{'' if self.argmax.get(b) else ' argmax differs'}"
                          for b, d in self.diffs.items())
        return f"{'ok' if self.ok else 'differs'} ({diffs})"


def nontrivial_weights(model: Any, seed: int) -> None:
    """Give every bias, beta, gamma and moving statistic a non-trivial value.

    Fresh models have zero biases and BatchNorm statistics of 0 and 1, which grappler folds
    away, hiding what a trained model's graph holds (a BatchNorm after a biased Conv2D).
    """
    rng = np.random.default_rng(seed)
    for v in model.weights:
        shape, path = tuple(v.shape), v.path
        if "moving_variance" in path or "gamma" in path:
            v.assign(rng.uniform(0.5, 1.5, shape).astype("float32"))
        elif "moving_mean" in path or "beta" in path or "bias" in path:
            v.assign((0.1 * rng.standard_normal(shape)).astype("float32"))


def bn_avgpool_cnn() -> Any:
    """A Sequential CNN that OpenCV 5.0 once failed at batch >= 2 (issue 13): Conv2D ->
    BatchNorm -> ReLU -> AveragePooling -> Conv2D -> Flatten -> Dropout -> Dense (input
    ``image`` 28x28x1, output ``probs``)."""
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input((28, 28, 1), name="image"), layers.Conv2D(8, 3, name="conv1"),
        layers.BatchNormalization(name="bn1"), layers.ReLU(name="relu1"),
        layers.AveragePooling2D(2, name="pool1"), layers.Conv2D(16, 3, name="conv2"),
        layers.Flatten(name="flatten"), layers.Dropout(0.3, name="dropout"),
        layers.Dense(10, activation="softmax", name="probs")], name="bn_avgpool_cnn")


def _app(name: str, size: int) -> Callable[[], Any]:
    def build() -> Any:
        import keras

        return getattr(keras.applications, name)(weights=None, input_shape=(size, size, 3))
    return build


@dataclass(frozen=True)
class Row:
    """A model of the matrix: its name, how to build it, and whether it is slow."""

    name: str
    build: Callable[[], Any]
    slow: bool
    note: str = ""
    from_h5: bool = False  # saved to .h5 and reloaded before freezing
    kind: str = "CNN"  # the feature the row stands for (the zoo's first column)
    why_differs: str = ""  # why a runtime may be further off than TOLERANCE, and the way out
    from_keras: bool = False  # saved to .keras and reloaded before freezing


#: Why a float16 model differs by about 1e-4 between runtimes, and the way out.
HALF_WHY = ("float16 compute: each runtime rounds its float16 products differently (one "
            "rounding is up to 4.9e-4 relative), so about 1e-4 apart is float16, not a wrong "
            "graph (keras2pb's export and OpenCV checks hold float16 graphs to 1e-2); for "
            "closer numbers freeze a float32 copy: keras.config.set_dtype_policy("
            "'float32'), rebuild the model and load the weights")


def rows() -> list[Row]:
    """Every row of the matrix, fast ones first: the tutorial's models, the feature zoo (one
    small model per kind of feature, ``tests.helpers.feature_zoo``), keras.applications."""
    from keras2pb.tutorial.models import bn_cnn, mnist_cnn, two_io_model
    from tests.helpers import feature_zoo as zoo

    fast = [Row("MNIST CNN", mnist_cnn, False, "keras2pb.mnist_cnn()"),
            Row("BatchNorm CNN", bn_cnn, False, "keras2pb.bn_cnn()"),
            Row("two-input, two-output", two_io_model, False, "keras2pb.two_io_model()",
                kind="multi I/O"),
            Row("Sequential BN-AvgPool CNN from .h5", bn_avgpool_cnn, False,
                "Conv2D-BN-ReLU-AvgPool-Conv2D-Flatten-Dropout-Dense, reloaded from .h5",
                from_h5=True)]
    features = [
        ("LSTM", zoo.lstm_model, "recurrent", "LSTM(8), variable time axis"),
        ("GRU", zoo.gru_model, "recurrent", "GRU(8), variable time axis"),
        ("BiLSTM + TimeDistributed", zoo.bilstm_model, "recurrent",
         "Bidirectional(LSTM(6)) -> TimeDistributed(Dense)"),
        ("Conv1D", zoo.conv1d_model, "sequence", "Conv1D -> GlobalMaxPooling1D"),
        ("Transformer block", zoo.attention_model, "attention",
         "MultiHeadAttention, LayerNorm, residuals"),
        ("TextVectorization", zoo.text_vectorization_model, "text",
         "adapted vocabulary (lookup table) -> Embedding"),
        ("StringLookup", zoo.string_lookup_model, "text", "StringLookup -> Embedding"),
        ("IntegerLookup behind a float input", zoo.integer_lookup_model, "text",
         "cast -> IntegerLookup -> Embedding"),
        ("adapted Normalization CNN", zoo.normalization_model, "preprocessing",
         "Normalization (mean 3, std 2) -> Conv2D -> pooling -> Dense"),
        ("Rescaling, Resizing, vector Normalization", zoo.preprocessing_model,
         "preprocessing", "two inputs"),
        ("mixed_float16 CNN", zoo.mixed_precision_model, "mixed precision",
         "float16 compute, float32 softmax"),
        ("registered custom layer, from .keras", zoo.custom_layer_model, "custom",
         "keras2pb_zoo>Affine, saved and reloaded", False),
        ("keras.ops Lambda", zoo.ops_lambda_model, "custom", "in memory"),
        ("subclassed keras.Model", zoo.subclassed_model, "subclassed",
         "called once; Conv2D, BatchNorm, Dropout"),
        ("dict inputs and outputs", zoo.dict_io_model, "dict I/O", "{a, b} -> {score, probs}"),
        ("grouped Conv2D (XLA)", zoo.grouped_conv_model, "XLA layers",
         "Conv2D(groups=2): Keras compiles it with XLA, as in ConvNeXt"),
    ]
    fast += [Row(name, build, False, note, kind=kind, from_keras=extra == (False,),
                 why_differs=HALF_WHY if kind == "mixed precision" else "")
             for name, build, kind, note, *extra in features]
    apps = [("MobileNetV2", 96), ("MobileNetV3Small", 96), ("ResNet50", 32),
            ("DenseNet121", 32), ("EfficientNetB0", 32), ("NASNetMobile", 32), ("VGG16", 32),
            ("EfficientNetV2B0", 32), ("ConvNeXtTiny", 32)]
    slow = [Row(name, _app(name, size), True, f"keras.applications, weights=None, "
                f"{size}x{size}x3", kind="XLA layers" if name == "ConvNeXtTiny" else
                "application") for name, size in apps]
    return fast + slow


def _inputs(graph: Any, n: int, seed: int) -> dict[str, np.ndarray]:
    from keras2pb.runtime.verify import default_inputs

    return default_inputs(graph, n=n, seed=seed)


def _reason(exc: BaseException) -> str:
    """The error's one line for a cell, without the (temporary) file name it starts with."""
    text = str(exc)
    prefix = f"{getattr(exc, 'path', None)}: "
    if isinstance(exc, Keras2pbError) and exc.path is not None and text.startswith(prefix):
        text = text[len(prefix):]
    return one_line(text, 1000)  # whole: the way out comes last


def check_model(row: Row, folder: str | os.PathLike, names: list[str] | None = None,
                c_binary: str | os.PathLike | None = None, seed: int = 0) -> dict[str, Cell]:
    """Freeze ``row``'s model into ``folder`` and run it in each runtime of ``names``.

    Returns ``{runtime name: Cell}``. ``c_binary``: the compiled C client (``build_c_client``),
    built in ``folder`` when not given. A runtime that is not installed gets that reason. The
    ``opencv`` column runs the file ``freeze --for-opencv`` writes (checked in OpenCV first),
    so a model it refuses gets that refusal as its reason.
    """
    import keras

    from keras2pb.freezing.freeze import freeze
    from keras2pb.freezing.keras_files import load_keras_model
    from keras2pb.runtime.frozen_graph import load
    from keras2pb.runtime.opencv import check_opencv_variant
    from keras2pb.runtime.registry import RUNTIMES, Target
    from keras2pb.runtime.verify import keras_reference

    names = list(RUNTIMES) if names is None else names
    folder = Path(folder)
    stem = "".join(c if c.isalnum() else "_" for c in row.name.lower())
    keras.utils.set_random_seed(seed)
    model = row.build()
    nontrivial_weights(model, seed)
    for suffix, wanted in ((".h5", row.from_h5), (".keras", row.from_keras)):
        if wanted:
            model.save(folder / f"{stem}{suffix}")
            model = load_keras_model(folder / f"{stem}{suffix}")
    pb = folder / f"{stem}.pb"
    freeze(model, pb)
    cells: dict[str, Cell] = {}
    with load(pb) as graph:
        feeds = _inputs(graph, max(BATCHES), seed)
        cases = {}
        for b in BATCHES:
            fb, ref = keras_reference(model, graph, {k: v[:b] for k, v in feeds.items()})
            cases[b] = (fb, ref)
        target = Target(pb, graph, folder, None if c_binary is None else Path(c_binary))
        for name in names:
            rt = RUNTIMES[name]
            missing = rt.missing()
            if missing:
                cells[name] = Cell(reason=f"not installed ({', '.join(missing)})")
                continue
            cell = Cell()
            try:
                if name == "opencv":  # what freeze --for-opencv writes, checked first
                    cv_pb = folder / f"{stem}.opencv.pb"
                    freeze(model, cv_pb, for_opencv=True, check_opencv=check_opencv_variant)
                    runner = rt.prepare(Target(cv_pb, graph, folder))
                else:
                    runner = rt.prepare(target)
                for b, (fb, ref) in cases.items():
                    cell.diffs[b], cell.argmax[b] = relative_error(ref, runner.run(fb))
            except Keras2pbError as exc:
                cell = Cell(reason=_reason(exc).replace(f"{folder}/", ""))
            except Exception as exc:  # a runtime's own error types: one line in the cell
                cell = Cell(reason=f"{type(exc).__name__}: {_reason(exc)}".replace(
                    f"{folder}/", ""))
            cells[name] = cell
    return cells


def markdown(results: list[tuple[Row, dict[str, Cell]]], meta: dict[str, str],
             seconds: float | None = None) -> str:
    """The matrix as Markdown: a header with how it was made, one row per model (its kind of
    feature first), then every failing cell's reason and way out, in full."""
    titles = columns()
    cols = list(titles)
    took = "" if seconds is None else f"; the rows below took {seconds:.0f} s"
    lines = ["# Support matrix and feature zoo", "",
             "Generated by `python scripts/support_matrix.py` (do not edit by hand).",
             "", "Ran " + ", ".join(f"{k} {v}" for k, v in meta.items()) + f"{took}.", "",
             "Each cell: the model frozen by keras2pb and run in that runtime on the same "
             f"inputs as Keras, at batch {' and '.join(map(str, BATCHES))}; `ok` with the "
             f"largest relative error from Keras per batch size (ok: <= {TOLERANCE:g} and every "
             "argmax agrees), `differs` when it ran but is further off, or `fails:` and why. "
             "The OpenCV (.pb) column runs what `freeze --for-opencv` writes: the variant is "
             "checked in OpenCV before it is written, so a model OpenCV cannot run is refused "
             "there, with the way out. Weights are random (`weights=None`) with non-trivial "
             "biases and BatchNorm statistics; adapted layers (Normalization, "
             "TextVectorization) learn from seeded data whose statistics are not 0 and 1. "
             "Rows marked *slow* run in the tests only under `-m slow`.", "",
             "Notes on the kinds: **text** models freeze with their lookup tables: the keys "
             "and values are constants, and one node, named in the sidecar's "
             "`table_initializer` (`keras2pb_init_tables`), fills the tables; `keras2pb.load` "
             "and the C client run it once before the first call; with your own TF1 code, "
             "run it first: `session.run(\"import/keras2pb_init_tables\")`. **Recurrent** "
             "models keep their loops as `While` (not lowered), which TensorFlow, the C API, "
             "tf2onnx and OpenVINO read. A **subclassed** model is wrapped as "
             "`keras.Model(inp, model(inp))` when it was built or called; otherwise pass "
             "`input_shape=` to `keras2pb.freeze`. `export-onnx` writes a file only after "
             "`onnx.checker` and a run in ONNX Runtime against TensorFlow; `freeze "
             "--for-opencv` only after a run in OpenCV at batch 1 and 3.", "",
             "| kind | model | " + " | ".join(titles[c] for c in cols) + " |",
             "|---|---|" + "---|" * len(cols)]
    failures = []
    for row, cells in results:
        label = f"{row.name}{' (slow)' if row.slow else ''}<br>*{row.note}*"
        texts = []
        for c in cols:
            cell = cells.get(c)
            if cell is None:
                texts.append("-")
            elif cell.reason is not None:
                failures.append(f"- **{row.name}**, {titles[c]}: {cell.reason}")
                texts.append(f"fails ({len(failures)})")
            else:
                texts.append(cell.text())
                if not cell.ok and row.why_differs:
                    failures.append(f"- **{row.name}**, {titles[c]} (differs): "
                                    f"{row.why_differs}")
                    texts[-1] += f" ({len(failures)})"
        lines.append(f"| {row.kind} | {label} | " + " | ".join(
            t.replace("|", "\\|") for t in texts) + " |")
    if failures:
        lines += ["", "## Why each failing or differing cell does, and the way out", "",
                  *[f"{i}. {f[2:]}" for i, f in enumerate(failures, 1)]]
    return "\n".join(lines) + "\n"
