"""Helpers the tutorial notebooks share: paths, quick mode, rebuilding models, running notebooks."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Keras2pbError, one_line
from ..fileio import atomic_output
from ..graph.signature import sidecar_path

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
#: The Jupyter kernel the notebooks run in (JupyterLab, Jupyter Notebook, the headless runner).
KERNEL_NAME = "python3"
#: What ``scripts/setup.sh`` puts in that kernel's environment, from the kernel's start:
#: TensorFlow's C++ logging keeps errors only, and oneDNN's custom operations stay off. On CPUs
#: where TensorFlow turns oneDNN on by default (AVX-512 VNNI, e.g. recent AMD EPYC), it prints
#: "oneDNN custom operations are on" twice when imported, whatever TF_CPP_MIN_LOG_LEVEL says, and
#: its kernels add in another order: the outputs would differ from CPU to CPU in the last bits.
KERNEL_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}

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
    package_parent = Path(__file__).resolve().parents[2]
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

    The model is ``keras2pb.tutorial.models.two_io_model`` (inputs ``image`` and ``meta``, outputs
    ``digit`` and ``score``), seeded and untrained: its names matter, not its answers.
    ``path`` defaults to ``models_dir()/two_io.pb``. Raises Keras2pbError on write errors.
    """
    path = Path(path) if path is not None else models_dir() / TWO_IO_NAME
    if path.is_file() and sidecar_path(path).is_file():
        return path
    import keras

    import keras2pb

    _say(verbose, f"making {path} (no notebook before this one makes it): freezing an "
                  "untrained two-input, two-output model…")
    keras.utils.set_random_seed(SEED)
    keras2pb.freeze(keras2pb.two_io_model(), path)
    _say(verbose, f"saved {path} and {sidecar_path(path).name}")
    return path


def source_excerpt(obj: Any, first: str, last: str) -> str:
    """Part of the source code of ``obj`` (a function, class or module), dedented.

    From the first line containing ``first`` through the next line containing ``last``, so a
    notebook can show the real code of a step (e.g. the train step inside
    ``keras2pb.training_graph``) instead of a copy. Raises Keras2pbError when either marker
    is missing.
    """
    import inspect
    import textwrap

    lines = inspect.getsource(obj).splitlines()
    start = next((i for i, line in enumerate(lines) if first in line), None)
    if start is None:
        raise Keras2pbError(f"{first!r} not found in the source of {obj!r}")
    stop = next((i for i in range(start, len(lines)) if last in lines[i]), None)
    if stop is None:
        raise Keras2pbError(f"{last!r} not found after {first!r} in the source of {obj!r}")
    return textwrap.dedent("\n".join(lines[start:stop + 1]))


# --- what a learner should not see in an output ---

#: A line of TensorFlow's C++ logging: it names its C++ source file and line (``port.cc:113]``,
#: ``cuda_executor.cc:1228]``), or is absl's note about logging before its set-up.
TF_LOG_LINE = re.compile(r"^.*(?:\b[\w/.-]+\.(?:cc|h|cpp):\d+\]|"
                         r"All log messages before absl::InitializeLog\(\)).*$", re.MULTILINE)
#: More backspaces than this in one output is an animated progress bar kept frame by frame.
MAX_BACKSPACES = 100


def noise_in_text(text: str) -> list[str]:
    """What a learner should not see in one output's text: TensorFlow C++ log lines (each,
    shortened) and a run of more than MAX_BACKSPACES backspace characters. [] when clean."""
    found = [f"TensorFlow log line: {m.group(0).strip()[:120]}"
             for m in TF_LOG_LINE.finditer(text)]
    backspaces = text.count("\b")
    if backspaces > MAX_BACKSPACES:
        found.append(f"{backspaces} backspace characters (an animated progress bar)")
    return found


def output_noise(nb: Any) -> list[str]:
    """Noise (see :func:`noise_in_text`) in the outputs of an executed notebook, one line per
    finding, naming the cell (counted from 1, markdown included)."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            texts = [out.get("text", "")] + [
                v if isinstance(v, str) else "".join(v)
                for k, v in out.get("data", {}).items() if k.startswith("text/plain")]
            found += [f"cell {i + 1}: {f}" for t in texts for f in noise_in_text(t)]
    return found


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


def kernel_env_missing(kernel_name: str = KERNEL_NAME) -> dict[str, str]:
    """The entries of KERNEL_ENV that the installed kernel ``kernel_name`` does not set.

    Empty when ``scripts/setup.sh`` installed the kernel. Raises Keras2pbError when there is
    no such kernel.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        raise Keras2pbError(f"no Jupyter kernel named {kernel_name!r}: run scripts/setup.sh"
                            ) from None
    return {k: v for k, v in KERNEL_ENV.items() if (spec.env or {}).get(k) != v}


def _encryption() -> dict[str, str]:
    """``transport_encryption="auto"`` where jupyter_client has it (8.10+): an encrypted
    channel to the kernel, and no "running over TCP without encryption" warning."""
    import inspect

    from jupyter_client.manager import KernelManager

    start = getattr(KernelManager, "_async_pre_start_kernel", None)
    if start is not None and "transport_encryption" in inspect.signature(start).parameters:
        return {"transport_encryption": "auto"}
    return {}


def solution_files(path: str | os.PathLike) -> list[Path]:
    """The solution files of a notebook ``NN_*.ipynb``: ``solutions/NN_ex*.py`` beside it, in
    exercise order (the tutorial never runs them: Run All is the catch-up path)."""
    path = Path(path)
    found = (path.parent / "solutions").glob(f"{path.name[:2]}_ex*.py")
    return sorted(found, key=lambda p: int(re.sub(r"\D", "", p.stem.split("_ex")[1]) or 0))


def with_solutions(nb: Any, path: str | os.PathLike) -> Any:
    """A copy of notebook ``nb`` (read from ``path``) with each of its solution files appended
    as a code cell tagged ``solution`` and the file's stem (e.g. ``02_ex1``)."""
    import copy

    import nbformat

    nb = copy.deepcopy(nb)
    for file in solution_files(path):
        cell = nbformat.v4.new_code_cell(file.read_text(encoding="utf-8"))
        cell.metadata["tags"] = ["solution", file.stem]
        nb.cells.append(cell)
    return nb


def run_notebook(path: str | os.PathLike, *, timeout: int = 600, kernel_name: str = KERNEL_NAME,
                 cwd: str | os.PathLike | None = None,
                 env: dict[str, str] | None = None, solutions: bool = False) -> Any:
    """Execute a notebook top to bottom in a fresh Jupyter kernel; return the executed notebook.

    ``timeout`` is per cell, in seconds. ``cwd`` is the kernel's working folder (default: the
    notebook's folder). ``env`` adds to (or overrides) this process's environment in the
    kernel, e.g. ``{"KERAS2PB_QUICK": "1"}``. ``solutions=True`` runs the notebook's solution
    files (:func:`solution_files`) after its last cell, as the tests do. The kernel is the
    ``kernel_name`` kernelspec run by this Python. The file on disk is not changed. Raises
    NotebookFailed (a Keras2pbError) naming the notebook and the cell when a cell raises or
    times out.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    path = Path(path)
    if not path.is_file():
        raise Keras2pbError(f"{path}: no such notebook")
    nb = nbformat.read(path, as_version=4)
    if solutions:
        nb = with_solutions(nb, path)

    class _Client(NotebookClient):
        current: int | None = None

        async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
            self.current = cell_index
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)

    client = _Client(nb, timeout=timeout, kernel_name=kernel_name,
                     resources={"metadata": {"path": str(Path(cwd or path.parent).resolve())}})
    kernel_env = {**os.environ, **(env or {})}
    try:
        client.execute(env=kernel_env, **_encryption())
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


#: An iframe (or a link) pointing at a server of the live kernel, e.g. a TensorBoard on 127.0.0.1.
_LIVE_FRAME = re.compile(r"<iframe\b[^>]*\bsrc=[\"']?https?://(?:127\.0\.0\.1|localhost)[:/]"
                         r"[^>]*>.*?</iframe>", re.IGNORECASE | re.DOTALL)
_LIVE_LINK = re.compile(r"<a\b[^>]*\bhref=[\"']?https?://(?:127\.0\.0\.1|localhost)[:/]"
                        r"[^>]*>.*?</a>", re.IGNORECASE | re.DOTALL)
#: What an exported page shows instead of such a frame.
LIVE_FRAME_NOTE = (
    '<div class="k2pb-live-only" style="box-sizing:border-box;height:120px;padding:12px;'
    'border:1px dashed #a23b00;font:13px sans-serif;color:#a23b00">This exported copy cannot '
    "show this view: it was served live by the notebook's kernel on 127.0.0.1. Run the notebook "
    "to see it; the offline graph viewer above shows the same graphs.</div>")


def without_live_frames(nb: Any) -> tuple[Any, int]:
    """A copy of an executed notebook whose HTML outputs no longer point at the live kernel.

    Each ``<iframe>`` loading from 127.0.0.1 / localhost (e.g. the TensorBoard view of
    notebook 04) becomes LIVE_FRAME_NOTE, and links to such servers lose their anchor. Returns
    ``(copy, number of frames replaced)``; the notebook passed in is not changed.
    """
    import copy

    nb = copy.deepcopy(nb)
    replaced = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            text = data.get("text/html")
            if not text:
                continue
            joined = "".join(text) if isinstance(text, list) else text
            joined, n = _LIVE_FRAME.subn(LIVE_FRAME_NOTE, joined)
            if n:
                joined = _LIVE_LINK.sub("", joined)
                data["text/html"] = joined
                replaced += n
    return nb, replaced


def export_html(nb: Any, path: str | os.PathLike) -> Path:
    """Write an executed notebook as a standalone HTML page (atomically); return the path.

    The page loads nothing from the web (``templates/offline_html.j2`` drops nbconvert's CDN
    scripts for require.js, MathJax and mermaid); images and the graph viewer are inline.
    Frames served by the live kernel (TensorBoard) become a short note
    (:func:`without_live_frames`): they would be empty once the kernel is gone.

    Creates the folder. Raises Keras2pbError when it cannot be written.
    """
    from nbconvert import HTMLExporter

    from ..fileio import atomic_write_text

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Keras2pbError(f"{path.parent}: cannot create the folder: "
                            f"{exc.strerror or exc}") from exc
    templates = Path(__file__).resolve().parent / "templates"
    exporter = HTMLExporter(extra_template_paths=[str(templates)],
                            template_file="offline_html.j2")
    body, _ = exporter.from_notebook_node(without_live_frames(nb)[0])
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
                  cwd: str | os.PathLike | None = None, log: Any = None,
                  solutions: bool = False) -> list[NotebookRun]:
    """Execute notebooks in order, each in a fresh kernel; return one NotebookRun per notebook.

    ``quick=True`` / ``False`` sets ``KERAS2PB_QUICK`` to 1 / 0 in the kernels (``None``: as in
    this process's environment); ``models`` sets ``KERAS2PB_MODELS_DIR``; ``timeout`` is per
    cell; ``cwd`` is the kernels' working folder (default: each notebook's folder);
    ``html_dir`` gets ``<stem>.html`` per notebook; ``log`` (e.g. ``print``) is called with a
    line before and after each notebook; ``solutions=True`` also runs each notebook's solution
    files after its last cell. Raises NotebookFailed at the first failing cell (the
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
        nb = run_notebook(path, timeout=timeout, cwd=cwd, env=env, solutions=solutions)
        run = NotebookRun(path, time.perf_counter() - start, nb)
        if html_dir is not None:
            run.html = export_html(nb, Path(html_dir) / f"{path.stem}.html")
        if log:
            log(f"  {run.seconds:6.1f} s" + (f" -> {run.html}" if run.html else ""))
            for finding in output_noise(nb)[:10]:
                log(f"  warning: {path.name}: {finding}")
        runs.append(run)
    return runs
