"""Freezing a Keras model into one self-contained TensorFlow GraphDef (.pb) plus a JSON sidecar."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from tensorflow.core.framework.graph_pb2 import GraphDef
from tensorflow.python.framework.convert_to_constants import (
    convert_variables_to_constants_v2,
)

from ..errors import Keras2pbError, one_line
from ..fileio import atomic_write_many
from ..graph.checks import check_frozen
from ..graph.reading import PROTOBUF_LIMIT
from ..graph.signature import SIDECAR_FORMAT, Signature, TensorInfo, node_name, sidecar_path
from .keras_files import as_functional, load_keras_model, model_structures, output_names
from .tables import TABLE_INITIALIZER, carry_tables

_BAD_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.\-/]")


@dataclass
class FreezeResult:
    """A frozen model in memory: the GraphDef and the signature describing its inputs/outputs."""

    graph_def: GraphDef
    signature: Signature

    @property
    def sidecar(self) -> dict[str, Any]:
        """The signature as the sidecar JSON holds it (a dict)."""
        return self.signature.to_dict()


def _op_name(name: str, taken: set[str]) -> str:
    base = _BAD_NAME_CHARS.sub("_", name) or "tensor"
    if not re.match(r"[A-Za-z0-9.]", base):
        base = "t" + base
    candidate, i = base, 1
    while candidate in taken:
        candidate, i = f"{base}_{i}", i + 1
    taken.add(candidate)
    return candidate


def _check_size(model: keras.Model) -> None:
    nbytes = sum(int(np.prod(v.shape)) * tf.as_dtype(v.dtype).size for v in model.weights)
    if nbytes >= PROTOBUF_LIMIT - 64 * 2**20:
        raise Keras2pbError(
            f"model {model.name!r} has {nbytes / 2**30:.2f} GiB of weights: a frozen GraphDef "
            "cannot exceed protobuf's 2 GiB limit; export a SavedModel instead "
            "(model.export(path))")


@dataclass
class Serving:
    """The traced inference function of a model: ``model(x, training=False)``, named inputs.

    ``concrete`` is the concrete function (variables still captured, not yet frozen);
    ``inputs`` its inputs (with their Keras names); ``out_keras`` the Keras output names;
    ``traced`` the names of the output tensors as traced (``probs:0``).
    """

    concrete: Any
    inputs: list[TensorInfo]
    out_keras: list[str]
    traced: list[str]


def serving_function(model: keras.Model, batch_size: int | None = None,
                     input_shape: Any = None) -> Serving:
    """Trace ``model(x, training=False)`` into a ``tf.function`` with a named input_signature.

    Inputs are placeholders named after the Keras inputs (``image:0``); each output gets an
    ``Identity`` node named after the Keras output layer (``probs:0``). ``batch_size`` fixes
    the batch dimension (default: dynamic). A subclassed model is wrapped by
    :func:`~keras2pb.freezing.keras_files.as_functional` (``input_shape`` or the shape it was
    built with). Raises Keras2pbError for a model that is not a Keras model, has no defined
    inputs, is too large for one GraphDef, or cannot be traced.
    """
    if not isinstance(model, keras.Model):
        raise Keras2pbError(f"expected a Keras model, got {type(model).__name__}")
    model = as_functional(model, input_shape)
    if batch_size is not None and batch_size < 1:
        raise Keras2pbError(f"batch size must be a positive whole number, got {batch_size}")
    structure, out_structure = model_structures(model)
    _check_size(model)
    keras_inputs = keras.tree.flatten(structure)
    taken: set[str] = set()
    input_keys = sorted(structure) if isinstance(structure, dict) else None
    specs, inputs = [], []
    for i, t in enumerate(keras_inputs):
        keras_name = input_keys[i] if input_keys else t.name
        name = _op_name(keras_name, taken)
        shape = (batch_size, *t.shape[1:])
        specs.append(tf.TensorSpec(shape, t.dtype, name=name))
        inputs.append(TensorInfo(name, f"{name}:0", shape, str(t.dtype),
                                 {"keras_input": keras_name}))
    out_keras = output_names(out_structure)
    out_names = [_op_name(n, taken) for n in out_keras]
    traced: list[str] = []

    @tf.function(input_signature=specs, autograph=False)
    def serve(*args):
        x = keras.tree.pack_sequence_as(structure, list(args))
        y = keras.tree.flatten(model(x, training=False))
        ys = [tf.identity(t, name=n) for t, n in zip(y, out_names, strict=True)]
        traced[:] = [t.name for t in ys]
        return ys

    try:
        concrete = serve.get_concrete_function()
    except Exception as exc:
        raise Keras2pbError(f"could not trace model {model.name!r} for freezing: "
                            f"{type(exc).__name__}: {one_line(exc)}") from exc
    return Serving(concrete, inputs, out_keras, traced)


def inference_graph(model: keras.Model, batch_size: int | None = None) -> GraphDef:
    """Return the GraphDef of ``model(x, training=False)`` traced, before freezing.

    The same trace ``freeze`` converts: variables are still captured handles
    (``Placeholder`` of dtype resource) read by ``ReadVariableOp``; the training step's
    gradients, optimizer, loss and dropout randomness are already gone. With output shapes.
    Raises Keras2pbError as :func:`serving_function` does.
    """
    return serving_function(model, batch_size).concrete.graph.as_graph_def(add_shapes=True)


def freeze_model(model: keras.Model, batch_size: int | None = None,
                 input_shape: Any = None) -> FreezeResult:
    """Freeze ``model`` in memory: trace ``model(x, training=False)``, fold variables to consts.

    Inputs are placeholders named after the Keras inputs (``image:0``); each output gets an
    ``Identity`` node named after the Keras output layer (``probs:0``). ``batch_size`` fixes
    the batch dimension (default: dynamic). Control flow stays functional (``While``, with its
    body in the graph's function library), as tf2onnx's own loader freezes it: a lowered loop
    (``Enter``/``Exit``/``TensorList*``) is one no converter turns back into ONNX's ``LSTM``,
    ``GRU`` or ``Loop``; TensorFlow and its C API run both. Lookup tables (TextVectorization,
    StringLookup) are carried in the graph with an initializer (``keras2pb.freezing.tables``),
    named in the sidecar's ``"table_initializer"``. Raises Keras2pbError if the model is too
    large for one GraphDef, if training ops survive the conversion, or a table cannot be
    carried.
    """
    serving = serving_function(model, batch_size, input_shape)
    inputs, out_keras, traced = serving.inputs, serving.out_keras, serving.traced
    try:
        frozen_fn = convert_variables_to_constants_v2(serving.concrete, lower_control_flow=False)
    except Keras2pbError:
        raise
    except Exception as exc:
        raise Keras2pbError(f"could not trace model {model.name!r} for freezing: "
                            f"{type(exc).__name__}: {one_line(exc)}") from exc
    gd = frozen_fn.graph.as_graph_def()
    tables = carry_tables(gd, {node_name(internal.name): external for external, internal
                               in serving.concrete.graph.captures})
    node_names = {n.name for n in gd.node}
    outputs = []
    for i, (keras_name, tensor, spec) in enumerate(
            zip(out_keras, traced, frozen_fn.structured_outputs, strict=True)):
        if node_name(tensor) not in node_names:  # fall back to the function's own output
            tensor = frozen_fn.outputs[i].name
        outputs.append(TensorInfo(node_name(tensor), tensor, tuple(spec.shape.as_list()),
                                  spec.dtype.name, {"keras_output": keras_name,
                                                    "function_output": frozen_fn.outputs[i].name}))
    check_frozen(gd)
    extra = {"format": SIDECAR_FORMAT, "model": model.name, "node_count": len(gd.node),
             "tensorflow": tf.__version__, "keras": keras.__version__}
    if tables:
        extra["table_initializer"] = TABLE_INITIALIZER
        extra["tables"] = tables
    return FreezeResult(gd, Signature(inputs, outputs, extra))


def freeze(
    model_or_path: keras.Model | str | os.PathLike,
    output_path: str | os.PathLike,
    *,
    custom_objects: dict[str, Any] | None = None,
    batch_size: int | None = None,
    safe_mode: bool = True,
    for_opencv: bool = False,
    check_opencv: Callable[..., dict[str, Any]] | None = None,
    input_shape: Any = None,
) -> dict[str, Any]:
    """Freeze a Keras model (object, ``.h5`` or ``.keras`` file) into one binary ``.pb``.

    Writes ``output_path`` and its sidecar ``<output_path>.json`` (inputs and outputs: tensor
    names, shapes, dtypes, the Keras input/output they came from), each atomically, and
    returns the sidecar dict. ``custom_objects`` and ``safe_mode`` are passed to Keras when
    loading a file. ``for_opencv=True`` writes the variant OpenCV's DNN module can read
    (constant-folded by grappler; see ``keras2pb.graph.opencv_rewrite``); ``check_opencv``
    (``keras2pb.runtime.opencv.check_opencv_variant``, which ``keras2pb.freeze`` and the CLI
    pass) runs that variant in OpenCV against TensorFlow before anything is written and raises
    if it differs; without it the sidecar says the variant was not checked. ``input_shape``
    (one example's shape, or a dict name -> shape) lets a subclassed model that was never
    built or called be frozen.
    Raises Keras2pbError for unloadable models, unwritable paths, graphs over 2 GiB, training
    ops left in the graph, or a failed OpenCV check; nothing is written then.
    """
    out = Path(output_path)
    if batch_size is not None and batch_size < 1:
        raise Keras2pbError(f"batch size must be a positive whole number, got {batch_size}", out)
    if isinstance(model_or_path, keras.Model):
        model = model_or_path
        source = None
    else:
        model = load_keras_model(model_or_path, custom_objects, safe_mode)
        source = os.fspath(model_or_path)
    frozen = freeze_model(model, batch_size, input_shape)
    if for_opencv:
        from ..graph.opencv_rewrite import make_opencv_ready

        variant = FreezeResult(*make_opencv_ready(frozen.graph_def, frozen.signature,
                                                   source or out))
        check = {"checked": False, "reason": "not checked: the CLI's freeze --for-opencv, or "
                 "freeze(..., check_opencv=keras2pb.runtime.opencv.check_opencv_variant), "
                 "runs it in OpenCV first"} if check_opencv is None else \
            check_opencv(frozen.graph_def, frozen.signature, variant.graph_def,
                         variant.signature, source or out)
        extra = dict(variant.signature.extra)
        extra["opencv"] = dict(extra["opencv"], check=check)
        frozen = FreezeResult(variant.graph_def,
                              Signature(variant.signature.inputs, variant.signature.outputs,
                                        extra))
    data = frozen.graph_def.SerializeToString()
    signature = Signature(frozen.signature.inputs, frozen.signature.outputs, dict(
        frozen.signature.extra, graph=out.name, source=source, size_bytes=len(data)))
    atomic_write_many({out: data, sidecar_path(out): signature.to_json().encode("utf-8")})
    return signature.to_dict()
