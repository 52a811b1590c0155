"""Time the comparison viewer on the MNIST CNN and ResNet152 (weights=None, 64 px), each
measure as a ratio to a baseline timed in the same run (the 2 cores are shared and noisy).

Issue 12's aims, for ResNet152's three stages on 2 cores: ``keras2pb show`` end to end in
<= 6 s, the page ready in Chromium in <= 1 s, the largest box opened in <= 200 ms. Absolute
times swing several-fold with the other sessions' load, so each target here is a ratio to a
baseline of the same kind of work, timed in the same run, interleaved with the measure:

* show: ``python -m keras2pb show A B C -o page.html`` in a fresh process (as a user runs
  it), against a fresh ``python -c`` that only reads the three .pb files and parses them with
  protobuf (TensorBoard's GraphDef, the one ``show`` uses): the work no viewer can skip.
* ready: the time from navigation until the page is laid out and drawn (``__k2pb.drawnMs``),
  against the same page with its two scripts made inert (``type="text/plain"``: the same
  bytes to load and parse, nothing run), timed the same way at the end of its body.
* open: opening the largest closed box of the left pane (with linked panes, its namesake in
  the right pane too), clicked the moment the page is drawn and before the page's idle
  warm-up (``#k2-cold``: the worst case), against a fixed reference of JavaScript and DOM
  work in the same page (sort 100,000 numbers; make, measure and drop 1,000 SVG boxes with
  text), timed before and after the click. The opening after the warm-up (what a person
  clicking a moment later gets) is reported too.
* change: opening a change from the navigator (a click on its row: its box opens and is
  framed in both panes, its nodes marked; the page records ``__k2pb.openChangeMs``), the
  change whose box is the largest to open, on a fresh cold page, against the same reference.
  Its limit is the open-box limit (issue 24: no slower than opening a box).

Thresholds (RATIO_LIMITS) are the aims divided by the baselines measured when the machine
was as quiet as it gets (BASELINES_QUIET: the run and its load average are named there), so
a ratio under its limit means the aim would be met on that quiet machine. The absolute
times, the page size and the load average are printed too.

Run from the repository root:  .venv/bin/python benchmarks/bench_viewer.py [--docs]
Prints a Markdown table and writes build/benchmarks/viewer.json; screenshots go to
build/screenshots/. ``--docs`` also refreshes docs/side_by_side.png (the README's picture).
``--pb-cache DIR`` keeps the generated .pb files in DIR (and reuses them). ``--baselines``
times only the three baselines on ResNet152 (medians of ``--runs``), to re-derive
BASELINES_QUIET on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
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

#: Issue 12's absolute aims (ResNet152, 2 cores).
AIMS = {"show_s": 6.0, "ready_ms": 1000, "open_largest_ms": 200}
#: The baselines on the quietest machine we had, 2026-11-26 on 2 cores shared with four other
#: sessions (never quiet: 1-minute load average 3.6 to 5.2), each the smallest median seen in
#: six ``--baselines --runs 3`` (03:59 to 04:09 UTC) and three full runs (04:10 to 04:12):
#: parse 0.33 s (full run, load 3.6), static page 99 ms (full run, load 4.6), reference 43 ms
#: (``--baselines``, load 4.6). A quieter machine gives smaller baselines, hence looser
#: limits: these limits are on the strict side. See the module docstring for each baseline.
BASELINES_QUIET = {"parse_s": 0.33, "static_page_ms": 99, "reference_ms": 43}
#: Limits of the ratios: aim / quiet baseline.
RATIO_LIMITS = {
    "show": round(AIMS["show_s"] / BASELINES_QUIET["parse_s"], 1),
    "ready": round(AIMS["ready_ms"] / BASELINES_QUIET["static_page_ms"], 1),
    "open": round(AIMS["open_largest_ms"] / BASELINES_QUIET["reference_ms"], 1),
}
RATIO_LIMITS["change"] = RATIO_LIMITS["open"]  # a change opens no slower than a box
STAGES = ["training step", "inference trace", "frozen graph"]


def stage_files(model, folder: Path, name: str) -> list[Path]:
    """Write the model's three stages as .pb files; return their paths."""
    from keras2pb.freezing.freeze import freeze, inference_graph
    from keras2pb.freezing.training_step import training_graph

    paths = [folder / f"{name}_train.pb", folder / f"{name}_inference.pb", folder / f"{name}.pb"]
    paths[0].write_bytes(training_graph(model).SerializeToString())
    paths[1].write_bytes(inference_graph(model).SerializeToString())
    freeze(model, paths[2])
    return paths


PARSE_ONLY = """import sys
from tensorboard.compat.proto.graph_pb2 import GraphDef
for p in sys.argv[1:]:
    with open(p, "rb") as f:
        GraphDef().ParseFromString(f.read())
"""


def _timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of a fresh process running ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=REPO, stdout=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": str(REPO)})
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def show_end_to_end(paths: list[Path], html: Path, runs: int) -> dict:
    """Median wall and CPU seconds of ``keras2pb show`` and of the parse-only baseline, run
    alternately ``runs`` times each (fresh processes)."""
    show, base = [], []
    for _ in range(runs):
        base.append(_timed([sys.executable, "-c", PARSE_ONLY, *map(str, paths)]))
        show.append(_timed([sys.executable, "-m", "keras2pb", "show", *map(str, paths), "-o",
                            str(html), "--titles", *STAGES]))
    med = {k: statistics.median(x[j] for x in runs_)
           for k, runs_, j in [("show_s", show, 0), ("show_cpu_s", show, 1),
                               ("parse_s", base, 0), ("parse_cpu_s", base, 1)]}
    return {k: round(v, 2) for k, v in med.items()}


def static_twin(page: Path, out: Path) -> Path:
    """Write ``page`` with its scripts made inert (same bytes to load, nothing run) and a
    probe at the end of its body that records when the document was parsed."""
    text = page.read_text(encoding="utf-8")
    nonce = re.search(r'<script nonce="([^"]+)">', text).group(1)
    inert = text.replace(f'<script nonce="{nonce}">', '<script type="text/plain">')
    probe = f'<script nonce="{nonce}">window.__staticMs = performance.now();</script>'
    out.write_text(inert.replace("</body>", probe + "</body>"), encoding="utf-8")
    return out


# Fixed JavaScript and DOM work, the yardstick of the box opening (same page, same moment).
REFERENCE = """() => {
  const t = performance.now();
  let x = 12345;
  const a = new Float64Array(100000).map(() => (x = (x * 1103515245 + 12345) % 2147483648));
  a.sort();
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('style', 'position:absolute;left:-9999px;width:800px;height:800px');
  document.body.appendChild(svg);
  let w = 0;
  for (let k = 0; k < 1000; k++) {
    const g = document.createElementNS(ns, 'g');
    const r = document.createElementNS(ns, 'rect');
    r.setAttribute('x', k % 40 * 20); r.setAttribute('y', (k / 40 | 0) * 30);
    r.setAttribute('width', 18); r.setAttribute('height', 28);
    const tx = document.createElementNS(ns, 'text');
    tx.textContent = 'box ' + k + ' ' + a[k * 90].toFixed(0);
    g.appendChild(r); g.appendChild(tx); svg.appendChild(g);
  }
  w = svg.lastChild.getBBox().width;
  svg.remove();
  return w > 0 ? performance.now() - t : -1;
}"""

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
  return [p.scopeName(best), ok ? __k2pb.panes.map(q => q.nBoxes) : 'refused', ms];
}"""


# Click the navigator's row of the change whose box is the largest to open (its scope's box
# count; an op's box counts 0); returns [label, nodes marked, __k2pb.openChangeMs].
OPEN_CHANGE = """() => {
  const st = __k2pb;
  let best = -1, cost = -1;
  st.changes.forEach((g, k) => {
    const c = g.box[0] === 's' ? st.panes[g.pane].sc.nb[+g.box.slice(1)] : 0;
    if (c > cost) { best = k; cost = c; }
  });
  if (best < 0) return null;
  const row = document.querySelector('#k2-changes .k2-change[data-k="' + best + '"]');
  st.openChangeMs = undefined;
  row.click();
  const marked = document.querySelectorAll('.k2-match').length;
  return [st.changes[best].label, marked, st.openChangeMs];
}"""


def _load(browser, url: str, until: str, viewport=(1500, 800)):
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(("file:", "about:", "data:")) else None)
    page.goto(url)
    page.wait_for_function(until, timeout=300_000)
    if outside:
        raise SystemExit(f"the page made requests: {outside[:3]}")
    return page


def browser_times(browser, html_path: Path, static: Path, screenshot: Path | None,
                  runs: int = 3) -> dict:
    """Ready, static-page, box-opening and reference times (ms), medians of ``runs`` rounds
    that each load the static twin, the page cold (open at once) and warm (open after the
    page's idle warm-up)."""
    ready, statics, cold, warm, refs, opened, layouts = [], [], [], [], [], None, None
    changes, change = [], None
    url = html_path.resolve().as_uri()
    for k in range(runs):
        page = _load(browser, static.resolve().as_uri(), "window.__staticMs")
        statics.append(page.evaluate("() => __staticMs"))
        page.close()

        page = _load(browser, url + "#k2-cold", "window.__k2pb && window.__k2pb.ready")
        ready.append(page.evaluate("() => __k2pb.drawnMs"))
        layouts = page.evaluate("() => __k2pb.panes.map(p => Math.round(p.layoutMs))")
        if k == 0 and screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot))
        refs.append(page.evaluate(REFERENCE))
        got = page.evaluate(EXPAND_BIGGEST)
        refs.append(page.evaluate(REFERENCE))
        page.close()
        if got:
            opened = got[:2]
            cold.append(got[2])

        page = _load(browser, url, "window.__k2pb && window.__k2pb.warmMs !== undefined")
        got = page.evaluate(EXPAND_BIGGEST)
        page.close()
        if got:
            warm.append(got[2])

        page = _load(browser, url + "#k2-cold", "window.__k2pb && window.__k2pb.ready")
        refs.append(page.evaluate(REFERENCE))
        got = page.evaluate(OPEN_CHANGE)
        refs.append(page.evaluate(REFERENCE))
        page.close()
        if got and got[2] is not None:
            change = got[:2]
            changes.append(got[2])
    if min(refs) < 0:
        raise SystemExit("the reference work did not lay out")

    def med(xs):
        return round(statistics.median(xs)) if xs else None

    return {"ready_ms": med(ready), "static_page_ms": med(statics),
            "layout_ms_per_pane": layouts, "open_largest": opened,
            "open_largest_ms": med(cold), "open_largest_warm_ms": med(warm),
            "open_change": change, "open_change_ms": med(changes), "reference_ms": med(refs)}


def tensorboard_start(graph_pb: Path, runs: int = 3) -> dict:
    """Median time to write the graph and start a graphs-only TensorBoard, then to answer."""
    import urllib.request

    from keras2pb.graph.reading import read_graph_def
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


def ratios(row: dict, judged: bool) -> dict:
    """The three ratios of a row and, when ``judged`` (the aims are for ResNet152 only),
    their limits and whether each is within."""
    out = {}
    for key, num, den in [("show", "show_s", "parse_s"), ("ready", "ready_ms", "static_page_ms"),
                          ("open", "open_largest_ms", "reference_ms"),
                          ("change", "open_change_ms", "reference_ms")]:
        if row.get(num) is None or not row.get(den):
            continue
        r = row[num] / row[den]
        out[key] = {"ratio": round(r, 1)}
        if judged:
            out[key].update(limit=RATIO_LIMITS[key], ok=r <= RATIO_LIMITS[key])
    return out


def _stage_paths(cache: Path | None, tmp: Path, name: str, make) -> list[Path]:
    folder = cache or tmp
    paths = [folder / f"{name}_train.pb", folder / f"{name}_inference.pb", folder / f"{name}.pb"]
    if cache is not None and all(p.exists() for p in paths):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    return stage_files(make(), folder, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", action="store_true", help="refresh docs/side_by_side.png")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mnist-only", action="store_true", help="skip ResNet152")
    parser.add_argument("--pb-cache", type=Path, help="keep (and reuse) the .pb files here")
    parser.add_argument("--baselines", action="store_true",
                        help="time only the baselines (ResNet152), for BASELINES_QUIET")
    args = parser.parse_args()

    from keras2pb.fileio import atomic_write_text

    def mnist():
        from keras2pb.tutorial.models import mnist_cnn

        return mnist_cnn()

    def resnet():
        import keras

        return keras.applications.ResNet152(weights=None, input_shape=(64, 64, 3))

    shots = REPO / "build" / "screenshots"
    results: dict = {"machine": f"{os.cpu_count()} CPU cores", "aims": AIMS,
                     "baselines_quiet": BASELINES_QUIET, "ratio_limits": RATIO_LIMITS,
                     "cases": {}}
    from playwright.sync_api import sync_playwright

    if args.baselines:
        return print_baselines(args, resnet)
    cases = [("MNIST CNN", mnist, "mnist")]
    if not args.mnist_only:
        cases.append(("ResNet152 (64 px)", resnet, "resnet152"))
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        tmp = Path(tmp)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for label, make, name in cases:
            paths = _stage_paths(args.pb_cache, tmp, name, make)
            html_path = tmp / f"{name}.html"
            load0 = os.getloadavg()[0]
            row = {"nodes": [len(_nodes(p)) for p in paths]}
            row.update(show_end_to_end(paths, html_path, args.runs))
            row["html_bytes"] = html_path.stat().st_size
            row["frozen_pb_bytes"] = paths[2].stat().st_size
            static = static_twin(html_path, tmp / f"{name}_static.html")
            row.update(browser_times(browser, html_path, static, shots / f"bench_{name}.png",
                                     runs=args.runs))
            row["load_avg"] = [round(load0, 1), round(os.getloadavg()[0], 1)]
            row["ratios"] = ratios(row, judged=name == "resnet152")
            if name == "mnist":
                row.update(tensorboard_start(paths[2], runs=args.runs))
                if args.docs:
                    docs = REPO / "docs" / "side_by_side.png"
                    docs.parent.mkdir(exist_ok=True)
                    page = _load(browser, html_path.resolve().as_uri(),
                                 "window.__k2pb && window.__k2pb.firstPaintMs",
                                 viewport=(1280, 720))
                    page.screenshot(path=str(docs))
                    page.close()
            results["cases"][label] = row
        browser.close()

    print_tables(results)
    out = REPO / "build" / "benchmarks" / "viewer.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(REPO)}; screenshots in build/screenshots/")


def print_baselines(args: argparse.Namespace, make) -> None:
    """Time the three baselines alone (ResNet152); print their medians and the load."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        tmp = Path(tmp)
        paths = _stage_paths(args.pb_cache, tmp, "resnet152", make)
        html_path = tmp / "page.html"
        subprocess.run([sys.executable, "-m", "keras2pb", "show", *map(str, paths), "-o",
                        str(html_path), "--titles", *STAGES], check=True, cwd=REPO,
                       stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(REPO)})
        static = static_twin(html_path, tmp / "static.html")
        load0 = os.getloadavg()[0]
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        parse, statics, refs = [], [], []
        for _ in range(args.runs):
            parse.append(_timed([sys.executable, "-c", PARSE_ONLY, *map(str, paths)])[0])
            page = _load(browser, static.resolve().as_uri(), "window.__staticMs")
            statics.append(page.evaluate("() => __staticMs"))
            page.close()
            page = _load(browser, html_path.resolve().as_uri() + "#k2-cold",
                         "window.__k2pb && window.__k2pb.ready")
            refs.append(page.evaluate(REFERENCE))
            page.close()
        browser.close()
    print(json.dumps({"parse_s": round(statistics.median(parse), 2),
                      "static_page_ms": round(statistics.median(statics)),
                      "reference_ms": round(statistics.median(refs)),
                      "load_avg": [round(load0, 1), round(os.getloadavg()[0], 1)]}))


def print_tables(results: dict) -> None:
    """The absolute times, then the ratios against their limits, as Markdown tables."""
    cols = ["nodes", "load_avg", "html_bytes", "show_s", "show_cpu_s", "parse_s", "ready_ms",
            "static_page_ms", "open_largest", "open_largest_ms", "open_largest_warm_ms",
            "open_change", "open_change_ms", "reference_ms", "layout_ms_per_pane",
            "tensorboard_start_ms", "tensorboard_first_answer_ms"]
    print("| case | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for label, row in results["cases"].items():
        print(f"| {label} | " + " | ".join(str(row.get(c, "")) for c in cols) + " |")
    print("\n| case | measure / baseline | ratio | limit (aim / quiet baseline) | within |")
    print("|---|---|---|---|---|")
    names = {"show": "keras2pb show / parse the .pb files",
             "ready": "page ready / static page of the same bytes",
             "open": "open largest box (cold) / reference JS+DOM work",
             "change": "open a change from the navigator (cold) / reference JS+DOM work"}
    for label, row in results["cases"].items():
        for key, r in row["ratios"].items():
            ok = ("yes" if r["ok"] else "NO") if "ok" in r else "(aims are for ResNet152)"
            print(f"| {label} | {names[key]} | {r['ratio']} | {r.get('limit', '')} | {ok} |")
    a = results["aims"]
    print(f"\naims (ResNet152, 2 cores, quiet): keras2pb show <= {a['show_s']} s, ready <= "
          f"{a['ready_ms']} ms, open largest box <= {a['open_largest_ms']} ms; quiet "
          f"baselines {results['baselines_quiet']}")


def _nodes(path: Path) -> list:
    from keras2pb.graph.reading import read_graph_def

    return list(read_graph_def(path, light=True).node)


if __name__ == "__main__":
    main()
