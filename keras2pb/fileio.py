"""Atomic file writes: a temp file in the same folder, renamed into place."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
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


@contextmanager
def atomic_output(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temp path beside ``path``; rename it over ``path`` when the block succeeds.

    For writers that want a file name (Keras' ``model.save``). If the block raises (or
    Ctrl-C arrives), the temp file is deleted and ``path`` is left as it was. ``suffix``
    keeps the extension writers look at (``.h5``). Raises Keras2pbError when the folder is
    missing or not writable.
    """
    path = Path(path)
    _check_dir(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    except OSError as exc:
        raise Keras2pbError(f"{path}: cannot write in {path.parent}: "
                            f"{exc.strerror or exc}") from exc
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path.

    The bytes go to a temp file beside ``path`` that is renamed over it only once fully
    written, so an error or Ctrl-C leaves the previous file intact and no temp file behind.
    Raises Keras2pbError when the folder is missing or not writable, or the write fails.
    """
    path = Path(path)
    try:
        with atomic_output(path) as tmp, open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        raise Keras2pbError(f"{path}: could not write: {exc.strerror or exc}") from exc
    return path


def atomic_write_many(files: dict[str | os.PathLike, bytes]) -> None:
    """Write several files (path -> bytes) so that none is replaced before all are written.

    Each goes to its own temp file first; the renames happen only after every write has
    succeeded (e.g. a ``.pb`` and its sidecar). Raises Keras2pbError like
    :func:`atomic_write_bytes`; then no file has been replaced.
    """
    current = None
    try:
        with ExitStack() as stack:
            for path, data in files.items():
                current = path
                tmp = stack.enter_context(atomic_output(path))
                with open(tmp, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
    except OSError as exc:
        raise Keras2pbError(f"{current}: could not write: {exc.strerror or exc}") from exc


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; see :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"))
