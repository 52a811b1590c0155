"""Write docs/SUPPORT.md: every model of the matrix frozen and run in every runtime.

    .venv/bin/python scripts/support_matrix.py [--fast [--write]] [--out docs/SUPPORT.md]

Takes about 10-20 minutes on 2 cores (the keras.applications rows); --fast runs the small
models only and prints the table without writing it (--write writes it). Needs the optional runtimes
(requirements-runtimes.txt) and a C compiler for every column to run.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from keras2pb.errors import Keras2pbError  # noqa: E402
from keras2pb.fileio import atomic_write_text  # noqa: E402
from tests.helpers.matrix_cells import check_model, markdown, rows  # noqa: E402


def versions() -> dict[str, str]:
    """What the matrix ran with: date, Python, TensorFlow, Keras, the runtimes, the compiler."""
    import keras
    import tensorflow as tf

    meta = {"on": time.strftime("%Y-%m-%d"), "Python": platform.python_version(),
            "TensorFlow": tf.__version__, "Keras": keras.__version__}
    for module, label in (("cv2", "OpenCV"), ("onnxruntime", "ONNX Runtime"),
                          ("tf2onnx", "tf2onnx"), ("onnx", "onnx"), ("openvino", "OpenVINO")):
        try:
            meta[label] = __import__(module).__version__
        except ImportError:
            meta[label] = "not installed"
    from keras2pb.runtime.c_client import c_compiler

    cc = c_compiler()
    meta["C compiler"] = (subprocess.run([cc, "--version"], capture_output=True, text=True)
                          .stdout.splitlines()[0] if cc else "none")
    meta["CPU cores"] = str(os.cpu_count())
    return meta


def main(argv: list[str] | None = None) -> int:
    """Run the matrix; print the table; write it (unless --fast). Returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true",
                        help="small models only; do not write (unless --write)")
    parser.add_argument("--write", action="store_true",
                        help="write --out even with --fast (the slow rows are then left out)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "SUPPORT.md")
    parser.add_argument("--only", help="comma-separated row names to run (for debugging)")
    args = parser.parse_args(argv)
    from keras2pb.runtime.c_client import build_c_client

    results = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="keras2pb-matrix-") as tmp:
        try:
            binary = build_c_client(Path(tmp) / "predict")
        except Keras2pbError as exc:
            print(f"[matrix] C client: {exc}", file=sys.stderr)
            binary = None
        for row in rows():
            if (args.fast and row.slow) or (args.only and row.name not in args.only.split(",")):
                continue
            t0 = time.perf_counter()
            folder = Path(tmp) / f"row{len(results)}"
            folder.mkdir()
            cells = check_model(row, folder, c_binary=binary)
            print(f"[matrix] {row.name}: {time.perf_counter() - t0:.0f} s; "
                  + "; ".join(f"{k} {c.text()}" for k, c in cells.items()),
                  file=sys.stderr, flush=True)
            results.append((row, cells))
    text = markdown(results, versions(), time.perf_counter() - start)
    if args.fast:
        text = text.replace("Rows marked *slow* run", "This table holds the fast rows only "
                            "(`--fast`); the keras.applications rows, marked *slow*, run")
    print(text)
    if (args.write or not args.fast) and not args.only:
        atomic_write_text(args.out, text)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
