"""Fuzz inspect / load / run / the viewer's data builder with damaged frozen graphs.

    python scripts/fuzz_graphs.py --cases 20000 --seed 1

Every case must end in a correct result or a one-line Keras2pbError; anything else is printed
and counted as a crash (exit 1). A TensorFlow abort would kill this process: run with
--verbose to see the last case, and --start to resume after it. The test suite runs a short
budget of the same cases (tests/test_fuzz.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="print each case before it runs")
    args = parser.parse_args()

    from keras2pb.fuzzing import run_case, seed_graphs, viewer_builder

    work = Path(tempfile.mkdtemp(prefix="keras2pb-fuzz-"))
    seeds = seed_graphs(work)
    builder = viewer_builder()
    counts = {"ok": 0, "error": 0, "crash": 0}
    t0 = time.perf_counter()
    for case in range(args.start, args.start + args.cases):
        if args.verbose:
            print(f"case {case}", flush=True)
        try:
            counts[run_case(seeds, args.seed * 1_000_003 + case, work, builder)] += 1
        except Exception as exc:  # noqa: BLE001 - anything but Keras2pbError is a crash
            counts["crash"] += 1
            print(f"CRASH seed={args.seed} case={case}: {type(exc).__name__}: {exc}"[:500],
                  flush=True)
    print(f"fuzz: {args.cases} cases (seed {args.seed}, viewer "
          f"{'on' if builder else 'off'}) in {time.perf_counter() - t0:.1f} s: "
          f"{counts['ok']} ran, {counts['error']} refused with Keras2pbError, "
          f"{counts['crash']} crashes")
    return 1 if counts["crash"] else 0


if __name__ == "__main__":
    sys.exit(main())
