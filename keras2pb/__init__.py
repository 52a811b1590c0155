"""keras2pb: freeze a Keras model into one TensorFlow .pb, load it back, predict, inspect.

Names are imported lazily, so ``import keras2pb`` is quick and TensorFlow loads on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import Keras2pbError

__version__ = "0.1.0"

_EXPORTS = {
    "load_mnist": "tutorial.data",
    "mnist_cnn": "tutorial.models",
    "bn_cnn": "tutorial.models",
    "two_io_model": "tutorial.models",
    "train": "tutorial.fitting",
    "freeze": "freeze_and_check",
    "freeze_model": "freezing.freeze",
    "inference_graph": "freezing.freeze",
    "load": "runtime.frozen_graph",
    "FrozenGraph": "runtime.frozen_graph",
    "inspect": "graph.summary",
    "compare": "graph.summary",
    "compare_stages": "graph.summary",
    "op_histogram": "graph.summary",
    "training_graph": "freezing.training_step",
    "verify": "runtime.verify",
    "load_keras_model": "freezing.keras_files",
    "export_onnx": "runtime.onnx_export",
    "verify_runtimes": "runtime.compare",
    "per_node_drift": "runtime.drift",
    "show_graph": "show",
    "show_graphs": "show",
}

__all__ = ["Keras2pbError", "__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'keras2pb' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
