"""Benchmark every way to run a frozen Keras model side by side; print Markdown, write JSON."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras2pb  # noqa: E402
from keras2pb.errors import Keras2pbError  # noqa: E402
from keras2pb.fileio import atomic_write_text  # noqa: E402
from keras2pb.runtime.registry import RUNTIMES, Target, missing_modules  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "build" / "benchmarks" / "runtimes.json"
ABOUT = """\
For the MNIST CNN and DenseNet121 (keras.applications, weights=None; --quick skips it) time, in
one run: model.predict, model(x), tf.function, raw Session.run on the frozen graph, the
keras2pb.load(...) call, its TF2 .function, OpenCV DNN (in a child process), ONNX Runtime and
OpenVINO, at batch 1 (median of >= 200 calls) and at a big batch (1000, or 64 for DenseNet121);
plus freeze time (against the bare TF2 recipe), .pb load time in a fresh process, the C
client's process start to prediction against Python's (MNIST CNN), file sizes, and (not --quick)
the per-node drift report of ResNet50 against a plain verify of the same runtimes. Every target
is a ratio against a baseline timed in the same run. Prints Markdown tables and writes JSON. Not
in CI."""
BASELINE = "Session.run (raw)"
TF_PATHS = ("model.predict", "model(x)", "tf.function", BASELINE, "keras2pb.load call",
            "keras2pb.load .function")


def _timed_calls(fns: dict[str, Callable[[], Any]], repeats: int, rounds: int,
                 warmup: int, settle: bool = True) -> dict[str, list[float]]:
    """Seconds per call for each function, interleaved in ``rounds`` so that background load
    on a shared machine hits every path alike. With ``settle``, each block of calls starts with
    an untimed one, so that the previous runtime's spinning worker threads have settled (it
    matters for sub-millisecond calls)."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    per_round = max(1, repeats // rounds)
    for _ in range(rounds):
        for name, fn in fns.items():
            if settle:
                fn()
            for _ in range(per_round):
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
    return times


def _fresh_load(pb: Path, shape: tuple[int, ...]) -> dict[str, float]:
    """Import TF, ``keras2pb.load`` the graph and call it once, in a new process: seconds each."""
    code = f"""
import json, os, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
t0 = time.perf_counter()
import numpy as np, tensorflow
t1 = time.perf_counter()
import keras2pb
g = keras2pb.load({str(pb)!r})
t2 = time.perf_counter()
g(np.zeros({(1, *shape)!r}, np.float32))
t3 = time.perf_counter()
print(json.dumps({{"import_tf_s": t1 - t0, "load_s": t2 - t1, "first_call_s": t3 - t2}}))
"""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    wall = time.perf_counter() - t0
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]), process_wall_s=wall)


def _start_to_prediction(pb: Path, side: dict[str, Any], shape: tuple[int, ...], folder: Path,
                         log: Callable[[str], None], runs: int = 5) -> dict[str, Any]:
    """Wall time of a new process that loads the .pb and prints one prediction: the C client
    (keras2pb/runtime/c/predict.c) against ``python -c "import keras2pb; ..."``, interleaved, median
    of ``runs`` each. Empty when there is no C compiler."""
    from keras2pb.runtime.c_client import build_c_client, c_command, c_compiler

    if c_compiler() is None:
        log("no C compiler: C client not timed")
        return {"skipped": "no C compiler"}
    binary = build_c_client(folder / "predict")
    x = folder / "one_input.npy"
    np.save(x, np.random.default_rng(0).random((1, *shape), dtype=np.float32))
    name, out = side["inputs"][0]["name"], side["outputs"][0]["name"]
    commands = {
        "C client": c_command(binary, pb, {name: x}, [out]),
        "Python (keras2pb.load)": [sys.executable, "-c",
                                   "import numpy as np, keras2pb; "
                                   f"g = keras2pb.load({str(pb)!r}); "
                                   f"print(g(np.load({str(x)!r})))"]}
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    times: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(runs):
        for key, cmd in commands.items():
            t0 = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True, env=env)
            times[key].append(time.perf_counter() - t0)
    result = {k: statistics.median(v) for k, v in times.items()}
    log(f"start to prediction: C {result['C client']:.2f} s, "
        f"Python {result['Python (keras2pb.load)']:.2f} s")
    return dict(result, runs=runs)


def _freeze_by_hand(model: keras.Model, pb: Path) -> None:
    """The bare TF2 recipe (notebook 02): tf.function with a named signature, then
    convert_variables_to_constants_v2, then write. The baseline for keras2pb.freeze."""
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    specs = [tf.TensorSpec(t.shape, t.dtype, name=f"input_{i}")
             for i, t in enumerate(model.inputs)]
    fn = tf.function(lambda *xs: model(list(xs) if len(xs) > 1 else xs[0], training=False),
                     input_signature=specs)
    frozen = convert_variables_to_constants_v2(fn.get_concrete_function())
    tf.io.write_graph(frozen.graph.as_graph_def(), str(pb.parent), pb.name, as_text=False)


def _session(pb: Path, side: dict[str, Any]):
    gd = tf.compat.v1.GraphDef()
    gd.ParseFromString(pb.read_bytes())
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(gd, name="")
    sess = tf.compat.v1.Session(graph=graph)
    fetch = side["outputs"][0]["tensor"]
    feed = side["inputs"][0]["tensor"]
    return lambda x: sess.run(fetch, {feed: x})


def bench_model(name: str, model: keras.Model, big_batch: int, repeats: int, big_repeats: int,
                folder: Path, log: Callable[[str], None], timed: bool = True) -> dict[str, Any]:
    """Freeze, convert and time ``model`` on every path; return a JSON-ready dict.

    ``timed=False``: only freeze/convert times, the fresh-process load and file sizes.
    """
    shape = tuple(model.inputs[0].shape[1:])
    files = {"keras": folder / f"{name}.keras", "pb": folder / f"{name}.pb",
             "opencv_pb": folder / f"{name}.opencv.pb", "onnx": folder / f"{name}.onnx"}
    model.save(files["keras"])
    steps: dict[str, float] = {"freeze_s": float("inf"), "freeze_by_hand_s": float("inf")}
    for _ in range(2):  # interleaved, best of two: neither pays the first trace alone
        t0 = time.perf_counter()
        _freeze_by_hand(model, folder / f"{name}.by_hand.pb")
        steps["freeze_by_hand_s"] = min(steps["freeze_by_hand_s"], time.perf_counter() - t0)
        t0 = time.perf_counter()
        side = keras2pb.freeze(model, files["pb"])
        steps["freeze_s"] = min(steps["freeze_s"], time.perf_counter() - t0)
    t0 = time.perf_counter()
    keras2pb.freeze(model, files["opencv_pb"], for_opencv=True)
    steps["freeze_for_opencv_s"] = time.perf_counter() - t0
    if not missing_modules("onnx"):
        from keras2pb.runtime.onnx_export import export_onnx

        t0 = time.perf_counter()
        export_onnx(files["pb"], files["onnx"])
        steps["export_onnx_s"] = time.perf_counter() - t0
    log(f"{name}: frozen in {steps['freeze_s']:.2f} s; loading in a fresh process")
    fresh = _fresh_load(files["pb"], shape)
    sizes = {k: p.stat().st_size for k, p in files.items() if p.exists()}
    summary = {"model": name, "params": model.count_params(), "input_shape": list(shape),
               "big_batch": big_batch, "steps": steps, "fresh_process": fresh,
               "file_bytes": sizes}
    if name == "mnist_cnn":
        summary["start_to_prediction"] = _start_to_prediction(files["pb"], side, shape, folder,
                                                              log)
    if not timed:
        return dict(summary, paths={})

    graph = keras2pb.load(files["pb"])
    session_run = _session(files["pb"], side)
    spec = tf.TensorSpec((None, *shape), tf.float32)
    tf_fn = tf.function(lambda x: model(x, training=False), input_signature=[spec])
    in_name, out_name = side["inputs"][0]["name"], side["outputs"][0]["name"]
    rng = np.random.default_rng(0)
    results: dict[str, dict[str, Any]] = {}
    # Every other runtime of the registry. "tf" is timed above as the keras2pb.load rows;
    # the C client starts a process per call (start_to_prediction measures it).
    target = Target(files["pb"], graph, folder)
    target.made["onnx"] = files["onnx"]
    runners = {}
    for rt in RUNTIMES.values():
        if rt.name in ("tf", "c"):
            continue
        missing = rt.missing()
        try:
            if missing:
                raise Keras2pbError(f"not installed ({', '.join(missing)}): pip install {rt.pip}")
            runners[rt.title] = rt.prepare(target)
        except Keras2pbError as exc:
            results[rt.title] = {"skipped": str(exc)}
    reference = None
    for batch, reps, warm in ((1, repeats, 3), (big_batch, big_repeats, 1)):
        x = rng.random((batch, *shape), dtype=np.float32)
        fns: dict[str, Callable[[], Any]] = {
            "model.predict": lambda x=x: model.predict(x, verbose=0, batch_size=len(x)),
            "model(x)": lambda x=x: model(x, training=False),
            "tf.function": lambda x=x: tf_fn(x),
            BASELINE: lambda x=x: session_run(x),
            "keras2pb.load call": lambda x=x: graph(x),
            "keras2pb.load .function": lambda x=x: graph.function(x),
        }
        for title, runner in runners.items():
            if runner.time_ms is None:  # in this process: interleaved with the others
                fns[title] = lambda x=x, r=runner: r.run({in_name: x})[out_name]
        log(f"{name}: batch {batch}, {reps} calls per path")
        # batch 1: 10 rounds of blocks; big batch: every call interleaved (long calls).
        times = _timed_calls(fns, reps, rounds=10 if batch == 1 else reps, warmup=warm,
                             settle=batch == 1)
        reference = np.asarray(model(x, training=False))
        diffs = {k: float(np.max(np.abs(np.asarray(_first(fns[k]())) - reference)))
                 for k in fns}
        for path, secs in times.items():
            entry = results.setdefault(path, {})
            entry[f"batch{batch}_ms"] = statistics.median(secs) * 1e3
            entry[f"batch{batch}_calls"] = len(secs)
            entry[f"batch{batch}_max_abs_diff"] = diffs[path]
        for title, runner in runners.items():
            if runner.time_ms is None:
                continue  # timed above
            entry = results.setdefault(title, {})  # a child process times its own calls
            entry[f"batch{batch}_ms"] = runner.median_ms({in_name: x}, reps + warm)
            entry[f"batch{batch}_calls"] = reps
            got = runner.run({in_name: x})[out_name]
            entry[f"batch{batch}_max_abs_diff"] = float(np.max(np.abs(got - reference)))
    for entry in results.values():
        for batch in (1, big_batch):
            base = results[BASELINE][f"batch{batch}_ms"]
            if f"batch{batch}_ms" in entry:
                entry[f"batch{batch}_ratio"] = entry[f"batch{batch}_ms"] / base
                entry[f"batch{batch}_ms_per_image"] = entry[f"batch{batch}_ms"] / batch
    graph.close()
    return dict(summary, paths=results)


def bench_drift(name: str, n: int, folder: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """The per-node report (``verify --per-node``) against a plain ``verify_runtimes`` of the
    same runtimes on the same ``n`` inputs, for ``keras.applications.<name>(weights=None)``."""
    from keras2pb.runtime.compare import verify_runtimes
    from keras2pb.runtime.drift import per_node_drift

    keras.backend.clear_session()
    model = getattr(keras.applications, name)(weights=None)
    pb = folder / f"{name.lower()}.drift.pb"
    keras2pb.freeze(model, pb)
    runtimes = ["tf"] + [rt for rt in ("onnx", "openvino") if not missing_modules(rt)]
    x = np.random.default_rng(0).random((n, *model.inputs[0].shape[1:]), dtype=np.float32)
    log(f"{name}: plain verify of {','.join(runtimes)} on {n} inputs")
    t0 = time.perf_counter()
    verify_runtimes(model, pb, runtimes, x)
    plain = time.perf_counter() - t0
    log(f"{name}: per-node report of the same")
    t0 = time.perf_counter()
    report = per_node_drift(model, pb, runtimes, x)
    per_node = time.perf_counter() - t0
    return {"model": name, "n": n, "runtimes": runtimes, "verify_s": plain,
            "per_node_s": per_node, "nodes": len(report.pairs[0].nodes),
            "first_divergence": report.first_divergence}


def _first(y: Any) -> Any:
    if isinstance(y, dict):
        return next(iter(y.values()))
    if isinstance(y, (list, tuple)):
        return y[0]
    return y


def targets(report: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issues' targets, each a ratio against a baseline timed in the same run, with the
    measured ratio and whether it is met."""
    out = []

    def goal(target: str, ratio: float, limit: float) -> None:
        out.append({"target": target, "measured": f"{ratio:.2f}x", "met": ratio <= limit})

    for r in report:
        p, big, s = r["paths"], r["big_batch"], r["steps"]
        goal(f"{r['model']}: keras2pb.freeze <= 1.5x the bare TF2 recipe (tf.function + "
             "convert_variables_to_constants_v2 + write)",
             s["freeze_s"] / s["freeze_by_hand_s"], 1.5)
        c = r.get("start_to_prediction", {})
        if "C client" in c:
            goal(f"{r['model']}: C client, process start to prediction <= 0.2x the Python "
                 "route (python -c 'import keras2pb; ...'), i.e. >= 5x faster",
                 c["C client"] / c["Python (keras2pb.load)"], 0.2)
        if not p:
            continue
        goal(f"{r['model']}: keras2pb.load call, batch 1 <= 1.1x Session.run",
             p["keras2pb.load call"]["batch1_ms"] / p[BASELINE]["batch1_ms"], 1.1)
        best_name = min(TF_PATHS, key=lambda k: p[k][f"batch{big}_ms"])
        goal(f"{r['model']}: keras2pb.load call, batch {big} <= 1.1x best TF path "
             f"({best_name})",
             p["keras2pb.load call"][f"batch{big}_ms"] / p[best_name][f"batch{big}_ms"], 1.1)
        ov = RUNTIMES["openvino"].title
        if r["model"] == "mnist_cnn" and "batch1_ms" in p.get(ov, {}):
            goal(f"mnist_cnn: {ov}, batch 1 <= 0.5x Session.run",
                 p[ov]["batch1_ms"] / p[BASELINE]["batch1_ms"], 0.5)
        ov = RUNTIMES["openvino"].title
        if r["model"] == "mnist_cnn" and "batch1_ms" in p.get(ov, {}):
            goal(f"mnist_cnn: {ov}, batch 1 <= 0.5x Session.run",
                 p[ov]["batch1_ms"] / p[BASELINE]["batch1_ms"], 0.5)
        onnx = RUNTIMES["onnx"].title
        if r["model"] == "mnist_cnn" and "batch1_ms" in p.get(onnx, {}):
            goal(f"mnist_cnn: {onnx}, batch 1 <= 0.2x Session.run",
                 p[onnx]["batch1_ms"] / p[BASELINE]["batch1_ms"], 0.2)
    return out


def markdown(report: list[dict[str, Any]], goals: list[dict[str, Any]]) -> str:
    """The whole report as Markdown tables."""
    lines = []
    for r in report:
        big = r["big_batch"]
        lines += [f"### {r['model']} ({r['params']:,} params, input {tuple(r['input_shape'])})",
                  ""]
        if r["paths"]:
            lines += [f"| path | batch 1 (ms) | x Session.run | batch {big} (ms) | ms/image | "
                      "x Session.run | max abs diff vs Keras |",
                      "|---|---|---|---|---|---|---|"]
        for path, e in r["paths"].items():
            if "skipped" in e:
                lines.append(f"| {path} | skipped: {e['skipped']} | | | | | |")
                continue
            diff = max(e["batch1_max_abs_diff"], e[f"batch{big}_max_abs_diff"])
            lines.append(f"| {path} | {e['batch1_ms']:.3f} | {e['batch1_ratio']:.2f} | "
                         f"{e[f'batch{big}_ms']:.1f} | {e[f'batch{big}_ms_per_image']:.4f} | "
                         f"{e[f'batch{big}_ratio']:.2f} | {diff:.1g} |")
        s, f, b = r["steps"], r["fresh_process"], r["file_bytes"]
        lines += ["" if r["paths"] else "(freeze and load only)", "", "| step | seconds |",
                  "|---|---|"]
        lines += [f"| {k.removesuffix('_s').replace('_', ' ')} | {v:.2f} |" for k, v in s.items()]
        lines += [f"| fresh process: {k.removesuffix('_s').replace('_', ' ')} | {v:.2f} |"
                  for k, v in f.items()]
        c = r.get("start_to_prediction", {})
        lines += [f"| new process to first prediction: {k} (median of {c['runs']}) | {v:.2f} |"
                  for k, v in c.items() if k != "runs" and "skipped" not in c]
        lines += ["", "| file | MB |", "|---|---|"]
        lines += [f"| {k} | {v / 1e6:.2f} |" for k, v in b.items()]
        lines.append("")
    lines += ["### Targets", "", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {g['target']} | {g['measured']} | {'yes' if g['met'] else 'NO'} |"
              for g in goals]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print Markdown; write JSON. Returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__, epilog=ABOUT,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="fewer repeats (50 at batch 1), MNIST CNN only")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON file to write")
    parser.add_argument("--big-model", default="MobileNetV2",
                        choices=["MobileNetV2", "DenseNet121"],
                        help="keras.applications model timed at batch 1 and 64 (DenseNet121 at "
                             "batch 64 on every path needs > 16 GB RAM); DenseNet121 is always "
                             "frozen for the freeze-time target")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    folder = args.out.parent / "models"
    folder.mkdir(exist_ok=True)

    def log(message: str) -> None:
        print(f"[bench] {message}", file=sys.stderr, flush=True)

    keras.utils.set_random_seed(0)
    repeats = 50 if args.quick else 200
    report = [bench_model("mnist_cnn", keras2pb.mnist_cnn(), 1000, repeats,
                          3 if args.quick else 20, folder, log)]
    if not args.quick:
        for big_name in dict.fromkeys([args.big_model, "DenseNet121"]):
            keras.backend.clear_session()
            big = getattr(keras.applications, big_name)(weights=None)
            report.append(bench_model(big_name.lower(), big, 64, repeats, 5, folder, log,
                                      timed=big_name == args.big_model))
            del big
    goals = targets(report)
    drift = None
    if not args.quick:
        drift = bench_drift("ResNet50", 4, folder, log)
        ratio = drift["per_node_s"] / drift["verify_s"]
        goals.append({"target": "ResNet50: verify --per-node <= 5x a plain verify of the same "
                                f"runtimes ({','.join(drift['runtimes'])})",
                      "measured": f"{ratio:.2f}x", "met": ratio <= 5})
    meta = {"python": platform.python_version(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "cpu_count": os.cpu_count(),
            "machine": platform.machine(), "quick": args.quick,
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    for mod, key in (("cv2", "opencv"), ("onnxruntime", "onnxruntime"), ("tf2onnx", "tf2onnx"),
                     ("openvino", "openvino")):
        try:
            meta[key] = __import__(mod).__version__
        except ImportError:
            meta[key] = None
    atomic_write_text(args.out, json.dumps({"meta": meta, "models": report, "drift": drift,
                                            "targets": goals},
                                           indent=2) + "\n")
    print(markdown(report, goals))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
