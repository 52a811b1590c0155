"""Time the comparison viewer on the MNIST CNN and ResNet152 (weights=None, 64 px).

For each model's three stages (training step, inference trace, frozen graph) it reports
``keras2pb show`` end to end (a fresh process, as a user runs it), the page size, the time
until Chromium has the page drawn ("ready"), and the time to open the largest box (with
linked panes: in both panes). Aims (issue 12, 2 cores): show <= 6 s, ready <= 1 s,
largest box <= 200 ms for ResNet152. Plus TensorBoard's start for the MNIST graph.

Run from the repository root:  .venv/bin/python benchmarks/bench_viewer.py [--docs]
Prints a Markdown table and writes build/benchmarks/viewer.json; screenshots go to
build/screenshots/. ``--docs`` also refreshes docs/side_by_side.png (the README's picture).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


AIMS = {"show_s": 6.0, "ready_ms": 1000, "open_largest_ms": 200}
STAGES = ["training step", "inference trace", "frozen graph"]


def stage_files(model, folder: Path, name: str) -> list[Path]:
    """Write the model's three stages as .pb files; return their paths."""
    from keras2pb.freezing import freeze, inference_graph
    from keras2pb.training_step import training_graph

    paths = [folder / f"{name}_train.pb", folder / f"{name}_inference.pb", folder / f"{name}.pb"]
    paths[0].write_bytes(training_graph(model).SerializeToString())
    paths[1].write_bytes(inference_graph(model).SerializeToString())
    freeze(model, paths[2])
    return paths


def show_end_to_end(paths: list[Path], html: Path, runs: int) -> tuple[float, float]:
    """Median wall and CPU (user + system) seconds of ``python -m keras2pb show A B C -o
    page.html`` in a fresh process. On a shared, busy machine the CPU time is what the wall
    time would be on an idle one (the command is single-threaded)."""
    times, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "keras2pb", "show", *map(str, paths), "-o",
                        str(html), "--titles", *STAGES], check=True, cwd=REPO,
                       stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(REPO)})
        times.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times), statistics.median(cpus)


# Click-open the closed box of the left pane that shows the most boxes once open (with linked
# panes the other pane opens its namesake too); returns [scope, boxes shown after (both
# panes), milliseconds to lay out and draw both].
EXPAND_BIGGEST = """() => {
  const p = __k2pb.panes[0];
  let best = -1;
  document.querySelectorAll('.k2-pane[data-pane="0"] .k2-scope').forEach(el => {
    const s = +el.getAttribute('data-id').slice(1);
    if (best < 0 || p.sc.nb[s] > p.sc.nb[best]) best = s;
  });
  if (best < 0) return null;
  const t = performance.now();
  const ok = p.expand(best);
  const ms = performance.now() - t;
  return [p.scopeName(best), ok ? __k2pb.panes.map(q => q.nBoxes) : 'refused', Math.round(ms)];
}"""


def first_paint(browser, html_path: Path, screenshot: Path | None, viewport=(1500, 800),
                runs: int = 3) -> dict:
    """Load the page ``runs`` times; return median wall and in-page first-paint times (ms)."""
    walls, inpage, drawn, layouts, expands = [], [], [], [], []
    for k in range(runs):
        page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        outside = []
        page.on("request", lambda r, out=outside: out.append(r.url)
                if not r.url.startswith(("file:", "about:", "data:")) else None)
        t0 = time.perf_counter()
        page.goto(html_path.resolve().as_uri())
        page.wait_for_function("window.__k2pb && window.__k2pb.firstPaintMs", timeout=300_000)
        walls.append((time.perf_counter() - t0) * 1000)
        inpage.append(page.evaluate("() => __k2pb.firstPaintMs"))
        drawn.append(page.evaluate("() => __k2pb.drawnMs"))
        layouts.append(page.evaluate("() => __k2pb.panes.map(p => Math.round(p.layoutMs))"))
        if k == 0 and screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot))
        expands.append(page.evaluate(EXPAND_BIGGEST))
        if outside:
            raise SystemExit(f"the page made requests: {outside[:3]}")
        page.close()
    opened = [e for e in expands if e]
    return {"ready_ms": round(statistics.median(drawn)),
            "first_paint_wall_ms": round(statistics.median(walls)),
            "first_paint_in_page_ms": round(statistics.median(inpage)),
            "layout_ms_per_pane": layouts[0],
            "open_largest": opened[0][:2] if opened else None,
            "open_largest_ms": (round(statistics.median(e[2] for e in opened))
                                if opened else None)}


def tensorboard_start(graph_pb: Path, runs: int = 3) -> dict:
    """Median time to write the graph and start a graphs-only TensorBoard, then to answer."""
    import urllib.request

    from keras2pb.graphio import read_graph_def
    from keras2pb.viewer import tbserver

    gd = read_graph_def(graph_pb)
    starts, ready = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        srv = tbserver.server_for(gd, "frozen")
        starts.append((time.perf_counter() - t0) * 1000)
        with urllib.request.urlopen(srv.url + "data/plugin/graphs/info", timeout=30) as r:
            r.read()
        ready.append((time.perf_counter() - t0) * 1000)
        tbserver.stop_all()
    return {"tensorboard_start_ms": round(statistics.median(starts)),
            "tensorboard_first_answer_ms": round(statistics.median(ready))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", action="store_true", help="refresh docs/side_by_side.png")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mnist-only", action="store_true", help="skip ResNet152")
    args = parser.parse_args()

    import keras

    from keras2pb.fileio import atomic_write_text
    from keras2pb.models import mnist_cnn

    shots = REPO / "build" / "screenshots"
    results: dict = {"machine": f"{os.cpu_count()} CPU cores", "aims": AIMS, "cases": {}}
    from playwright.sync_api import sync_playwright

    cases = [("MNIST CNN", lambda: mnist_cnn(), "mnist")]
    if not args.mnist_only:
        cases.append(("ResNet152 (64 px)", lambda: keras.applications.ResNet152(
            weights=None, input_shape=(64, 64, 3)), "resnet152"))
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        tmp = Path(tmp)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for label, make, name in cases:
            paths = stage_files(make(), tmp, name)
            html_path = tmp / f"{name}.html"
            wall, cpu = show_end_to_end(paths, html_path, args.runs)
            row = {"nodes": [len(_nodes(p)) for p in paths], "show_s": round(wall, 2),
                   "show_cpu_s": round(cpu, 2), "load_avg": round(os.getloadavg()[0], 1),
                   "html_bytes": html_path.stat().st_size,
                   "frozen_pb_bytes": paths[2].stat().st_size}
            row.update(first_paint(browser, html_path, shots / f"bench_{name}.png",
                                   runs=args.runs))
            if name == "mnist":
                row.update(tensorboard_start(paths[2], runs=args.runs))
                if args.docs:
                    docs = REPO / "docs" / "side_by_side.png"
                    docs.parent.mkdir(exist_ok=True)
                    first_paint(browser, html_path, docs, viewport=(1280, 720), runs=1)
            results["cases"][label] = row
        browser.close()

    cols = ["nodes", "show_s", "show_cpu_s", "load_avg", "html_bytes", "ready_ms",
            "first_paint_wall_ms", "open_largest", "open_largest_ms", "layout_ms_per_pane",
            "tensorboard_start_ms", "tensorboard_first_answer_ms"]
    print("| case | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for label, row in results["cases"].items():
        print(f"| {label} | " + " | ".join(str(row.get(c, "")) for c in cols) + " |")
    print(f"\naims: keras2pb show <= {AIMS['show_s']} s, ready <= {AIMS['ready_ms']} ms, "
          f"open largest box <= {AIMS['open_largest_ms']} ms (ResNet152, 2 cores)")
    out = REPO / "build" / "benchmarks" / "viewer.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(REPO)}; screenshots in {shots.relative_to(REPO)}/")


def _nodes(path: Path) -> list:
    from keras2pb.graphio import read_graph_def

    return list(read_graph_def(path, light=True).node)


if __name__ == "__main__":
    main()
