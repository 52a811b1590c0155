"""Helpers the tutorial notebooks share: paths, quick mode, rebuilding models, running notebooks."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import Keras2pbError, one_line
from .fileio import atomic_output
from .sidecar import sidecar_path

#: Environment variable: ``1`` shrinks training so the notebooks run fast (tests, CI).
QUICK_ENV = "KERAS2PB_QUICK"
#: Environment variable: where the notebooks read and write models (default: ``<repo>/models``).
MODELS_ENV = "KERAS2PB_MODELS_DIR"
#: File names of the models the notebooks make, inside ``models_dir()``.
H5_NAME = "mnist_cnn.h5"
PB_NAME = "mnist_cnn.pb"
TWO_IO_NAME = "two_io.pb"
#: Seed for every random thing the tutorial does (weights, shuffling, dropout).
SEED = 42
#: The numbered notebooks, e.g. ``01_train_and_save_h5.ipynb``.
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


@dataclass(frozen=True)
class TrainSettings:
    """How much the tutorial trains: full (default) or quick (``KERAS2PB_QUICK=1``)."""

    quick: bool
    epochs: int
    n_train: int | None  # None: the whole 4,000-digit training split
    n_test: int | None  # None: the whole 1,000-digit test split
    batch_size: int = 64

    def describe(self) -> str:
        """One line for the reader, e.g. ``3 epochs on 4,000 digits (full)``."""
        n = f"{self.n_train:,}" if self.n_train else "4,000"
        mode = f"quick: {QUICK_ENV}=1" if self.quick else f"full; set {QUICK_ENV}=1 for a quick run"
        return f"{self.epochs} epoch{'s' if self.epochs != 1 else ''} on {n} digits ({mode})"


def is_quick() -> bool:
    """True when the environment variable ``KERAS2PB_QUICK`` is set to 1 (or true/yes/on).

    Raises Keras2pbError for a value that is neither on nor off (e.g. ``maybe``).
    """
    value = os.environ.get(QUICK_ENV, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise Keras2pbError(f"{QUICK_ENV}={value!r} is not understood: use 1 (quick) or 0 (full)")


def settings() -> TrainSettings:
    """The training settings for this run: 3 epochs on 4,000 digits, or 1 on 1,000 if quick.

    Raises Keras2pbError when ``KERAS2PB_QUICK`` has a value that is neither on nor off.
    """
    if is_quick():
        return TrainSettings(quick=True, epochs=1, n_train=1000, n_test=None)
    return TrainSettings(quick=False, epochs=3, n_train=None, n_test=None)


def _is_repo(folder: Path) -> bool:
    return (folder / "pyproject.toml").is_file() and (folder / "keras2pb" / "__init__.py").is_file()


def repo_root(start: str | os.PathLike | None = None) -> Path:
    """The keras2pb repository folder (the one holding ``pyproject.toml`` and ``keras2pb/``).

    Searched from ``start`` (default: the current folder) upwards, so notebooks work when
    opened from the repository root or from ``notebooks/``; then beside this package (an
    editable install). Raises Keras2pbError when neither place is inside the repository.
    """
    here = Path(start if start is not None else Path.cwd()).resolve()
    package_parent = Path(__file__).resolve().parent.parent
    for folder in (here, *here.parents, package_parent):
        if _is_repo(folder):
            return folder
    raise Keras2pbError(f"{here}: not inside the keras2pb repository; open the notebooks from "
                        f"the repository (or its notebooks/ folder), or set {MODELS_ENV}")


def models_dir(create: bool = True) -> Path:
    """The folder the notebooks keep models in: ``$KERAS2PB_MODELS_DIR`` or ``<repo>/models``.

    Created (with parents) when missing unless ``create=False``. Raises Keras2pbError when
    the path exists but is not a folder, or cannot be created.
    """
    env = os.environ.get(MODELS_ENV, "").strip()
    folder = Path(env).expanduser().resolve() if env else repo_root() / "models"
    if folder.exists() and not folder.is_dir():
        raise Keras2pbError(f"{folder}: models folder is a file; remove it or set {MODELS_ENV}")
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise Keras2pbError(f"{folder}: cannot create models folder: "
                                f"{exc.strerror or exc}") from exc
    return folder


def _say(verbose: bool, message: str) -> None:
    if verbose:
        print(message, flush=True)


def save_h5(model: Any, path: str | os.PathLike) -> Path:
    """Save a Keras model to HDF5 atomically: ``model.save`` to a temp ``.h5``, then rename.

    Keras writes the file itself, so it goes to a temp name in the same folder and is
    renamed over ``path`` only when complete. Note that Keras 3.15's HDF5 save drops the
    optimizer from the live model's compile config: save any ``.keras`` copy first.
    Returns the path. Raises Keras2pbError when the folder is missing or the save fails.
    """
    path = Path(path)
    try:
        with atomic_output(path, suffix=".h5") as tmp:
            model.save(tmp)
    except (OSError, ValueError) as exc:
        raise Keras2pbError(f"{path}: could not save the model as HDF5: {exc}") from exc
    return path


def train_mnist_cnn(train: TrainSettings | None = None, verbose: int | str = 0) -> Any:
    """Build and train the tutorial CNN on the offline MNIST sample, seeded; return the model.

    ``train`` defaults to :func:`settings` (full or quick); ``verbose`` goes to Keras' fit.
    """
    import keras

    import keras2pb

    train = train or settings()
    keras.utils.set_random_seed(SEED)
    data = keras2pb.load_mnist(n_train=train.n_train, n_test=train.n_test)
    model = keras2pb.mnist_cnn()
    keras2pb.train(model, data, epochs=train.epochs, batch_size=train.batch_size,
                   verbose=verbose)
    return model


def ensure_h5(path: str | os.PathLike | None = None, epochs: int | None = None,
              *, verbose: bool = True) -> Path:
    """Return the path of the trained CNN's ``.h5``, training and saving it first if missing.

    ``path`` defaults to ``models_dir()/mnist_cnn.h5``; ``epochs`` overrides the epochs of
    :func:`settings`. Says what it does when it rebuilds. Raises Keras2pbError when the
    file cannot be written.
    """
    path = Path(path) if path is not None else models_dir() / H5_NAME
    if path.is_file() and path.stat().st_size > 0:
        return path
    train = settings()
    if epochs is not None:
        train = TrainSettings(train.quick, epochs, train.n_train, train.n_test, train.batch_size)
    _say(verbose, f"{path} is missing (notebook 01 makes it): training the CNN now, "
                  f"{train.describe()}…")
    start = time.perf_counter()
    model = train_mnist_cnn(train)
    save_h5(model, path)
    _say(verbose, f"saved {path} ({time.perf_counter() - start:.0f} s)")
    return path


def ensure_pb(path: str | os.PathLike | None = None, h5_path: str | os.PathLike | None = None,
              *, verbose: bool = True) -> Path:
    """Return the path of the frozen CNN ``.pb`` (with sidecar), freezing it first if missing.

    ``path`` defaults to ``models_dir()/mnist_cnn.pb``, ``h5_path`` to ``mnist_cnn.h5`` in
    the same folder (itself rebuilt by :func:`ensure_h5` if missing). Raises Keras2pbError
    when a file cannot be read or written.
    """
    path = Path(path) if path is not None else models_dir() / PB_NAME
    if path.is_file() and sidecar_path(path).is_file():
        return path
    h5_path = Path(h5_path) if h5_path is not None else path.with_name(H5_NAME)
    h5_path = ensure_h5(h5_path, verbose=verbose)
    _say(verbose, f"{path} is missing (notebook 02 makes it): freezing {h5_path.name}…")
    import keras2pb

    keras2pb.freeze(h5_path, path)
    _say(verbose, f"saved {path} and {sidecar_path(path).name}")
    return path


def ensure_two_io_pb(path: str | os.PathLike | None = None, *, verbose: bool = True) -> Path:
    """Return the path of a frozen two-input/two-output model, freezing one first if missing.

    The model is ``keras2pb.models.two_io_model`` (inputs ``image`` and ``meta``, outputs
    ``digit`` and ``score``), seeded and untrained: its names matter, not its answers.
    ``path`` defaults to ``models_dir()/two_io.pb``. Raises Keras2pbError on write errors.
    """
    path = Path(path) if path is not None else models_dir() / TWO_IO_NAME
    if path.is_file() and sidecar_path(path).is_file():
        return path
    import keras

    import keras2pb

    _say(verbose, f"{path} is missing: freezing an (untrained) two-input, two-output model…")
    keras.utils.set_random_seed(SEED)
    keras2pb.freeze(keras2pb.two_io_model(), path)
    _say(verbose, f"saved {path} and {sidecar_path(path).name}")
    return path


# --- running the notebooks headless (scripts/run_notebooks.py, the tests, the benchmark) ---

class NotebookFailed(Keras2pbError):
    """A notebook cell raised (or timed out); names the notebook and the cell.

    ``cell_index`` counts from 0 in ``nb.cells`` (markdown included); the message counts from 1.
    """

    def __init__(self, notebook: Path, cell_index: int | None, reason: str,
                 traceback: str = "") -> None:
        where = f"cell {cell_index + 1}" if cell_index is not None else "kernel"
        super().__init__(f"{notebook}: {where} failed: {reason}")
        self.notebook = notebook
        self.cell_index = cell_index
        self.reason = reason
        self.traceback = traceback


def notebook_paths(folder: str | os.PathLike | None = None) -> list[Path]:
    """The numbered notebooks ``NN_*.ipynb`` in ``folder`` (default ``<repo>/notebooks``), sorted.

    Raises Keras2pbError when the folder does not exist.
    """
    folder = Path(folder) if folder is not None else repo_root() / "notebooks"
    if not folder.is_dir():
        raise Keras2pbError(f"{folder}: no such notebooks folder")
    return sorted(folder.glob(NOTEBOOK_GLOB))


def run_notebook(path: str | os.PathLike, *, timeout: int = 600, kernel_name: str = "python3",
                 cwd: str | os.PathLike | None = None,
                 env: dict[str, str] | None = None) -> Any:
    """Execute a notebook top to bottom in a fresh Jupyter kernel; return the executed notebook.

    ``timeout`` is per cell, in seconds. ``cwd`` is the kernel's working folder (default: the
    notebook's folder). ``env`` adds to (or overrides) this process's environment in the
    kernel, e.g. ``{"KERAS2PB_QUICK": "1"}``. The kernel is the ``kernel_name`` kernelspec
    run by this Python. The file on disk is not changed. Raises NotebookFailed (a
    Keras2pbError) naming the notebook and the cell when a cell raises or times out.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    path = Path(path)
    if not path.is_file():
        raise Keras2pbError(f"{path}: no such notebook")
    nb = nbformat.read(path, as_version=4)

    class _Client(NotebookClient):
        current: int | None = None

        async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
            self.current = cell_index
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)

    client = _Client(nb, timeout=timeout, kernel_name=kernel_name,
                     resources={"metadata": {"path": str(Path(cwd or path.parent).resolve())}})
    kernel_env = {**os.environ, **(env or {})}
    try:
        client.execute(env=kernel_env)
    except CellExecutionError as exc:
        cell = nb.cells[client.current] if client.current is not None else None
        src = f" `{one_line(cell.source, 80)}`" if cell is not None else ""
        raise NotebookFailed(path, client.current, f"{exc.ename}: {exc.evalue}{src}",
                             str(exc)) from None
    except CellTimeoutError as exc:
        raise NotebookFailed(path, client.current, f"timed out after {timeout} s",
                             str(exc)) from None
    except DeadKernelError as exc:
        raise NotebookFailed(path, client.current, f"the kernel died: {exc}") from None
    return nb


def export_html(nb: Any, path: str | os.PathLike) -> Path:
    """Write an executed notebook as a standalone HTML page (atomically); return the path.

    The page loads nothing from the web (``templates/offline_html.j2`` drops nbconvert's CDN
    scripts for require.js, MathJax and mermaid); images and the graph viewer are inline.

    Creates the folder. Raises Keras2pbError when it cannot be written.
    """
    from nbconvert import HTMLExporter

    from .fileio import atomic_write_text

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Keras2pbError(f"{path.parent}: cannot create the folder: "
                            f"{exc.strerror or exc}") from exc
    templates = Path(__file__).resolve().parent / "templates"
    exporter = HTMLExporter(extra_template_paths=[str(templates)],
                            template_file="offline_html.j2")
    body, _ = exporter.from_notebook_node(nb)
    return atomic_write_text(path, body)


@dataclass
class NotebookRun:
    """One executed notebook: its path, wall time in seconds, the executed notebook, HTML copy."""

    path: Path
    seconds: float
    nb: Any
    html: Path | None = None


def run_notebooks(paths: list[Path], *, quick: bool | None = None,
                  models: str | os.PathLike | None = None, timeout: int = 600,
                  html_dir: str | os.PathLike | None = None,
                  cwd: str | os.PathLike | None = None, log: Any = None) -> list[NotebookRun]:
    """Execute notebooks in order, each in a fresh kernel; return one NotebookRun per notebook.

    ``quick=True`` / ``False`` sets ``KERAS2PB_QUICK`` to 1 / 0 in the kernels (``None``: as in
    this process's environment); ``models`` sets ``KERAS2PB_MODELS_DIR``; ``timeout`` is per
    cell; ``cwd`` is the kernels' working folder (default: each notebook's folder);
    ``html_dir`` gets ``<stem>.html`` per notebook; ``log`` (e.g. ``print``) is called with a
    line before and after each notebook. Raises NotebookFailed at the first failing cell (the
    notebooks after it are not run).
    """
    env = {} if quick is None else {QUICK_ENV: "1" if quick else "0"}
    if models is not None:
        env[MODELS_ENV] = str(Path(models).resolve())
    runs = []
    for path in map(Path, paths):
        if log:
            log(f"running {path.name} ...")
        start = time.perf_counter()
        nb = run_notebook(path, timeout=timeout, cwd=cwd, env=env)
        run = NotebookRun(path, time.perf_counter() - start, nb)
        if html_dir is not None:
            run.html = export_html(nb, Path(html_dir) / f"{path.stem}.html")
        if log:
            log(f"  {run.seconds:6.1f} s" + (f" -> {run.html}" if run.html else ""))
        runs.append(run)
    return runs


def tagged_output_text(nb: Any, tag: str) -> str:
    """The text the code cell tagged ``tag`` printed or displayed in an executed notebook.

    Concatenates its stream outputs and ``text/plain`` results. Raises Keras2pbError when
    no cell has the tag.
    """
    for cell in nb.cells:
        if tag in cell.get("metadata", {}).get("tags", []):
            parts = []
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream":
                    parts.append(out.get("text", ""))
                elif "data" in out and "text/plain" in out["data"]:
                    parts.append(out["data"]["text/plain"])
            return "".join(parts)
    raise Keras2pbError(f"no cell tagged {tag!r} in the notebook")
