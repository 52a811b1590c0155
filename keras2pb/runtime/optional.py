"""Optional dependencies (OpenCV, tf2onnx, ONNX Runtime): importing them, or saying what to install.

A leaf module: it imports nothing heavy and nothing of keras2pb's but ``errors``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from typing import Any

from ..errors import Keras2pbError

#: Environment variable remapping optional modules, e.g. ``cv2=no_such_cv2,onnxruntime=x``:
#: a way to run the "runtime not installed" path for real without uninstalling anything.
MODULES_ENV = "KERAS2PB_RUNTIME_MODULES"

#: Runtime name -> (modules it needs, pip package that provides them, what it runs).
RUNTIMES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "tf": (("tensorflow",), "tensorflow", "keras2pb.load(...) call (TF Session)"),
    "opencv": (("cv2",), "opencv-python-headless", "OpenCV DNN, in a child process"),
    "onnx": (("tf2onnx", "onnxruntime"), "tf2onnx onnxruntime", "tf2onnx + ONNX Runtime"),
    "opencv-onnx": (("cv2", "tf2onnx", "onnx"), "opencv-python-headless tf2onnx onnx",
                    "tf2onnx + cv2.dnn.readNetFromONNX, in a child process"),
    "openvino": (("openvino",), "openvino", "OpenVINO reads the .pb itself, float32 precision"),
}


def module_name(name: str) -> str:
    """The module actually imported for ``name``, after the ``KERAS2PB_RUNTIME_MODULES`` map."""
    for item in os.environ.get(MODULES_ENV, "").split(","):
        key, _, value = item.partition("=")
        if key.strip() == name and value.strip():
            return value.strip()
    return name


def optional_module(name: str, package: str | None = None) -> Any:
    """Import the optional module ``name`` (e.g. ``"cv2"``), honouring ``KERAS2PB_RUNTIME_MODULES``.

    Raises Keras2pbError saying which pip package to install when it cannot be imported.
    """
    real = module_name(name)
    try:
        return importlib.import_module(real)
    except ImportError as exc:
        pkg = package or name
        raise Keras2pbError(f"{real} is not installed: pip install {pkg} "
                            "(or keras2pb[runtimes])") from exc


def missing_modules(runtime: str) -> list[str]:
    """The modules ``runtime`` needs that cannot be found (empty when it is installed).

    ``runtime`` is a name from ``RUNTIMES``; raises Keras2pbError for any other name.
    """
    if runtime not in RUNTIMES:
        raise Keras2pbError(f"unknown runtime {runtime!r}: choose from "
                            f"{', '.join(RUNTIMES)}")
    return [module_name(m) for m in RUNTIMES[runtime][0]
            if importlib.util.find_spec(module_name(m)) is None]
