"""The JSON sidecar written next to a frozen graph: where it lives and how it is read."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .errors import Keras2pbError

SIDECAR_FORMAT = "keras2pb-sidecar/1"


def sidecar_path(pb_path: str | os.PathLike) -> Path:
    """The sidecar file that goes with ``pb_path``: ``<pb_path>.json``."""
    return Path(f"{os.fspath(pb_path)}.json")


def read_sidecar(pb_path: str | os.PathLike) -> dict[str, Any] | None:
    """Return the sidecar dict that ``freeze`` wrote next to ``pb_path``, or None if absent.

    Raises Keras2pbError when the sidecar exists but is not valid keras2pb JSON.
    """
    path = sidecar_path(pb_path)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        for entry in data["inputs"] + data["outputs"]:
            if not (isinstance(entry["name"], str) and isinstance(entry["tensor"], str)
                    and isinstance(entry["dtype"], str)):
                raise TypeError("name, tensor and dtype must be strings")
    except OSError as exc:
        raise Keras2pbError(f"{path}: cannot read the sidecar: {exc.strerror or exc}") from exc
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise Keras2pbError(f"{path}: sidecar is not valid keras2pb JSON ({exc}); "
                            "delete it or freeze again") from exc
    return data


def require_sidecar(pb_path: str | os.PathLike) -> dict[str, Any]:
    """``read_sidecar``, but a missing sidecar is a Keras2pbError saying how to get one."""
    data = read_sidecar(pb_path)
    if data is None:
        raise Keras2pbError(f"no sidecar {Path(pb_path).name}.json naming the inputs and "
                            "outputs; freeze the model with keras2pb to get one", pb_path)
    return data
