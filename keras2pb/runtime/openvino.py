"""OpenVINO: read a frozen .pb with OpenVINO's TensorFlow frontend and run it on the CPU.

OpenVINO reads the ``.pb`` itself (no conversion file; not through ``openvino.convert_model``,
which sends telemetry unless the user opted out). Inputs and outputs go by the sidecar's names (the
frontend alone would name the output ``Identity:0``); inference runs in float32 (on CPUs with
bfloat16 support the CPU plugin otherwise computes in bfloat16: 1.3e-4 off Keras on the MNIST
CNN instead of 4e-8); the batch dimension stays dynamic, so one compiled model runs batch 1
and any other batch. It runs in this process, like ONNX Runtime.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import Keras2pbError, one_line
from ..graph.signature import as_feeds, require_signature
from .optional import optional_module

#: Compile options: f32 inference precision (not the CPU's bf16 default), latency first.
COMPILE_CONFIG = {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY"}


class OpenVinoModel:
    """A frozen ``.pb`` (with its sidecar) compiled by OpenVINO for the CPU.

    ``model(feeds)`` takes an array (one input) or a dict input name (``image`` or
    ``image:0``) -> array and returns a dict output name (``probs``) -> array.
    ``extra_outputs``: more tensors of the graph (``"conv1/Relu:0"``) to return as outputs
    (by tensor name), for per-node comparisons; ``missing`` lists those OpenVINO could not
    give. Raises Keras2pbError when OpenVINO is not installed, the sidecar is missing, or
    OpenVINO cannot read the graph.
    """

    def __init__(self, pb_path: str | os.PathLike, extra_outputs: list[str] | None = None,
                 device: str = "CPU") -> None:
        ov = optional_module("openvino")
        self.path = Path(pb_path)
        signature = require_signature(self.path)
        self.version = ov.get_version().split("-")[0]
        text = [i.name for i in signature.inputs if i.dtype in ("string", "object", "str")]
        if text or signature.extra.get("table_initializer"):
            what = f"a string input {text[0]!r}" if text else "lookup tables"
            raise Keras2pbError(f"OpenVINO's TensorFlow reader takes no string tensors or lookup "
                                f"tables, and this graph has {what} (TextVectorization, "
                                "StringLookup, IntegerLookup): run the .pb in TensorFlow "
                                "(keras2pb.load), or keep the lookup outside the model and "
                                "freeze the model that takes token ids", self.path)
        self.input_names = [i.name for i in signature.inputs]
        self._inputs = {i.name: i for i in signature.inputs}
        outputs = [o.tensor for o in signature.outputs]
        self._keys = {o.tensor: o.name for o in signature.outputs}
        outputs += [t for t in extra_outputs or [] if t not in self._keys]
        try:
            frontend = ov.frontend.FrontEndManager().load_by_framework("tf")
            model_in = frontend.load(str(self.path))
            places = {t: model_in.get_place_by_tensor_name(t) for t in outputs}
            self.missing = [t for t, p in places.items() if p is None]
            model_in.override_all_outputs([p for p in places.values() if p is not None])
            model = frontend.convert(model_in)
            self.compiled = ov.Core().compile_model(model, device, COMPILE_CONFIG)
        except Exception as exc:  # OpenVINO raises RuntimeError and its own types
            raise Keras2pbError(f"OpenVINO could not read the graph: {one_line(exc, 300)}",
                                self.path) from exc
        self._ports = []
        for t in outputs:
            if t in self.missing:
                continue
            port = next((p for p in self.compiled.outputs if t in p.get_names()), None)
            if port is None:
                if t in self._keys:
                    raise Keras2pbError(f"OpenVINO lost the output {t!r}", self.path)
                self.missing.append(t)
                continue
            self._ports.append((self._keys.get(t, t), port))
        self._request = self.compiled.create_infer_request()

    def __call__(self, feeds: Any) -> dict[str, np.ndarray]:
        """Run the model; ``feeds`` as in the class docstring. Each input is checked against
        the sidecar (dtype, shape: "input 'image' expects shape (None, 28, 28, 1), got
        (2, 27, 28, 1)") before OpenVINO sees it. Raises Keras2pbError."""
        given = as_feeds(feeds, self.input_names, self.path)
        inputs = {f"{n}:0": np.ascontiguousarray(self._inputs[n].check(given[n], self.path))
                  for n in self.input_names}
        try:
            results = self._request.infer(inputs)
        except Exception as exc:
            raise Keras2pbError(f"OpenVINO refused the input: {one_line(exc, 300)}",
                                self.path) from exc
        return {key: np.array(results[port]) for key, port in self._ports}


def run_with_tensors(graph, feeds: dict[str, np.ndarray], tensors: list[str]
                     ) -> dict[str, np.ndarray]:
    """OpenVINO reading the ``.pb`` with ``tensors`` as extra outputs, by tensor name."""
    model = OpenVinoModel(graph.path, extra_outputs=tensors)
    by_name = {o.name: o.tensor for o in graph.outputs}
    return {by_name.get(k, k): v for k, v in model(feeds).items()}
