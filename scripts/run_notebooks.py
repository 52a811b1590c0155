"""Execute the tutorial notebooks headless, in order, and write executed HTML copies.

    python scripts/run_notebooks.py              # every notebooks/NN_*.ipynb, full training
    python scripts/run_notebooks.py --quick      # KERAS2PB_QUICK=1: 1 epoch on 1,000 digits
    python scripts/run_notebooks.py notebooks/02_freeze_to_pb.ipynb

Each notebook runs in a fresh kernel of the "python3" kernelspec that scripts/setup.sh
installs (this venv's Python, with TF_CPP_MIN_LOG_LEVEL=2 from its start: no TensorFlow log
lines in the outputs), with notebooks/ as the working folder; the notebook files are not
modified. Stops at the first failing cell, naming the notebook and the cell. HTML copies go
to build/notebooks/.
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

HTML_DIR = ROOT / "build" / "notebooks"


def _log(line: str) -> None:
    print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the notebooks and print per-notebook and total wall time; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to run (default: every notebooks/NN_*.ipynb, in order)")
    parser.add_argument("--quick", action="store_true",
                        help="set KERAS2PB_QUICK=1 (as does the variable in the environment): "
                        "train 1 epoch on 1,000 digits")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (600)")
    parser.add_argument("--no-html", action="store_true", help="skip the HTML copies")
    parser.add_argument("--models-dir", type=Path,
                        help="read/write models here instead of models/ (KERAS2PB_MODELS_DIR)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        quick = args.quick or tutorial.is_quick()
        missing = tutorial.kernel_env_missing()
        if missing:
            print(f"note: the {tutorial.KERNEL_NAME!r} kernel does not set "
                  + ", ".join(f"{k}={v}" for k, v in missing.items())
                  + ": TensorFlow's log lines may land in the outputs; run scripts/setup.sh",
                  file=sys.stderr)
        notebooks = args.notebooks or tutorial.notebook_paths(ROOT / "notebooks")
        if not notebooks:
            print(f"error: no notebooks matching {tutorial.NOTEBOOK_GLOB} in notebooks/",
                  file=sys.stderr)
            return 1
        runs = tutorial.run_notebooks(
            notebooks, quick=True if args.quick else None, models=args.models_dir,
            timeout=args.timeout, html_dir=None if args.no_html else HTML_DIR, log=_log)
    except tutorial.NotebookFailed as exc:
        print(f"\n{exc.traceback}\n", file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Keras2pbError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    total = time.perf_counter() - start
    mode = "quick" if quick else "full"
    print(f"\n{len(runs)} notebooks ({mode} training, {os.cpu_count()} CPUs):")
    for run in runs:
        print(f"  {run.seconds:6.1f} s  {run.path.name}")
    print(f"  {total:6.1f} s  total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
