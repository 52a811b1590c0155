"""Atomic file writes: a temp file in the same folder, renamed into place.

Every write checks its target first (``check_output``): a path that exists and is not a
regular file (a FIFO, a device, a folder) is never replaced, and the CLI also refuses an
output that is the same file as one of its inputs. Files written together (a ``.pb`` and
its sidecar) are renamed under one lock on their folder, so two writers cannot mix them.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from .errors import Keras2pbError

_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder"}


def check_output(path: str | os.PathLike,
                 inputs: Iterable[str | os.PathLike | None] = ()) -> Path:
    """Return ``path`` if keras2pb may replace it; else raise Keras2pbError naming it.

    Refused: a path that exists (through symlinks) and is not a regular file (a FIFO, a
    device, a socket, a folder: replacing it would destroy it, e.g. ``/dev/null`` as root),
    and a path that is the same file as one of ``inputs`` (``freeze m.h5 m.h5``). Inputs
    that do not exist (or are None) are skipped.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise Keras2pbError(f"{path}: cannot check the output: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(st.st_mode):
        kind = _KINDS.get(stat.S_IFMT(st.st_mode), "not a file")
        raise Keras2pbError(f"{path}: exists and is not a regular file ({kind}); refusing to "
                            "replace it: give the path of a file to write")
    for inp in inputs:
        if inp is None:
            continue
        try:
            same = os.path.samestat(st, os.stat(inp))
        except OSError:
            continue
        if same:
            raise Keras2pbError(f"{path}: is also an input ({Path(inp).name}); write to "
                                "another file")
    return path


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` (flock on the folder itself: no lock file left
    behind) for the block; a no-op where flock does not exist."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


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
    check_output(path)


@contextmanager
def atomic_output(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temp path beside ``path``; rename it over ``path`` when the block succeeds.

    For writers that want a file name (Keras' ``model.save``). If the block raises (or
    Ctrl-C arrives), the temp file is deleted and ``path`` is left as it was. ``suffix``
    keeps the extension writers look at (``.h5``). Raises Keras2pbError when the folder is
    missing or not writable.
    """
    with _temp_beside(path, suffix) as tmp:
        yield tmp
        _publish({tmp: Path(path)})


@contextmanager
def _temp_beside(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """A temp file beside ``path`` (checked with ``_check_dir``), deleted unless renamed."""
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
    finally:
        Path(tmp).unlink(missing_ok=True)  # gone already once renamed


def _publish(renames: dict[Path, Path]) -> None:
    """Rename each temp file over its target, all under one lock on the target's folder
    (re-checking each target: it may have become a FIFO meanwhile)."""
    folders = sorted({dst.parent.resolve() for dst in renames.values()})
    with ExitStack() as stack:
        for folder in folders:
            stack.enter_context(_folder_lock(folder))
        for dst in renames.values():
            check_output(dst)
        for tmp, dst in renames.items():
            os.chmod(tmp, 0o644)
            os.replace(tmp, dst)


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
            renames = {}
            for path, data in files.items():
                current = path
                tmp = stack.enter_context(_temp_beside(path))
                with open(tmp, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                renames[tmp] = Path(path)
            _publish(renames)
    except OSError as exc:
        raise Keras2pbError(f"{current}: could not write: {exc.strerror or exc}") from exc


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; see :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"))
