"""Execute the tutorial notebooks headless, in order, and write executed HTML copies.

    python scripts/run_notebooks.py              # every notebooks/NN_*.ipynb, full training
    python scripts/run_notebooks.py --quick      # KERAS2PB_QUICK=1: 1 epoch on 1,000 digits
    python scripts/run_notebooks.py notebooks/02_freeze_to_pb.ipynb

Each notebook runs in a fresh python3 kernel (this Python's) with notebooks/ as the working
folder; the notebooks themselves are not modified. Stops at the first failing cell, naming the
notebook and the cell. HTML copies go to build/notebooks/.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from keras2pb import tutorial  # noqa: E402
from keras2pb.errors import Keras2pbError  # noqa: E402


def run_all(notebooks: list[Path], *, quick: bool = False, timeout: int = 600,
            html_dir: Path | None = ROOT / "build" / "notebooks",
            models_dir: Path | None = None, log=print) -> dict[str, float]:
    """Execute ``notebooks`` in order; return the wall time in seconds of each, by file name.

    ``quick`` sets ``KERAS2PB_QUICK=1`` in the kernels; ``models_dir`` sets
    ``KERAS2PB_MODELS_DIR``; ``timeout`` is per cell. Writes ``<html_dir>/<name>.html`` per
    notebook unless ``html_dir`` is None. Raises tutorial.NotebookFailed at the first
    failing cell.
    """
    env = {tutorial.QUICK_ENV: "1" if quick else "0"}
    if models_dir is not None:
        env[tutorial.MODELS_ENV] = str(Path(models_dir).resolve())
    times: dict[str, float] = {}
    for path in notebooks:
        log(f"running {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ...",
            flush=True)
        start = time.perf_counter()
        nb = tutorial.run_notebook(path, timeout=timeout, cwd=path.parent, env=env)
        times[path.name] = time.perf_counter() - start
        note = ""
        if html_dir is not None:
            out = tutorial.export_html(nb, Path(html_dir) / f"{path.stem}.html")
            note = f" -> {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}"
        log(f"  {times[path.name]:6.1f} s{note}", flush=True)
    return times


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: run the notebooks, print per-notebook and total wall time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to run (default: every notebooks/NN_*.ipynb, in order)")
    parser.add_argument("--quick", action="store_true",
                        help="set KERAS2PB_QUICK=1: train 1 epoch on 1,000 digits")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (600)")
    parser.add_argument("--no-html", action="store_true", help="skip the HTML copies")
    parser.add_argument("--models-dir", type=Path,
                        help="read/write models here instead of models/ (KERAS2PB_MODELS_DIR)")
    args = parser.parse_args(argv)
    try:
        notebooks = args.notebooks or tutorial.notebook_paths(ROOT / "notebooks")
        if not notebooks:
            print(f"no notebooks matching {tutorial.NOTEBOOK_GLOB} in notebooks/",
                  file=sys.stderr)
            return 1
        start = time.perf_counter()
        times = run_all([Path(p).resolve() for p in notebooks], quick=args.quick,
                        timeout=args.timeout,
                        html_dir=None if args.no_html else ROOT / "build" / "notebooks",
                        models_dir=args.models_dir)
        total = time.perf_counter() - start
    except tutorial.NotebookFailed as exc:
        print(f"\n{exc.traceback}\n", file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Keras2pbError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    mode = "quick" if args.quick else "full"
    print(f"\n{len(times)} notebooks ({mode}, {os.cpu_count()} CPUs):")
    for name, seconds in times.items():
        print(f"  {seconds:6.1f} s  {name}")
    print(f"  {total:6.1f} s  total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
