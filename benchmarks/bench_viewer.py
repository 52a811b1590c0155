"""Time the graph viewer: page build, HTML size, first paint in Chromium, TensorBoard start.

Run from the repository root:  .venv/bin/python benchmarks/bench_viewer.py [--docs]
Prints a Markdown table and writes build/benchmarks/viewer.json; screenshots go to
build/screenshots/. ``--docs`` also refreshes docs/side_by_side.png (the README's picture).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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


def graph_pair(model, folder: Path, name: str) -> tuple[Path, Path]:
    """Write the model's training graph and frozen graph as .pb files; return their paths."""
    from keras2pb.freezing import freeze
    from keras2pb.traingraph import training_graph

    train_pb, frozen_pb = folder / f"{name}_train.pb", folder / f"{name}.pb"
    train_pb.write_bytes(training_graph(model).SerializeToString())
    freeze(model, frozen_pb)
    return train_pb, frozen_pb


# Click-open the collapsed scope of the left pane that shows the most boxes once open (within
# the layout cap); returns [scope, boxes shown after, milliseconds to lay out and draw].
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
  return [p.scopeName(best), ok ? p.nBoxes : 'refused', Math.round(performance.now() - t)];
}"""


def first_paint(browser, html_path: Path, screenshot: Path | None, viewport=(1500, 800),
                runs: int = 3) -> dict:
    """Load the page ``runs`` times; return median wall and in-page first-paint times (ms)."""
    walls, inpage, layouts, expands = [], [], [], []
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
        layouts.append(page.evaluate("() => __k2pb.panes.map(p => Math.round(p.layoutMs))"))
        if k == 0 and screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot))
        expands.append(page.evaluate(EXPAND_BIGGEST))
        if outside:
            raise SystemExit(f"the page made requests: {outside[:3]}")
        page.close()
    return {"first_paint_wall_ms": round(statistics.median(walls)),
            "first_paint_in_page_ms": round(statistics.median(inpage)),
            "layout_ms_per_pane": layouts[0],
            "expand_biggest": expands[0]}


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
    args = parser.parse_args()

    import keras

    from keras2pb.fileio import atomic_write_text
    from keras2pb.models import mnist_cnn
    from keras2pb.viewer import write_html

    shots = REPO / "build" / "screenshots"
    results: dict = {"machine": f"{os.cpu_count()} CPU cores", "cases": {}}
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        tmp = Path(tmp)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        cases = [("MNIST CNN", lambda: mnist_cnn(), "mnist"),
                 ("DenseNet121", lambda: keras.applications.DenseNet121(weights=None),
                  "densenet121")]
        for label, make, name in cases:
            train_pb, frozen_pb = graph_pair(make(), tmp, name)
            t0 = time.perf_counter()
            html_path = write_html([str(train_pb), str(frozen_pb)], str(tmp / f"{name}.html"),
                                   titles=["training graph", "frozen graph"])
            build_ms = (time.perf_counter() - t0) * 1000
            row = {"page_build_ms": round(build_ms),
                   "html_bytes": html_path.stat().st_size,
                   "frozen_pb_bytes": frozen_pb.stat().st_size}
            row.update(first_paint(browser, html_path, shots / f"bench_{name}.png",
                                   runs=args.runs))
            if name == "mnist":
                row.update(tensorboard_start(frozen_pb, runs=args.runs))
                if args.docs:
                    docs = REPO / "docs" / "side_by_side.png"
                    docs.parent.mkdir(exist_ok=True)
                    first_paint(browser, html_path, docs, viewport=(1280, 760), runs=1)
            results["cases"][label] = row
        browser.close()

    cols = ["page_build_ms", "html_bytes", "first_paint_wall_ms", "first_paint_in_page_ms",
            "layout_ms_per_pane", "expand_biggest", "tensorboard_start_ms",
            "tensorboard_first_answer_ms"]
    print("| pair | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for label, row in results["cases"].items():
        print(f"| {label} | " + " | ".join(str(row.get(c, "")) for c in cols) + " |")
    out = REPO / "build" / "benchmarks" / "viewer.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {out.relative_to(REPO)}; screenshots in {shots.relative_to(REPO)}/")


if __name__ == "__main__":
    main()
