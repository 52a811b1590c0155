"""Atomic file writes: a temp file in the same folder, renamed into place."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import Keras2pbError


def _check_dir(path: Path) -> None:
    parent = path.parent
    if not parent.exists():
        raise Keras2pbError(f"{path}: folder {parent} does not exist; create it first")
    if not parent.is_dir():
        raise Keras2pbError(f"{path}: {parent} is not a folder")
    if not os.access(parent, os.W_OK):
        raise Keras2pbError(f"{path}: folder {parent} is not writable")
    if path.is_dir():
        raise Keras2pbError(f"{path}: is a folder; give a file name to write")


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path.

    The bytes go to a temp file beside ``path`` that is renamed over it only once fully
    written, so an error or Ctrl-C leaves the previous file intact and no temp file behind.
    Raises Keras2pbError when the folder is missing or not writable.
    """
    path = Path(path)
    _check_dir(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise Keras2pbError(f"{path}: cannot write in {path.parent}: "
                            f"{exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise Keras2pbError(f"{path}: could not write: {exc.strerror or exc}") from exc
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; see :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"))
