"""Fuzz inspect / the viewer / load / run with damaged frozen graphs.

    python scripts/fuzz_graphs.py --cases 20000 --seed 1

Every case must end in a correct result or a one-line Keras2pbError; any other exception is
printed and counted as a crash (exit 1). Cases run in a worker process; when TensorFlow kills
the worker (a segfault running a graph whose shapes do not fit), the case's file is run again
through the CLI (`keras2pb predict`, which isolates TensorFlow in a child process): it must
answer with exit 1 and one line on stderr. The worker then resumes at the next case. The
test suite runs a short budget of the same cases (tests/unit/test_fuzz.py); the mutations
live in tests/helpers/fuzzing.py.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the mutations: tests/helpers/fuzzing.py


def worker(seed: int, start: int, stop: int, work: Path) -> int:
    """Run cases [start, stop) in this process; print one line per case outcome."""
    from tests.helpers.fuzzing import run_case, seed_graphs, viewer_builder

    seeds = seed_graphs(work)
    builder = viewer_builder()
    for case in range(start, stop):
        print(f"start {case}", flush=True)
        try:
            outcome = run_case(seeds, seed * 1_000_003 + case, work, builder)
        except Exception as exc:  # noqa: BLE001 - anything but Keras2pbError is a crash
            outcome = "crash"
            print(f"CRASH case={case}: {type(exc).__name__}: {exc}"[:500], flush=True)
        print(f"done {case} {outcome}", flush=True)
    return 0


def isolated_cli_answers(path: Path, inputs: Path) -> bool:
    """True if `keras2pb predict` on ``path`` exits 1 with one line and no traceback."""
    proc = subprocess.run([sys.executable, "-m", "keras2pb", "predict", str(path), str(inputs),
                           "--allow-unsafe-ops"], capture_output=True, text=True, check=False)
    lines = proc.stderr.strip().splitlines()
    return proc.returncode == 1 and len(lines) == 1 and "Traceback" not in proc.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--worker", nargs=3, metavar=("START", "STOP", "DIR"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        start, stop, work = int(args.worker[0]), int(args.worker[1]), Path(args.worker[2])
        return worker(args.seed, start, stop, work)

    work = Path(tempfile.mkdtemp(prefix="keras2pb-fuzz-"))
    counts = {"ok": 0, "error": 0, "crash": 0, "tf_killed_isolated": 0, "tf_killed_escaped": 0}
    t0 = time.perf_counter()
    case, stop = 0, args.cases
    while case < stop:
        proc = subprocess.run(
            [sys.executable, __file__, "--seed", str(args.seed),
             "--worker", str(case), str(stop), str(work)],
            capture_output=True, text=True, check=False)
        last = None
        for line in proc.stdout.splitlines():
            if line.startswith("start "):
                last = int(line.split()[1])
            elif line.startswith("done "):
                counts[line.split()[2]] += 1
                last = None
            elif line.startswith("CRASH"):
                print(line, flush=True)
        if proc.returncode == 0:
            break
        if last is None:
            print(f"worker failed outside a case (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
            return 1
        # TensorFlow killed the worker on case `last`: the CLI, fed the same zeros, must turn
        # that into a one-line error.
        ok = isolated_cli_answers(work / "case.pb", work / "case_inputs.npz")
        counts["tf_killed_isolated" if ok else "tf_killed_escaped"] += 1
        print(f"case {last}: TensorFlow killed the worker (exit {proc.returncode}); "
              f"keras2pb predict {'answered with a one-line error' if ok else 'did NOT'}",
              flush=True)
        case = last + 1
    print(f"fuzz: {args.cases} cases (seed {args.seed}) in {time.perf_counter() - t0:.0f} s: "
          f"{counts['ok']} ran, {counts['error']} refused with Keras2pbError, "
          f"{counts['tf_killed_isolated']} crashed TensorFlow and were caught by the CLI's "
          f"isolation, {counts['tf_killed_escaped'] + counts['crash']} crashes")
    return 1 if counts["crash"] or counts["tf_killed_escaped"] else 0


if __name__ == "__main__":
    sys.exit(main())
