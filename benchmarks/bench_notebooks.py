"""Time the full headless run of every tutorial notebook; print Markdown, write JSON."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from keras2pb import tutorial  # noqa: E402
from keras2pb.errors import Keras2pbError  # noqa: E402
from keras2pb.fileio import atomic_write_text  # noqa: E402
from tests.helpers.notebook_outputs import tagged_output_text  # noqa: E402

DEFAULT_OUT = REPO / "build" / "benchmarks" / "notebooks.json"
ABOUT = """\
Runs every notebooks/NN_*.ipynb in order, each in a fresh kernel, exactly as
scripts/run_notebooks.py does (default settings: 3 epochs on 4,000 digits; --quick: 1 epoch on
1,000), in an empty temporary models folder (so nothing is reused from earlier runs and
models/ is untouched), HTML export included. Reports wall time per notebook and in total, and
notebook 01's test accuracy. Target: total <= 120 s on 2 cores with default settings."""


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print a Markdown table and write JSON. Returns the exit code."""
    parser = argparse.ArgumentParser(description=ABOUT,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="KERAS2PB_QUICK=1 training")
    parser.add_argument("--no-html", action="store_true", help="skip the HTML export")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON ({DEFAULT_OUT})")
    args = parser.parse_args(argv)
    notebooks = tutorial.notebook_paths(REPO / "notebooks")
    with tempfile.TemporaryDirectory(prefix="bench-notebooks-") as tmp:
        start = time.perf_counter()
        try:
            runs = tutorial.run_notebooks(
                notebooks, quick=args.quick, models=Path(tmp) / "models",
                html_dir=None if args.no_html else Path(tmp) / "html",
                log=lambda line: print(line, file=sys.stderr, flush=True))
        except Keras2pbError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        total = time.perf_counter() - start
    accuracy = None
    for run in runs:
        if run.path.name.startswith("01_"):
            text = tagged_output_text(run.nb, "accuracy")
            accuracy = float(text.split(":")[1].split("%")[0]) / 100
    result = {
        "mode": "quick" if args.quick else "full",
        "html_export": not args.no_html,
        "total_seconds": round(total, 2),
        "notebooks": [{"name": r.path.name, "seconds": round(r.seconds, 2),
                       "code_cells": sum(c.cell_type == "code" for c in r.nb.cells)}
                      for r in runs],
        "notebook_01_test_accuracy": accuracy,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    lines = [f"Notebooks, headless ({result['mode']} training, {result['cpus']} CPUs)", "",
             "| notebook | code cells | seconds |", "|---|---:|---:|"]
    lines += [f"| `{n['name']}` | {n['code_cells']} | {n['seconds']:.1f} |"
              for n in result["notebooks"]]
    lines.append(f"| **total** (incl. HTML export) | | **{total:.1f}** |")
    if accuracy is not None:
        lines += ["", f"Notebook 01 test accuracy: {accuracy:.1%}"]
    print("\n".join(lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
