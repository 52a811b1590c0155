"""Loading Keras models from .h5 / .keras files for freezing and inference, with clear errors."""

from __future__ import annotations

import importlib
import os
import sys
import zipfile
from typing import Any

import h5py
import keras

from ..errors import Keras2pbError, one_line
from ..graph.reading import check_input_path
from ..versions import require_supported

require_supported(keras_too=True)  # Keras 2 or an old TensorFlow fails here, with the fix

KERAS_SUFFIXES = (".h5", ".hdf5", ".keras")


def load_keras_model(
    path: str | os.PathLike,
    custom_objects: dict[str, Any] | None = None,
    safe_mode: bool = True,
) -> keras.Model:
    """Load a Keras model from ``.h5`` / ``.keras`` for freezing or inference (not training).

    Loads with ``compile=False``: Keras 3.15 cannot keep training a compiled model loaded
    from HDF5, and freezing needs no optimizer. ``safe_mode=False`` allows ``.keras`` files
    with Lambda layers (they run arbitrary Python code: only for files you trust).
    Raises Keras2pbError naming the file and the problem.
    """
    p = check_input_path(path, "Keras model file (.h5 or .keras)")
    suffix = p.suffix.lower()
    if suffix not in KERAS_SUFFIXES:
        raise Keras2pbError(f"{p}: expected a Keras model file ending in .h5, .hdf5 or .keras")
    if suffix == ".keras":
        if not zipfile.is_zipfile(p):
            raise Keras2pbError(f"{p}: not a .keras file (a .keras file is a zip archive); "
                                "the file is damaged or in another format")
        with zipfile.ZipFile(p) as archive:
            if "config.json" not in archive.namelist():
                raise Keras2pbError(f"{p}: a zip archive but not a Keras model "
                                    "(no config.json inside)")
    elif not h5py.is_hdf5(p):
        raise Keras2pbError(f"{p}: not an HDF5 file; the file is damaged or in another format")
    try:
        model = keras.models.load_model(
            p, custom_objects=custom_objects, compile=False, safe_mode=safe_mode
        )
    except Exception as exc:  # Keras raises ValueError, TypeError, OSError, KeyError, ...
        raise Keras2pbError(_explain_load_error(exc), p) from exc
    if not isinstance(model, keras.Model):
        raise Keras2pbError(f"{p}: holds a {type(model).__name__}, not a Keras model")
    return model


def _explain_load_error(exc: Exception) -> str:
    low = " ".join(str(exc).split()).lower()
    if "lambda" in low and ("safe_mode" in low or "unsafe" in low):
        return ("holds a Lambda layer, which runs arbitrary Python code; Keras refuses it in "
                "safe mode. Load it only if you trust the file: --unsafe on the CLI or "
                "safe_mode=False")
    if "no model config" in low or "no model found in config" in low:
        return ("holds no model architecture (weights only, or not a Keras model file); "
                "save the whole model with model.save(), not model.save_weights()")
    if "could not locate" in low or "unknown layer" in low or "custom_objects" in low:
        return ("uses a custom class Keras does not know: pass custom_objects={'Name': cls}, "
                f"or --custom-objects module:attr on the CLI ({one_line(exc, 200)})")
    if "file signature not found" in low or "not a zip file" in low or "unable to" in low \
            or "truncated" in low or "bad magic" in low:
        return ("is not a readable Keras model file (damaged or another format): "
                f"{one_line(exc, 200)}")
    return f"could not be loaded as a Keras model: {type(exc).__name__}: {one_line(exc)}"


def import_custom_objects(spec: str) -> dict[str, Any]:
    """Turn ``"module:attr"`` into a custom_objects dict.

    ``attr`` may be a dict (used as is) or a class/function (registered under its
    ``__name__``). Raises Keras2pbError when the module or attribute does not exist.
    """
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise Keras2pbError(f"--custom-objects {spec!r}: expected module:attr")
    cwd = os.getcwd()  # as `python -m`: modules next to the user's model are importable
    added = cwd not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise Keras2pbError(f"--custom-objects {spec!r}: cannot import {module_name}: "
                                f"{exc}") from exc
        try:
            obj = getattr(module, attr)
        except AttributeError as exc:
            raise Keras2pbError(f"--custom-objects {spec!r}: {module_name} has no {attr}") \
                from exc
    finally:
        if added:
            sys.path.remove(cwd)
    if isinstance(obj, dict):
        return dict(obj)
    if not isinstance(getattr(obj, "__name__", None), str):
        raise Keras2pbError(f"--custom-objects {spec!r}: {attr} is neither a dict nor a class "
                            "or function")
    return {obj.__name__: obj}


def model_structures(model: keras.Model) -> tuple[Any, Any]:
    """The nested input and output structures of a functional or Sequential model.

    Raises Keras2pbError for a model without defined inputs (never built with keras.Input).
    """
    graph = model if hasattr(model, "_inputs_struct") else getattr(model, "_functional", None)
    if graph is None or not model.inputs:
        raise Keras2pbError(
            f"model {model.name!r} has no defined inputs: build it with keras.Input "
            "(functional or Sequential) before freezing")
    return graph._inputs_struct, graph._outputs_struct


def output_names(structure: Any) -> list[str]:
    """Keras names of the outputs in ``structure``, in ``keras.tree.flatten`` order."""
    if isinstance(structure, dict):
        return sorted(structure)  # keras.tree flattens dicts by sorted key
    names = []
    for t in keras.tree.flatten(structure):
        history = getattr(t, "_keras_history", None)
        names.append(history.operation.name if history else t.name)
    return names
