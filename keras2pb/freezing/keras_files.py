"""Loading Keras models from .h5 / .keras files for freezing and inference, with clear errors."""

from __future__ import annotations

import importlib
import inspect
import os
import re
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
#: The JSON members of a .keras archive that Keras reads whole into memory.
_ARCHIVE_JSON = ("config.json", "metadata.json")
#: Their largest uncompressed size (MB) unless ``$KERAS2PB_MAX_CONFIG_MB`` says otherwise: the
#: config of a ResNet152 is ~0.5 MB; 1 MB of zip can inflate to 1 GB.
MAX_CONFIG_MB = 64
MAX_CONFIG_ENV = "KERAS2PB_MAX_CONFIG_MB"


def _check_archive(archive: zipfile.ZipFile, p: os.PathLike) -> None:
    """Refuse a .keras archive whose JSON members inflate beyond the limit (zipfile never
    reads a member past its declared size, so checking that size bounds the read)."""
    text = os.environ.get(MAX_CONFIG_ENV, "").strip()
    try:
        limit_mb = float(text) if text else MAX_CONFIG_MB
    except ValueError:
        raise Keras2pbError(f"{MAX_CONFIG_ENV}={text!r} is not a number of megabytes") from None
    for name in _ARCHIVE_JSON:
        if name in archive.NameToInfo:
            size = archive.getinfo(name).file_size
            if size > limit_mb * 2**20:
                raise Keras2pbError(
                    f"{p}: {name} inflates to {size / 2**20:,.0f} MB, more than the "
                    f"{limit_mb:g} MB limit (a zip bomb?); if you trust the file, raise "
                    f"{MAX_CONFIG_ENV}")


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
            _check_archive(archive, p)
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
    _build_from_config(model, p)
    return model


#: Keras names an unknown class as "Could not locate class 'Scale'" (.keras) or
#: "Unknown layer: 'demo>Scale'" (.h5); the registered name may carry a package ("demo>").
_UNKNOWN_CLASS = re.compile(r"(?:could not locate (?:class|function) |unknown \w+: )'([^']+)'",
                            re.IGNORECASE)
_REGISTERED = re.compile(r"'registered_name': '([^']+)'")
#: Exceptions at the root of a failed load whose own message says what to fix.
_ROOT_CAUSES = (NameError, ImportError, AttributeError, SyntaxError)


def _root_cause(exc: BaseException) -> BaseException | None:
    """The innermost ``NameError``/``ImportError``/... in ``exc``'s chain, or None. Keras
    wraps the error raised in a Lambda's code twice ("Exception encountered when calling
    Lambda.call()", "could not automatically infer the shape") and drops the reason."""
    found, seen = None, set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, _ROOT_CAUSES):
            found = exc
        exc = exc.__cause__ or exc.__context__
    return found


def _explain_load_error(exc: BaseException) -> str:
    low = " ".join(str(exc).split()).lower()
    if "vocabulary file outside of the model archive" in low:
        return ("asks to read a vocabulary file outside the archive (a StringLookup or "
                "TextVectorization layer naming a local file); Keras refuses this in safe mode. "
                "Load it only if you trust the file: --unsafe on the CLI or safe_mode=False")
    root = _root_cause(exc)
    if isinstance(root, NameError) or (root is not None and "lambda" in low):
        return (f"a Lambda layer's code failed while loading: {type(root).__name__}: "
                f"{one_line(root, 120)} (the code refers to a name of the script that saved "
                "it); rebuild the model in that script and freeze it there, or replace the "
                "Lambda with a registered custom layer and pass --custom-objects")
    if "lambda" in low and ("safe_mode" in low or "unsafe" in low):
        return ("holds a Lambda layer, which runs arbitrary Python code; Keras refuses it in "
                "safe mode. Load it only if you trust the file: --unsafe on the CLI or "
                "safe_mode=False")
    if "no model config" in low or "no model found in config" in low:
        return ("holds no model architecture (weights only, or not a Keras model file); "
                "save the whole model with model.save(), not model.save_weights()")
    if "could not locate" in low or "unknown layer" in low or "custom_objects" in low:
        text = " ".join(str(exc).split())
        names = list(dict.fromkeys(_UNKNOWN_CLASS.findall(text)))
        registered = [r for r in dict.fromkeys(_REGISTERED.findall(text))
                      if r.split(">")[-1] in {n.split(">")[-1] for n in names}]
        if names:
            name = names[0].split(">")[-1]
            as_registered = f" (registered as {registered[0]!r})" if registered else \
                (f" (registered as {names[0]!r})" if ">" in names[0] else "")
            return (f"uses a custom class {name!r}{as_registered}, which Keras does not "
                    f"know here: pass custom_objects={{{name!r}: {name}}}, or "
                    "--custom-objects module:attr on the CLI (import the module that defines "
                    "it)")
        return ("uses a custom class Keras does not know: pass custom_objects={'Name': cls}, "
                f"or --custom-objects module:attr on the CLI ({one_line(exc, 200)})")
    if "file signature not found" in low or "not a zip file" in low or "unable to" in low \
            or "truncated" in low or "bad magic" in low:
        return ("is not a readable Keras model file (damaged or another format): "
                f"{one_line(exc, 200)}")
    return f"could not be loaded as a Keras model: {type(exc).__name__}: {one_line(exc)}"


def _build_from_config(model: keras.Model, path: os.PathLike) -> None:
    """Raise what stopped Keras from building a loaded Sequential model.

    Keras builds a Sequential from its saved input shape while loading and, when a layer
    cannot be called (a Lambda's code raising ``NameError``), silently leaves it without
    inputs; freezing would then say "no defined inputs". Calling the layers again on the
    saved input surfaces the real reason.
    """
    layers = getattr(model, "_layers", None) or []
    if not isinstance(model, keras.Sequential) or getattr(model, "_functional", None) is not None \
            or not layers or not isinstance(layers[0], keras.layers.InputLayer):
        return
    x = layers[0].output
    try:
        for layer in layers[1:]:
            x = layer(x)
    except Exception as exc:  # whatever the layer's code raises
        raise Keras2pbError(_explain_load_error(exc), path) from exc


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


def _has_inputs(model: keras.Model) -> bool:
    """Whether ``model`` is a functional or built Sequential model (it has ``inputs``)."""
    graph = model if hasattr(model, "_inputs_struct") else getattr(model, "_functional", None)
    return graph is not None and bool(model.inputs)


def as_functional(model: keras.Model, input_shape: Any = None) -> keras.Model:
    """``model`` itself when it has defined inputs (functional, built Sequential); a
    subclassed model wrapped as ``keras.Model(inp, model(inp))`` when its input shape is known.

    ``input_shape``: one example's shape (no batch dimension), or a dict name -> shape for a
    model called on a dict; default: the shape the model was built or first called with. The
    wrapper shares the model's layers and weights (and its name); its input is named after
    ``call``'s first argument (``x``), or the dict's keys. Raises Keras2pbError when the shape
    is unknown, saying how to give it.
    """
    if _has_inputs(model) or (isinstance(model, keras.Sequential) and input_shape is None):
        return model
    if input_shape is None:
        shapes = getattr(model, "_build_shapes_dict", None) or {}
        if len(shapes) != 1:
            raise Keras2pbError(
                f"model {model.name!r} is a subclassed keras.Model that was never built or "
                "called, so its input shape is unknown: call it once on an example batch, or "
                "pass input_shape= (one example's shape, e.g. input_shape=(28, 28, 1)) to "
                "keras2pb.freeze")
        full = next(iter(shapes.values()))
        input_shape = ({k: tuple(v)[1:] for k, v in full.items()} if isinstance(full, dict)
                       else tuple(full)[1:])
    try:
        if isinstance(input_shape, dict):
            inputs: Any = {k: keras.Input(tuple(v), name=k) for k, v in input_shape.items()}
        else:
            params = list(inspect.signature(model.call).parameters)
            inputs = keras.Input(tuple(input_shape), name=params[0] if params else "input")
        return keras.Model(inputs, model(inputs), name=model.name)
    except Keras2pbError:
        raise
    except Exception as exc:  # whatever the model's call raises on a symbolic input
        raise Keras2pbError(
            f"could not wrap subclassed model {model.name!r} with keras.Input(shape="
            f"{input_shape}): {type(exc).__name__}: {one_line(exc, 200)}; check input_shape "
            "(one example's shape, without the batch dimension)") from exc


def model_structures(model: keras.Model) -> tuple[Any, Any]:
    """The nested input and output structures of a functional or Sequential model.

    Raises Keras2pbError for a model without defined inputs (never built with keras.Input).
    """
    graph = model if hasattr(model, "_inputs_struct") else getattr(model, "_functional", None)
    if graph is None or not model.inputs:
        raise Keras2pbError(
            f"model {model.name!r} has no defined inputs: build it with keras.Input "
            "(functional or Sequential) before freezing, or pass input_shape= (one "
            "example's shape) to keras2pb.freeze")
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
