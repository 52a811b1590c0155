"""Optional dependencies (OpenCV, tf2onnx, ONNX Runtime): importing them, or saying what to install.

Which runtime needs which module is in ``registry.RUNTIMES``.

A leaf module: it imports nothing heavy and nothing of keras2pb's but ``errors``.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from ..errors import Keras2pbError

#: Environment variable remapping optional modules, e.g. ``cv2=no_such_cv2,onnxruntime=x``:
#: a way to run the "runtime not installed" path for real without uninstalling anything.
MODULES_ENV = "KERAS2PB_RUNTIME_MODULES"

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
