"""The tutorial end to end in a real browser: JupyterLab runs every notebook through its own UI."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

from keras2pb import tutorial
from tests.helpers.lab_server import BrowserThread, LabServer, make_root, start_lab

pytestmark = [pytest.mark.browser, pytest.mark.jupyterlab]

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "build" / "screenshots" / "jupyterlab"
NOTEBOOKS = tutorial.notebook_paths(REPO / "notebooks")
#: Upper bound for one notebook's Run All (a safety net against a hung kernel, not a timing test).
RUN_TIMEOUT_S = 900
VIEWPORT = {"width": 1400, "height": 900}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]

# --- what the page shows, read in the browser -----------------------------------------------

#: Per cell of the open notebook: kind, input prompt ("[3]:", "[*]:", "[ ]:"), error outputs,
#: images. JupyterLab renders an error output with the stderr renderer (same mime type as a
#: stream on stderr, where TensorFlow logs), so errors are told apart by IPython's traceback.
CELLS_JS = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return null;
  const tb = /Traceback \\(most recent call last\\)|^\\s*Cell In\\[\\d+\\], line \\d+/m;
  const cells = Array.from(panel.querySelectorAll('.jp-Cell')).map(c => {
    const prompt = c.querySelector('.jp-InputPrompt');
    const stderr = c.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
    return {
      kind: c.classList.contains('jp-CodeCell') ? 'code'
        : c.classList.contains('jp-MarkdownCell') ? 'markdown' : 'raw',
      prompt: prompt ? prompt.textContent.trim() : '',
      errors: Array.from(stderr).map(e => e.innerText).filter(t => tb.test(t)),
      headings: Array.from(c.querySelectorAll('.jp-RenderedMarkdown h1, .jp-RenderedMarkdown h2'))
        .map(h => h.textContent.replace(/\\u00b6$/, '').trim()),
      images: Array.from(c.querySelectorAll(
        '.jp-OutputArea-output[data-mime-type="image/png"] img')).map(
        i => ({w: i.naturalWidth, h: i.naturalHeight, complete: i.complete})),
      texts: Array.from(c.querySelectorAll('.jp-OutputArea-output')).filter(
        o => !o.querySelector('iframe, img')).map(o => o.innerText),
    };
  });
  const ind = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  return {status: ind ? ind.getAttribute('data-status') : null, cells: cells,
          dialogs: document.querySelectorAll('.jp-Dialog').length};
}"""

#: True when Run All has finished: the kernel is idle, and no cell runs or waits ("[*]"; Run All
#: queues every cell at once) while some cell already has an execution count.
DONE_JS = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return false;
  const ind = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  if (!ind || ind.getAttribute('data-status') !== 'idle') return false;
  const prompts = Array.from(panel.querySelectorAll('.jp-Cell .jp-InputPrompt')).map(
    p => p.textContent.trim());
  return !prompts.includes('[*]:') && prompts.some(p => /^\\[\\d+\\]:$/.test(p));
}"""

#: The graph viewer inside one srcdoc iframe: panes with their drawn nodes, legend, summary.
VIEWER_JS = """() => ({
  ready: !!(window.__k2pb && window.__k2pb.ready),
  errors: window.__k2pb ? window.__k2pb.errors : ['no viewer'],
  panes: Array.from(document.querySelectorAll('.k2-pane')).map(p => ({
    title: (p.querySelector('.k2-title') || {}).textContent,
    boxes: p.querySelectorAll('svg .k2-box').length,
    edges: p.querySelectorAll('svg .k2-edge').length,
    removed: p.querySelectorAll('.k2-removed, .k2-has-removed').length,
  })),
  legend: Array.from(document.querySelectorAll('.k2-legend-item')).map(e => e.textContent),
  summary: (document.getElementById('k2-summary') || {}).textContent || '',
})"""


def _code_cells_to_run(path: Path) -> list[int]:
    """Indices (in the notebook's cell list) of the code cells Run All executes (non-empty)."""
    nb = nbformat.read(path, as_version=4)
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]


def _outside(requests: list[str]) -> list[str]:
    """Requests that went anywhere but 127.0.0.1 (any port), or inline data."""
    bad = []
    for url in requests:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            continue
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname == "127.0.0.1":
            continue
        bad.append(url)
    return bad


def _section(state: dict, heading: str) -> list[dict]:
    """The cells after the markdown cell whose h1/h2 contains ``heading``, up to the next one."""
    cells = state["cells"]
    for k, cell in enumerate(cells):
        if any(heading in h for h in cell["headings"]):
            out = []
            for c in cells[k + 1:]:
                if c["headings"]:
                    break
                out.append({**c, "index": cells.index(c)})
            return out
    raise AssertionError(f"no markdown heading containing {heading!r} in the notebook")


def _section_images(state: dict, heading: str) -> list[dict]:
    return [img for c in _section(state, heading) for img in c["images"]]


def _drawn(img: dict) -> bool:
    return img["complete"] and img["w"] > 100 and img["h"] > 50


# --- the server, one for the whole module ------------------------------------------------------

@pytest.fixture(scope="module")
def chromium() -> BrowserThread:
    """Headless Chromium (Playwright, /usr/bin/chromium) in its own thread; skips if absent."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium): browser test skipped")
    pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    thread = BrowserThread(CHROMIUM, CHROMIUM_ARGS)
    yield thread
    thread.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory, chromium) -> LabServer:
    """A JupyterLab server on 127.0.0.1 serving a temp copy of notebooks/, in quick mode.

    Kernels inherit ``KERAS2PB_QUICK=1`` and a temp ``KERAS2PB_MODELS_DIR``; on teardown every
    kernel is shut down through the server, the server is stopped, and no process it started
    may be left running.
    """
    pytest.importorskip("jupyterlab", reason="jupyterlab not installed")
    pytest.importorskip("psutil", reason="psutil not installed")
    tmp = tmp_path_factory.mktemp("jupyterlab")
    root = make_root(tmp / "root", REPO)
    # TF_CPP_MIN_LOG_LEVEL=0 here (TensorFlow would log): only the kernel's own environment,
    # set by scripts/setup.sh, keeps TensorFlow's C++ log lines out of the outputs.
    env = {tutorial.QUICK_ENV: "1", tutorial.MODELS_ENV: str(tmp / "models"),
           "TF_CPP_MIN_LOG_LEVEL": "0"}
    server = start_lab(root, tmp / "server", env)
    yield server
    left = server.stop()
    assert left == [], f"processes started by jupyter lab still running: {left}"


def _open(browser, url: str):
    """A fresh browser context and page at ``url``, recording requests and page errors."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    seen: dict[str, list[str]] = {"requests": [], "errors": []}
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("websocket", lambda ws: seen["requests"].append(ws.url))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.goto(url)
    return context, page, seen


def _menu(page, menu: str, command: str) -> None:
    """Click ``menu`` in JupyterLab's menu bar, then its item that runs ``command``."""
    page.locator(".lm-MenuBar-item", has_text=menu).first.click()
    page.locator(f'.lm-Menu-item[data-command="{command}"]').click()


def _shutdown_kernels_of(lab: LabServer, nb_path: str) -> None:
    lab.remember_descendants()
    for session in lab.api("GET", "/api/sessions"):
        if session["path"] == nb_path:
            lab.api("DELETE", f"/api/kernels/{session['kernel']['id']}", timeout=60)


# --- notebook-specific checks: return the element to show in the screenshot ------------------

def _check_01(page, state: dict):
    for heading in ("Look at the digits", "Learning curves"):
        images = _section_images(state, heading)
        assert images and all(map(_drawn, images)), f"no figure under {heading!r}: {images}"
    return page.locator('.jp-OutputArea-output[data-mime-type="image/png"] img').nth(1)


def _check_03(page, state: dict):
    section = _section(state, "Where is it unsure?")
    with_image = [c for c in section if c["images"]]
    assert with_image, "the grid of the 20 least confident digits is not shown"
    assert all(map(_drawn, with_image[0]["images"])), with_image[0]["images"]
    return page.locator(".jp-Cell").nth(with_image[0]["index"]).locator("img").first


def _check_04(page, state: dict):
    frames = page.locator('.jp-OutputArea-output iframe[srcdoc]')
    assert frames.count() > 0, "no graph viewer iframe in the outputs"
    stages = None
    for k in range(frames.count()):
        iframe = frames.nth(k)
        sandbox = set((iframe.get_attribute("sandbox") or "").split())
        assert "allow-scripts" in sandbox and "allow-same-origin" not in sandbox, sandbox
        iframe.scroll_into_view_if_needed()  # Chromium may hold back drawing in hidden frames
        frame = iframe.element_handle().content_frame()
        frame.wait_for_function("() => window.__k2pb && window.__k2pb.ready", timeout=120_000)
        view = frame.evaluate(VIEWER_JS)
        assert view["errors"] == [], view["errors"]
        assert view["panes"] and all(p["boxes"] > 0 and p["edges"] > 0 for p in view["panes"]), \
            view["panes"]
        if len(view["panes"]) == 3 and stages is None:  # the first: the three stages
            stages = (iframe, frame, view)
    assert stages is not None, "no three-stage viewer (training step, trace, frozen graph)"
    iframe, frame, view = stages
    assert [p["title"] for p in view["panes"]] == ["training step", "inference trace",
                                                   "frozen graph"], view["panes"]
    assert view["panes"][0]["removed"] > 0, "the training pane marks what tracing removed"
    assert len(view["legend"]) > 0, "the diff legend is missing"
    # one sentence per transition: what tracing did, what freezing did
    assert view["summary"].startswith("Tracing model(x, training=False): "), view["summary"]
    assert "never recorded" in view["summary"] and "Freezing: " in view["summary"]
    assert "became constants inside the .pb" in view["summary"], view["summary"]
    # freezing is drawn: the frozen pane's ops carry the constants it made
    assert frame.locator('.k2-pane[data-pane="2"] .k2-chip-const').count() > 0
    # the notebook frame took the height the page asked for
    asked = frame.evaluate("() => __k2pb.askedHeight")
    height = iframe.evaluate("e => e.getBoundingClientRect().height")
    assert asked and abs(height - asked) <= 3, (asked, height)
    # A trusted output: JupyterLab rendered the HTML as is (an untrusted one is sanitized).
    trusted = iframe.evaluate("e => e.closest('.jp-OutputArea-output').className")
    assert "jp-mod-trusted" in trusted
    return iframe


CHECKS = {"01": _check_01, "03": _check_03, "04": _check_04}


# --- the tests ---------------------------------------------------------------------------------

def _run_all(lab: LabServer, page, rel: str, n_cells: int) -> dict:
    """In the open JupyterLab page: wait for the notebook ``rel`` and its kernel, then
    View → Expand All Code and Run → Run All Cells, and wait until the run is over.

    Returns what the page shows (CELLS_JS). Asserts this notebook's kernel is the only one.
    """
    page.wait_for_function(
        "([n]) => { const p = document.querySelector('.jp-NotebookPanel'); return p &&"
        " p.querySelectorAll('.jp-Cell').length === n && p.querySelector("
        "'.jp-Notebook-ExecutionIndicator[data-status=\"idle\"]'); }",
        arg=[n_cells], timeout=120_000)
    lab.wait_kernel(rel)
    kernels = lab.api("GET", "/api/kernels")
    assert len(kernels) == 1, f"one kernel expected (this notebook's), found {kernels}"
    lab.remember_descendants()
    # Expand All Code first: a cell with hidden source (the solutions) shows no execution count.
    _menu(page, "View", "notebook:show-all-cell-code")
    _menu(page, "Run", "runmenu:run-all")
    page.wait_for_function(DONE_JS, timeout=RUN_TIMEOUT_S * 1000, polling=500)
    lab.remember_descendants()
    return page.evaluate(CELLS_JS)


def _errors(state: dict) -> list[tuple[int, str]]:
    """(1-based cell number, traceback text) of every error output on the page."""
    return [(i + 1, e[:1500]) for i, c in enumerate(state["cells"]) for e in c["errors"]]


def _screenshot(page, name: str, show=None) -> Path:
    """Scroll ``show`` (default: the last figure, else the last cell) into view; save a PNG."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if show is None:
        images = page.locator('.jp-OutputArea-output[data-mime-type="image/png"] img')
        show = images.last if images.count() else page.locator(".jp-Cell").last
    show.scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # let the scrolled-to outputs paint
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_jupyterlab(lab, chromium, path):
    """Open the notebook in JupyterLab, Run → Run All Cells, and check what the page shows."""
    chromium.run(_notebook_runs, lab, path)


def _notebook_runs(browser, lab: LabServer, path: Path) -> None:
    must_run = _code_cells_to_run(path)
    n_cells = len(nbformat.read(path, as_version=4).cells)
    rel = f"notebooks/{path.name}"
    # ?reset: a clean workspace, so no notebook opened earlier comes back with a kernel.
    context, page, seen = _open(browser, lab.lab_url(f"lab/tree/{rel}", reset=""))
    start = time.monotonic()
    try:
        state = _run_all(lab, page, rel, n_cells)
        seconds = time.monotonic() - start
        show = None
        try:
            errors = _errors(state)
            assert errors == [], f"{path.name}: error output in cell(s) (1-based):\n" + \
                "\n".join(f"--- cell {i}:\n{e}" for i, e in errors)
            noise = [f"cell {i + 1}: {f}" for i, c in enumerate(state["cells"])
                     for t in c["texts"] for f in tutorial.noise_in_text(t)]
            assert noise == [], f"{path.name}: what a learner should not see:\n" + \
                "\n".join(noise)
            prompts = [state["cells"][i]["prompt"] for i in must_run]
            assert all(p[1:-2].isdigit() for p in prompts), f"not all cells ran: {prompts}"
            counts = [int(p[1:-2]) for p in prompts]
            assert counts == sorted(counts) and len(set(counts)) == len(counts), counts
            assert state["status"] == "idle" and state["dialogs"] == 0, state["status"]
            check = CHECKS.get(path.name[:2])
            if check is not None:
                show = check(page, state)
            assert any(lab.url in u for u in seen["requests"]), "requests are not recorded"
            assert _outside(seen["requests"]) == [], "requests left 127.0.0.1"
        finally:
            _screenshot(page, path.stem, show)
        print(f"{path.name}: {len(must_run)} code cells ran in JupyterLab in {seconds:.1f} s")
    finally:
        _shutdown_kernels_of(lab, rel)
        context.close()


def test_an_error_in_a_cell_is_caught(lab, chromium):
    """The checks above are not blind: a traceback is found, a harmless stderr line is not."""
    chromium.run(_error_is_caught, lab)


def _error_is_caught(browser, lab: LabServer) -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import sys\nprint('E0000 harmless log: Error 303', "
                                  "file=sys.stderr)"),
        nbformat.v4.new_code_cell("1 / 0"),
        nbformat.v4.new_code_cell("print('never runs')"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    rel = "scratch/broken.ipynb"
    (lab.root / "scratch").mkdir(exist_ok=True)
    nbformat.write(nb, lab.root / rel)
    context, page, _ = _open(browser, lab.lab_url(f"lab/tree/{rel}", reset=""))
    try:
        state = _run_all(lab, page, rel, len(nb.cells))
        errors = _errors(state)
        assert [i for i, _ in errors] == [2]
        assert "ZeroDivisionError" in errors[0][1]
        assert [c["prompt"] for c in state["cells"]] == ["[1]:", "[2]:", "[ ]:"]
    finally:
        _shutdown_kernels_of(lab, rel)
        context.close()


def test_notebook7_shows_a_notebook(lab, chromium):
    """The classic-style Notebook 7 UI lists the notebooks and renders the first one."""
    chromium.run(_notebook7_shows, lab)


def _notebook7_shows(browser, lab: LabServer) -> None:
    first = NOTEBOOKS[0]
    nb = nbformat.read(first, as_version=4)
    context, page, seen = _open(browser, lab.lab_url("tree/notebooks"))
    try:
        listing = page.locator(".jp-DirListing-item", has_text=first.name)
        listing.wait_for(timeout=60_000)
        page.goto(lab.lab_url(f"notebooks/notebooks/{first.name}"))
        page.wait_for_function(
            "([n]) => document.querySelectorAll('.jp-Notebook .jp-Cell').length === n",
            arg=[len(nb.cells)], timeout=60_000)
        title = nb.cells[0].source.splitlines()[0].lstrip("# ").strip()
        h1 = page.locator(".jp-RenderedMarkdown h1").first.inner_text()
        assert h1.replace("¶", "").strip() == title
        assert page.locator(".jp-LabShell").count() == 0, "this is JupyterLab, not Notebook 7"
        assert _outside(seen["requests"]) == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "notebook7_01.png"))
    finally:
        _shutdown_kernels_of(lab, f"notebooks/{first.name}")
        context.close()


def test_server_stops_leaving_no_process(lab):
    """Kernels shut down through the server, then the server: no process of theirs is left."""
    known = lab.remember_descendants()
    assert lab.stop() == []
    assert lab.proc.returncode is not None
    assert [pid for pid in known if _running(pid)] == []
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", lab.port)) != 0, "the port still accepts connections"


def _running(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
