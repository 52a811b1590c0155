"""keras2pb: freeze a Keras model into one TensorFlow .pb, load it back, predict, inspect.

Names are imported lazily, so ``import keras2pb`` is quick and TensorFlow loads on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import Keras2pbError

__version__ = "0.1.0"

_EXPORTS = {
    "load_mnist": "data",
    "mnist_cnn": "models",
    "bn_cnn": "models",
    "two_io_model": "models",
    "train": "fitting",
    "freeze": "freezing",
    "freeze_model": "freezing",
    "inference_graph": "freezing",
    "load": "loading",
    "FrozenGraph": "loading",
    "inspect": "graphinfo",
    "compare": "graphinfo",
    "compare_stages": "graphinfo",
    "op_histogram": "graphinfo",
    "training_graph": "training_step",
    "verify": "verifying",
    "load_keras_model": "kerasio",
    "export_onnx": "onnx",
    "verify_runtimes": "runtimes",
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
