"""The viewer page in a real headless Chromium: panes drawn, diff marked, clicks, no network."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from keras2pb.viewer import (
    iframe_html,
    prepare,
    side_by_side_page,
    single_page,
    write_html,
)
from tests.fixtures.viewer import (
    HOSTILE,
    HOSTILE_OP,
    SCREENSHOTS,
    hostile_graph_def,
    open_page,
    outside_requests,
    small_graph_def,
    wait_ready,
)
from tests.helpers.visible import visible_graph

pytestmark = pytest.mark.browser

PANE_STATS = """() => Array.from(document.querySelectorAll('.k2-pane')).map(p => ({
  boxes: p.querySelectorAll('.k2-box').length,
  edges: p.querySelectorAll('.k2-edge').length,
  scopes: p.querySelectorAll('.k2-scope').length,
  clusters: p.querySelectorAll('.k2-cluster').length,
  removed: p.querySelectorAll('.k2-removed, .k2-has-removed').length,
  added: p.querySelectorAll('.k2-added, .k2-has-added').length,
}))"""

# The collapsed scope box of the left pane that is cheapest to open (fewest boxes inside).
CHEAPEST_SCOPE = """() => {
  const p = __k2pb.panes[0];
  let best = null;
  document.querySelectorAll('.k2-pane[data-pane="0"] .k2-scope').forEach(el => {
    const s = +el.getAttribute('data-id').slice(1);
    if (p.sc.nb[s] > 1 && (best === null || p.sc.nb[s] < p.sc.nb[best])) best = s;
  });
  return best;
}"""


def _check_side_by_side(frame, pairs_prepared, requests, dialogs):
    stats = frame.evaluate(PANE_STATS)
    assert len(stats) == 2
    for pane in stats:
        assert pane["boxes"] > 0 and pane["edges"] > 0, stats
    assert stats[0]["removed"] > 0, "the left pane marks what the frozen graph dropped"
    assert frame.locator(".k2-legend-item").count() > 0
    assert frame.locator("#k2-summary").inner_text().startswith("training graph ")
    # The browser draws exactly the boxes visible_graph (tests.helpers) computes at first.
    for k, pg in enumerate(pairs_prepared):
        first = set(frame.evaluate(f"() => __k2pb.panes[{k}].d.expanded"))
        expected = visible_graph(pg.hier, pg.graph, first)
        assert frame.evaluate(f"() => __k2pb.panes[{k}].nBoxes") == len(expected.boxes)
        assert stats[k]["boxes"] == len(expected.boxes)
    assert frame.evaluate("() => __k2pb.errors") == []
    assert outside_requests(requests) == []
    assert dialogs == []


def _click_expands(frame):
    scope = frame.evaluate(CHEAPEST_SCOPE)
    assert scope is not None, "the first view has a collapsed scope to open"
    before = frame.evaluate("() => __k2pb.panes[0].nBoxes")
    box = frame.locator(f'.k2-pane[data-pane="0"] .k2-scope[data-id="s{scope}"]')
    box.scroll_into_view_if_needed()
    box.dispatch_event("click")
    frame.wait_for_selector(f'.k2-pane[data-pane="0"] .k2-cluster[data-id="s{scope}"]',
                            timeout=60_000)
    after = frame.evaluate("() => __k2pb.panes[0].nBoxes")
    assert after > before
    # and its frame title closes it again
    frame.locator(f'.k2-pane[data-pane="0"] .k2-cluster[data-id="s{scope}"] text') \
        .dispatch_event("click")
    assert frame.evaluate("() => __k2pb.panes[0].nBoxes") == before


def _show_pair(browser, pair: dict, html: Path, screenshot: str):
    """Write the pair's side-by-side page, open it, check both panes and the diff, save a
    screenshot and check that a click expands a box; return (page, frame, requests)."""
    out = write_html([str(pair["train_pb"]), str(pair["frozen_pb"])], str(html),
                     titles=["training graph", "frozen graph"])
    page, requests, dialogs = open_page(browser, out)
    frame = wait_ready(page)
    prepared = [prepare(pair["train_gd"], "l"), prepare(pair["frozen_gd"], "r")]
    _check_side_by_side(frame, prepared, requests, dialogs)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / screenshot))
    _click_expands(frame)
    return page, frame, requests


def test_mnist_pair_side_by_side(browser, mnist_pair, tmp_path):
    page, frame, requests = _show_pair(browser, mnist_pair, tmp_path / "mnist.html",
                                       "mnist_side_by_side.png")
    # search by regex marks boxes
    frame.locator("#k2-field").select_option("op")
    frame.locator("#k2-find").fill("Conv2D")
    frame.wait_for_selector('.k2-pane[data-pane="1"] .k2-match', timeout=10_000)
    assert outside_requests(requests) == []
    page.close()


def test_mnist_pair_in_a_sandboxed_srcdoc_iframe(browser, mnist_pair, tmp_path):
    page_html, _ = side_by_side_page(mnist_pair["train_gd"], mnist_pair["frozen_gd"])
    host = tmp_path / "notebook_output.html"
    host.write_text("<!DOCTYPE html><html><body><h1>cell output</h1>"
                    + iframe_html(page_html, 600) + "</body></html>", encoding="utf-8")
    page, requests, dialogs = open_page(browser, host)
    frame = wait_ready(page)
    assert frame != page.main_frame
    stats = frame.evaluate(PANE_STATS)
    assert all(p["boxes"] > 0 and p["edges"] > 0 for p in stats)
    assert outside_requests(requests) == [] and dialogs == []
    page.close()


def test_densenet121_pair_stays_usable(browser, densenet_pair, tmp_path):
    page, frame, requests = _show_pair(browser, densenet_pair, tmp_path / "densenet.html",
                                       "densenet121_side_by_side.png")
    # Opening something far too big is refused with a message, not a frozen page.
    refused = frame.evaluate("""() => {
      const p = __k2pb.panes[0];
      let big = -1;
      for (let s = 1; s < p.sc.cnt.length; s++)
        if (p.sc.shown[s] > 2000 && !p.expanded.has(s)) { big = s; break; }
      if (big < 0) return null;
      const next = new Set(p.expanded);
      let s = big; while (s > 0) { next.add(s); s = p.sc.p[s]; }
      p.sc.nb[big] = 1e9;  // pretend: the check counts real boxes, not this hint
      return p.countBoxes(next) > 600 ? p.expand(big) : 'small';
    }""")
    assert refused in (False, None, "small")
    assert frame.evaluate("() => __k2pb.errors") == []
    assert outside_requests(requests) == []
    page.close()


def test_hostile_names_render_as_text(browser, tmp_path):
    page_html, _ = side_by_side_page(hostile_graph_def(), small_graph_def(),
                                     titles=(HOSTILE, "small"))
    host = tmp_path / "hostile.html"
    host.write_text("<!DOCTYPE html><html><body>"
                    + iframe_html(page_html, 600) + iframe_html(single_page(hostile_graph_def(),
                                                                            HOSTILE), 400)
                    + "</body></html>", encoding="utf-8")
    page, requests, dialogs = open_page(browser, host)
    frame = wait_ready(page)
    page.wait_for_timeout(300)
    assert dialogs == []
    assert page.evaluate("() => window.__pwned") is None
    assert page.evaluate("() => document.querySelectorAll('img, b').length") == 0
    assert len(page.frames) == 3  # the host page and its two viewer iframes, nothing injected
    for f in page.frames[1:]:
        assert f.evaluate("() => window.__pwned === undefined")
        assert f.evaluate("() => document.querySelectorAll('img, b, iframe').length") == 0
    assert frame.locator(".k2-title").first.inner_text() == HOSTILE
    subs = frame.evaluate("() => Array.from(document.querySelectorAll('text.k2-sub'))"
                          ".map(t => t.textContent)")
    assert any(s.startswith(HOSTILE_OP[:20]) for s in subs)
    # the tooltip of the hostile node shows its full name, as text
    texts = []
    for k in range(frame.locator('.k2-pane[data-pane="0"] .k2-op').count()):
        frame.locator('.k2-pane[data-pane="0"] .k2-op').nth(k).dispatch_event("mouseenter")
        texts.append(frame.evaluate("() => document.getElementById('k2-tip').textContent"))
    assert any(HOSTILE in t for t in texts)
    assert any("<b onmouseover=alert(3)>bold</b>" in t for t in texts)
    # the details panel and the SVG export show the names as text too
    details = []
    for k in range(frame.locator('.k2-pane[data-pane="0"] .k2-op').count()):
        frame.locator('.k2-pane[data-pane="0"] .k2-op').nth(k).dispatch_event("click")
        details.append(frame.locator('.k2-pane[data-pane="0"] .k2-details').inner_text())
    assert any(HOSTILE in t for t in details)
    assert frame.evaluate("() => document.querySelectorAll('img, iframe, "
                          "script:not([nonce]):not(#k2-data), b:not(.k2-dname):not(#k2-tip b)')"
                          ".length") == 0
    svg = ET.fromstring(frame.evaluate("() => __k2pb.panes[0].svgText()"))
    tags = {el.tag.rpartition("}")[2] for el in svg.iter()}
    assert tags <= {"svg", "title", "style", "defs", "marker", "path", "g", "rect", "text"}, tags
    assert svg.find("{http://www.w3.org/2000/svg}title").text == HOSTILE
    assert any(HOSTILE_OP[:20] in (t.text or "") for t in svg.iter())
    assert page.evaluate("() => window.__pwned") is None and dialogs == []
    assert outside_requests(requests) == []
    page.close()


# ---- the comparison view (issue 12): story, linked panes, scrolling, export -------------------

STAGES = ("training step", "inference trace", "frozen graph")


@pytest.fixture(scope="module")
def stages_page(mnist_pair, tmp_path_factory):
    """The MNIST CNN's three stages as one page, inside a notebook-like host page whose
    content is taller than the window (so the host can scroll); returns (path, diff)."""
    page_html, diff = side_by_side_page(mnist_pair["train_gd"], mnist_pair["frozen_gd"],
                                        STAGES, inference=mnist_pair["infer_gd"])
    host = tmp_path_factory.mktemp("stages") / "notebook.html"
    host.write_text("<!DOCTYPE html><html><body style='margin:0'><h1>cell output</h1>"
                    + iframe_html(page_html, 640) + "<div style='height:3000px'>more cells</div>"
                    "</body></html>", encoding="utf-8")
    return host, diff


def _open_stages(browser, stages_page):
    page, requests, dialogs = open_page(browser, stages_page[0], width=1280, height=800)
    return page, wait_ready(page), requests, dialogs


BOX_IN_VIEW = """sel => {
  const out = [];
  document.querySelectorAll(sel).forEach(el => {
    const c = el.closest('.k2-canvas').getBoundingClientRect(), r = el.getBoundingClientRect();
    if (r.left >= c.left - 1 && r.right <= c.right + 1 && r.top >= c.top - 1
        && r.bottom <= c.bottom + 1) out.push(el.getAttribute('data-id'));
  });
  return out;
}"""


def test_first_view_tells_the_story(browser, stages_page):
    page, frame, requests, dialogs = _open_stages(browser, stages_page)
    diff = stages_page[1]
    # three panes, one per stage, each with its node count and a bar as long as its share
    assert frame.evaluate("() => Array.from(document.querySelectorAll('.k2-title'))"
                          ".map(t => t.textContent)") == list(STAGES)
    counts = frame.evaluate("() => Array.from(document.querySelectorAll('.k2-counts'))"
                            ".map(t => t.textContent.split(' ')[0])")
    assert counts == [f"{n:,}" for n in diff.counts]
    widths = frame.evaluate("() => Array.from(document.querySelectorAll('.k2-head .k2-bar'))"
                            ".map(b => b.getBoundingClientRect().width)")
    assert widths[2] / widths[0] == pytest.approx(diff.counts[2] / diff.counts[0], abs=0.03)
    # one sentence per transition, its numbers those of the diff
    lines = frame.evaluate("() => Array.from(document.querySelectorAll('.k2-sentence'))"
                           ".map(l => l.textContent)")
    n_rm = sum(diff.tracing.removed.values())
    by_reason = diff.tracing.removed_by_category
    assert lines[0].startswith("Tracing model(x, training=False): "
                               f"{n_rm:,} training-step nodes were never recorded (optimizer "
                               f"{by_reason['optimizer']:,}, gradients {by_reason['gradient']:,}")
    n_var = diff.freezing.changed["Placeholder→Const"]
    assert lines[1].startswith(f"Freezing: {sum(diff.freezing.removed.values())} nodes removed; "
                               f"{n_var} variables (")
    assert "became constants inside the .pb" in lines[1]
    # optimizer, gradients and loss are coloured boxes in view without opening anything
    left = '.k2-pane[data-pane="0"] '
    for fate in ("optimizer", "gradient", "loss"):
        assert frame.evaluate(BOX_IN_VIEW, left + f".k2-box.k2-f-{fate}"), fate
    # honest colour: a box whose nodes had several fates is neutral, with a bar of them all
    mixed = frame.evaluate("""() => Array.from(document.querySelectorAll('.k2-scope.k2-mixed'))
        .map(b => [b.querySelector('rect.k2-body').getAttribute('fill'),
                   new Set(Array.from(b.querySelectorAll('.k2-seg')).map(s => s.dataset.fate))
                   .size])""")
    assert mixed and all(fill == "#f3f5f9" and n >= 2 for fill, n in mixed), mixed
    dropout = frame.evaluate("""() => document.querySelectorAll(
        '.k2-pane[data-pane="0"] .k2-seg[data-fate="random"]').length""")
    assert dropout > 0, "the model's box shows its dropout share in its bar"
    # freezing is drawn: variables in the trace, the constants freezing made in the frozen graph
    chips = frame.evaluate("""() => [1, 2].map(k => [
        document.querySelectorAll(`.k2-pane[data-pane="${k}"] .k2-chip-var`).length,
        document.querySelectorAll(`.k2-pane[data-pane="${k}"] .k2-chip-const`).length])""")
    assert chips[0][0] > 0 and chips[0][1] == 0 and chips[1][0] == 0 and chips[1][1] > 0
    # every fate on a box has its own colour in the legend, and every mark is in it
    legend = frame.evaluate("""() => Array.from(document.querySelectorAll('.k2-legend-item'))
        .map(i => [i.dataset.fate || i.dataset.mark,
                   i.querySelector('.k2-swatch') ? getComputedStyle(
                       i.querySelector('.k2-swatch')).backgroundColor : null])""")
    keys = {k for k, _ in legend}
    on_boxes = set(frame.evaluate("""() => Array.from(document.querySelectorAll('.k2-box'))
        .flatMap(b => Array.from(b.classList).filter(c => c.startsWith('k2-f-'))
                 .map(c => c.slice(5)))"""))
    assert on_boxes <= keys, on_boxes - keys
    assert {"optimizer", "gradient", "loss", "random", "kept", "changed", "input",
            "added", "chip-var", "chip-const", "bar", "scope", "twin", "match"} <= keys
    swatches = [c for _, c in legend if c]
    assert len(set(swatches)) == len(swatches)
    assert frame.evaluate("() => __k2pb.errors") == []
    assert outside_requests(requests) == [] and dialogs == []
    page.close()


def _scope_box(frame, pane: int, name: str) -> str:
    """The data-id of the closed scope box named ``name`` in ``pane``."""
    sid = frame.evaluate(f"""() => {{
      const p = __k2pb.panes[{pane}], k = p.scopeIndex().get({name!r});
      return k === undefined ? null : 's' + k;
    }}""")
    assert sid is not None, name
    return sid


def test_linked_panes_scale_highlight_and_open_together(browser, stages_page):
    page, frame, requests, _ = _open_stages(browser, stages_page)
    scales = frame.evaluate("() => __k2pb.panes.map(p => p.view.k)")
    assert scales[0] == scales[1], "one scale for both panes"
    model = frame.evaluate("() => __k2pb.panes[2].sc.path[__k2pb.panes[2].sc.p.findIndex("
                           "(p, k) => k > 0 && p === 0)]")
    left_id = _scope_box(frame, 0, model)
    # the trace and the frozen graph start with the model open at its layers; hovering a layer
    # in the frozen pane marks the box holding it in the training pane and the trace
    layer_id = _scope_box(frame, 2, model + "/conv1_1")
    frame.locator(f'.k2-pane[data-pane="2"] .k2-box[data-id="{layer_id}"]') \
        .dispatch_event("mouseenter")
    twins = frame.evaluate("() => Array.from(document.querySelectorAll("
                           "'.k2-pane[data-pane=\"0\"] .k2-twin')).map(e => e.dataset.id)")
    assert left_id in twins
    assert frame.locator('.k2-pane[data-pane="1"] .k2-twin').count() == 1
    frame.locator(f'.k2-pane[data-pane="2"] .k2-box[data-id="{layer_id}"]') \
        .dispatch_event("mouseleave")
    assert frame.locator(".k2-twin").count() == 0
    # opening the model's box in the training pane frames it there and in the other panes
    frame.locator(f'.k2-pane[data-pane="0"] .k2-box[data-id="{left_id}"]').dispatch_event("click")
    for pane in (0, 1, 2):
        sid = _scope_box(frame, pane, model)
        assert frame.locator(f'.k2-pane[data-pane="{pane}"] .k2-cluster[data-id="{sid}"]') \
            .count() == 1, pane
    # framed: the opened frame's title is in view in each pane
    for pane in (0, 1, 2):
        sid = _scope_box(frame, pane, model)
        assert frame.evaluate(BOX_IN_VIEW, f'.k2-pane[data-pane="{pane}"] '
                                           f'.k2-cluster[data-id="{sid}"] text'), pane
    # an op's counterpart: open the first Conv2D's layer (in both panes), hover the op
    layer = frame.evaluate("""() => {
      const p = __k2pb.panes[0], i = p.n.op.findIndex(o => p.d.ops[o] === 'Conv2D');
      return p.sc.path[p.n.p[i]];
    }""")
    frame.locator(f'.k2-pane[data-pane="0"] .k2-box[data-id="{_scope_box(frame, 0, layer)}"]') \
        .dispatch_event("click")
    conv = frame.evaluate("""() => {
      const p = __k2pb.panes[0];
      for (const el of document.querySelectorAll('.k2-pane[data-pane="0"] .k2-op')) {
        const i = +el.dataset.id.slice(1);
        if (p.d.ops[p.n.op[i]] === 'Conv2D') return [el.dataset.id, p.twinIn(__k2pb.panes[2], i)];
      }
      return null;
    }""")
    assert conv is not None and conv[1] >= 0
    frame.locator(f'.k2-pane[data-pane="0"] .k2-box[data-id="{conv[0]}"]') \
        .dispatch_event("mouseenter")
    assert f"n{conv[1]}" in frame.evaluate("() => __k2pb.twins")
    # clicking it opens its details: op, attributes, inputs, consumers, constants' shape/dtype
    frame.locator(f'.k2-pane[data-pane="0"] .k2-box[data-id="{conv[0]}"]').dispatch_event("click")
    details = frame.locator('.k2-pane[data-pane="0"] .k2-details')
    assert details.is_visible()
    text = details.inner_text()
    for part in ("Conv2D", "attr strides", "inputs (", "consumers (", "(3, 3, 1, 32)",
                 "in frozen graph", "in inference trace"):
        assert part in text, (part, text)
    # search in both panes at once
    frame.locator(".k2-search-both").fill("BiasAdd")
    frame.wait_for_selector('.k2-pane[data-pane="1"] .k2-match', timeout=10_000)
    assert frame.locator('.k2-pane[data-pane="0"] .k2-match').count() > 0
    # the closing title closes the frames of that name in every pane
    frame.locator(f'.k2-pane[data-pane="0"] .k2-cluster[data-id="{left_id}"] text') \
        .dispatch_event("click")
    assert frame.locator(".k2-cluster").count() == 0
    assert frame.evaluate("() => __k2pb.errors") == [] and outside_requests(requests) == []
    page.close()


def test_the_wheel_scrolls_the_page_and_zooms_only_when_asked(browser, stages_page):
    page, frame, _, _ = _open_stages(browser, stages_page)
    assert "Ctrl/\u2318 + wheel zooms" in frame.locator("#k2-hint").inner_text()
    canvas = page.locator("iframe").bounding_box()
    x, y = canvas["x"] + canvas["width"] * 0.25, canvas["y"] + canvas["height"] * 0.8
    k0 = frame.evaluate("() => __k2pb.panes.map(p => p.view.k)")
    page.mouse.move(x, y)
    page.mouse.wheel(0, 300)
    page.wait_for_function("() => window.scrollY > 0", timeout=5_000)
    assert frame.evaluate("() => __k2pb.panes.map(p => p.view.k)") == k0, "no zoom"
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_timeout(100)
    # Ctrl + wheel zooms both (linked) panes and leaves the page where it is
    page.keyboard.down("Control")
    page.mouse.wheel(0, -200)
    page.keyboard.up("Control")
    page.wait_for_timeout(200)
    k1 = frame.evaluate("() => __k2pb.panes.map(p => p.view.k)")
    assert k1[0] > k0[0] and k1[0] == pytest.approx(k1[1])
    assert page.evaluate("() => window.scrollY") == 0
    # after a click on the graph the plain wheel zooms, until the pointer leaves the pane
    page.mouse.click(x, y)
    page.mouse.wheel(0, 200)
    page.wait_for_timeout(200)
    assert frame.evaluate("() => __k2pb.panes[0].view.k") < k1[0]
    assert page.evaluate("() => window.scrollY") == 0
    page.close()


def test_each_pane_downloads_as_svg_and_png(browser, stages_page):
    import struct

    page, frame, requests, _ = _open_stages(browser, stages_page)
    for pane, title in ((0, "training_step"), (2, "frozen_graph")):
        with page.expect_download(timeout=30_000) as dl:
            frame.locator(f'.k2-pane[data-pane="{pane}"] .k2-svg').click()
        assert dl.value.suggested_filename == f"{title}.svg"
        svg = Path(dl.value.path()).read_text(encoding="utf-8")
        root = ET.fromstring(svg)  # well-formed, standalone
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        labels = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
        shown = frame.evaluate(f"""() => Array.from(document.querySelectorAll(
            '.k2-pane[data-pane="{pane}"] .k2-box text')).map(t => t.textContent)""")
        assert set(shown) <= labels
        with page.expect_download(timeout=30_000) as dl:
            frame.locator(f'.k2-pane[data-pane="{pane}"] .k2-png').click()
        assert dl.value.suggested_filename == f"{title}.png"
        png = Path(dl.value.path()).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])
        size = frame.evaluate(f"() => __k2pb.panes[{pane}].exportSize")
        assert width == pytest.approx(2 * size[0], abs=2)
        assert height == pytest.approx(2 * size[1], abs=2)
        # it explains itself: the page's font, the title, the summary and the legend
        assert "serif" not in root.get("font-family") or "sans-serif" in root.get("font-family")
        head = root.find(".//{http://www.w3.org/2000/svg}g[@class='k2-export-head']")
        texts = [t.text for t in head.iter("{http://www.w3.org/2000/svg}text")]
        assert texts[0] == ("training step" if pane == 0 else "frozen graph")
        caption = frame.evaluate(f"() => __k2pb.panes[{pane}].d.caption")
        assert " ".join(texts[1:]).startswith(caption[:40])
        legend = set(texts) & set(frame.evaluate("() => __k2pb.panes.length && "
                                                 "Array.from(document.querySelectorAll("
                                                 "'.k2-legend-item')).map(i => i.textContent)"))
        assert legend, texts
    assert outside_requests(requests) == []
    page.close()


# The page's visible graph (boxes, merged edges, frames) and box count for a set of open scopes.
VISIBLE = """(open) => {
  const p = __k2pb.panes[0], v = p.visible(new Set(open));
  return {boxes: Array.from(v.boxes.keys()), edges: Array.from(v.edges.entries()),
          clusters: v.clusters, count: p.countBoxes(new Set(open))};
}"""


def test_page_visible_graph_matches_collapse(browser, mnist_pair, tmp_path):  # noqa: F811
    """For any set of open scopes (a scope may be open inside a closed one) the page computes
    the boxes, merged edges and frames visible_graph (tests.helpers) does; closing and reopening a
    scope draws the same view again; the idle warm-up after the first paint raises nothing."""
    import random

    out = write_html([str(mnist_pair["train_pb"]), str(mnist_pair["frozen_pb"])],
                     str(tmp_path / "mnist.html"))
    page, requests, dialogs = open_page(browser, out)
    frame = wait_ready(page)
    frame.wait_for_function("() => window.__k2pb.warmMs !== undefined", timeout=60_000)
    pg = prepare(mnist_pair["train_gd"], "l")
    scopes = list(range(1, len(pg.hier.scopes)))
    rng = random.Random(0)
    sets = [{0}, {0, *scopes}, {0} | {s for s in scopes if pg.hier.scopes[s].depth == 1}]
    sets += [{0, *rng.sample(scopes, len(scopes) // 2)} for _ in range(4)]
    for open_ in sets:
        got = frame.evaluate(VISIBLE, sorted(open_))
        want = visible_graph(pg.hier, pg.graph, open_)
        assert sorted(got["boxes"]) == want.boxes
        assert dict(got["edges"]) == {f"{a} {b}": n for (a, b), n in want.edges.items()}
        assert sorted(got["clusters"]) == sorted(want.clusters)
        assert got["count"] == len(want.boxes)
    # a closed box's tooltip counts the op types of every node beneath it
    for s in scopes:
        below = {s}
        for k in scopes:
            if pg.hier.scopes[k].parent in below:
                below.add(k)
        ops: dict[str, int] = {}
        for i, n in enumerate(pg.graph.nodes):
            if pg.hier.parent[i] in below:
                ops[n.op] = ops.get(n.op, 0) + 1
        top = sorted(ops.items(), key=lambda kv: -kv[1])
        want = ", ".join(f"{op} {c}" for op, c in top[:8]) + (", \u2026" if len(top) > 8 else "")
        tip = frame.evaluate(f"() => __k2pb.panes[0].scopeTip({s})")
        assert ["kv", "op types", want] in tip
    scope = frame.evaluate(CHEAPEST_SCOPE)
    stats = frame.evaluate(PANE_STATS)
    for _ in range(2):
        assert frame.evaluate(f"() => __k2pb.panes[0].expand({scope})") is True
        opened = frame.evaluate(PANE_STATS)
        frame.evaluate(f"() => __k2pb.panes[0].collapse({scope})")
        assert frame.evaluate(PANE_STATS) == stats
    assert opened[0]["boxes"] > stats[0]["boxes"]
    assert frame.evaluate("() => __k2pb.errors") == []
    assert outside_requests(requests) == [] and dialogs == []
    page.close()


# ---- the freezing lens (issue 24): navigator, search, shortcuts, state, projector -------------

def _key(page, frame, key: str) -> None:
    """Press ``key`` as a person would: after a click on an empty corner of the first pane."""
    frame.locator('.k2-pane[data-pane="0"] .k2-canvas').click(position={"x": 3, "y": 3})
    page.keyboard.press(key)

def test_change_navigator_opens_and_frames_a_change(browser, stages_page):
    page, frame, requests, _ = _open_stages(browser, stages_page)
    diff = stages_page[1]
    groups = frame.evaluate("() => __k2pb.changes.map(g => [g.t, g.fate, g.pane, g.label, "
                            "g.nodes.length])")
    fates = frame.evaluate("() => __k2pb.panes[0].d ? JSON.parse(document.getElementById("
                           "'k2-data').textContent).fates.map(f => f[0]) : []")
    # every removal at tracing is listed once, by reason: the counts add up to the diff's
    by_reason: dict[str, int] = {}
    for t, f, _, _, n in groups:
        if t == 0 and fates[f] in dict(diff.tracing.removed_by_category):
            by_reason[fates[f]] = by_reason.get(fates[f], 0) + n
    assert by_reason == dict(diff.tracing.removed_by_category)
    changed = sum(n for t, f, _, _, n in groups if t == 1 and fates[f] == "changed")
    assert changed == sum(diff.freezing.changed.values())
    # N opens the next change: its box opens (or is framed) and its nodes are marked
    _key(page, frame, "n")
    first = frame.evaluate("() => __k2pb.changes[0]")
    assert frame.evaluate("() => __k2pb.changeCursor") == 0
    assert frame.locator(f'.k2-pane[data-pane="{first["pane"]}"] .k2-match').count() > 0
    # a click on a freezing change opens its layer in the trace and frozen panes
    k = next(i for i, g in enumerate(groups) if g[0] == 1 and fates[g[1]] == "changed")
    frame.locator(f'#k2-changes .k2-change[data-k="{k}"]').click()
    label = groups[k][3]
    for pane in (1, 2):
        sid = _scope_box(frame, pane, label)
        assert frame.locator(f'.k2-pane[data-pane="{pane}"] .k2-cluster[data-id="{sid}"]') \
            .count() == 1
        assert frame.evaluate(BOX_IN_VIEW, f'.k2-pane[data-pane="{pane}"] .k2-match')
    # opening the layer shows its constants, with their shapes
    chips = frame.evaluate("""() => Array.from(document.querySelectorAll(
        '.k2-pane[data-pane="2"] .k2-chip-const text')).map(t => t.textContent)""")
    assert any(c.startswith("const  (") and "B" in c for c in chips), chips
    assert frame.evaluate("() => __k2pb.errors") == [] and outside_requests(requests) == []
    page.close()


def test_search_field_results_and_shortcuts(browser, stages_page):
    page, frame, _, _ = _open_stages(browser, stages_page)
    # by name, "conv2" finds conv2's nodes only (not conv1's Conv2D)
    _key(page, frame, "/")
    assert frame.evaluate("() => document.activeElement.id") == "k2-find"
    frame.locator("#k2-find").fill("conv2_1/")
    frame.wait_for_selector("#k2-results .k2-result", timeout=10_000)
    names = frame.evaluate("() => __k2pb.found.results.map(r => __k2pb.panes[r[0]]"
                           ".fullName(r[1]))")
    assert names and all("conv2_1/" in n for n in names)
    # by op type
    frame.locator("#k2-field").select_option("op")
    frame.locator("#k2-find").fill("^Conv2D$")
    frame.wait_for_function("() => __k2pb.found && __k2pb.found.text === '^Conv2D$'")
    ops = frame.evaluate("() => __k2pb.found.results.map(r => __k2pb.panes[r[0]].d.ops["
                         "__k2pb.panes[r[0]].n.op[r[1]]])")
    assert ops and set(ops) == {"Conv2D"} and len(ops) == 6  # two convolutions, three stages
    # Enter goes to the next result: it is opened, selected and in view
    frame.locator("#k2-find").press("Enter")
    frame.locator("#k2-find").press("Enter")
    assert frame.evaluate("() => __k2pb.found.cursor") == 1
    r = frame.evaluate("() => __k2pb.found.results[1]")
    assert frame.evaluate(f"() => __k2pb.panes[{r[0]}].selected") == r[1]
    assert frame.evaluate(BOX_IN_VIEW, f'.k2-pane[data-pane="{r[0]}"] .k2-sel')
    # by attribute
    frame.locator("#k2-field").select_option("attr")
    frame.locator("#k2-find").fill("padding=VALID")
    frame.wait_for_function("() => __k2pb.found.text === 'padding=VALID'")
    assert frame.evaluate("() => __k2pb.found.results.length") > 0
    # ? lists the shortcuts, Esc closes it and the details
    frame.locator("#k2-find").press("Escape")
    _key(page, frame, "?")
    assert frame.locator("#k2-help").is_visible()
    op = frame.locator('.k2-pane[data-pane="2"] .k2-op').first
    op.dispatch_event("click")
    assert frame.locator('.k2-pane[data-pane="2"] .k2-details').is_visible()
    page.keyboard.press("Escape")
    assert not frame.locator("#k2-help").is_visible()
    assert not frame.locator('.k2-pane[data-pane="2"] .k2-details').is_visible()
    page.close()


def test_details_never_cover_the_selected_op(browser, stages_page):
    page, frame, _, _ = _open_stages(browser, stages_page)
    for pane in (0, 1, 2):
        n = frame.locator(f'.k2-pane[data-pane="{pane}"] .k2-op').count()
        for k in range(min(n, 6)):
            frame.locator(f'.k2-pane[data-pane="{pane}"] .k2-op').nth(k).dispatch_event("click")
            overlap = frame.evaluate(f"""() => {{
              const p = document.querySelector('.k2-pane[data-pane="{pane}"]');
              const a = p.querySelector('.k2-sel rect.k2-body').getBoundingClientRect();
              const b = p.querySelector('.k2-details').getBoundingClientRect();
              return !(a.right < b.left || a.left > b.right || a.bottom < b.top
                       || a.top > b.bottom);
            }}""")
            assert not overlap, (pane, k)
    page.close()


def test_reset_linked_hash_state_and_projector(browser, mnist_pair, tmp_path):
    out = write_html([str(mnist_pair["train_pb"]), str(mnist_pair["infer_pb"]),
                      str(mnist_pair["frozen_pb"])], str(tmp_path / "mnist3.html"),
                     titles=list(STAGES))
    page, requests, _ = open_page(browser, out, width=1280, height=720)
    frame = wait_ready(page)
    first = frame.evaluate("() => __k2pb.panes.map(p => Array.from(p.expanded).sort())")
    sid = _scope_box(frame, 2, frame.evaluate(
        "() => __k2pb.panes[2].sc.path[__k2pb.panes[2].sc.p.findIndex((p, k) => k > 0 && "
        "p === 0)]") + "/conv2_1")
    frame.locator(f'.k2-pane[data-pane="2"] .k2-box[data-id="{sid}"]').dispatch_event("click")
    opened = frame.evaluate("() => __k2pb.panes.map(p => Array.from(p.expanded).sort())")
    assert all(len(o) > len(f) for o, f in zip(opened, first, strict=True))
    # the state is in the URL: a reload comes back to it
    page.wait_for_function("() => location.hash.startsWith('#k2=')", timeout=5_000)
    views = frame.evaluate("() => __k2pb.panes.map(p => p.view.k)")
    page.reload()
    frame = wait_ready(page)
    assert frame.evaluate("() => __k2pb.restored") is True
    assert frame.evaluate("() => __k2pb.panes.map(p => Array.from(p.expanded).sort())") == opened
    assert frame.evaluate("() => __k2pb.panes.map(p => p.view.k)") == pytest.approx(views,
                                                                                   abs=1e-3)
    # Reset resets the linked panes together
    frame.locator('.k2-pane[data-pane="1"] .k2-reset').click()
    assert frame.evaluate("() => __k2pb.panes.map(p => Array.from(p.expanded).sort())") == first
    ks = frame.evaluate("() => __k2pb.panes.map(p => p.view.k)")
    assert len(set(ks)) == 1
    # projector mode: labels of 14 px or more at fit, on 1,280 x 720
    frame.locator("#k2-proj-btn").click()
    _key(page, frame, "f")
    sizes = frame.evaluate("""() => __k2pb.panes.flatMap(p => Array.from(
        p.vp.querySelectorAll('.k2-box > text:not(.k2-sub)'))
        .map(t => +t.getAttribute('font-size') * p.view.k))""")
    assert sizes and min(sizes) >= 14, min(sizes)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "mnist_projector.png"))
    assert frame.evaluate("() => __k2pb.errors") == [] and outside_requests(requests) == []
    page.close()


def test_the_notebook_frame_sizes_itself(browser, stages_page):
    page, frame, _, _ = _open_stages(browser, stages_page)
    asked = frame.evaluate("() => __k2pb.askedHeight")
    assert asked and 420 <= asked <= 1100
    page.wait_for_function(f"() => document.querySelector('iframe').getBoundingClientRect()"
                           f".height >= {asked - 2}", timeout=5_000)
    page.close()


def test_opencv_rewrite_says_what_each_pass_did(browser, opencv_pair, tmp_path):
    """keras2pb show a.pb a.opencv.pb: two panes, one sentence, every rewrite reason in the
    legend and the navigator (counts adding up to the diff's), and a click on a pass's change
    frames its nodes in the rewrite pane."""
    from keras2pb.graph.diff import diff_graphs
    from keras2pb.graph.opencv_rewrite import PASSES
    from keras2pb.viewer import clean_graph

    out = write_html([str(opencv_pair["frozen_pb"]), str(opencv_pair["opencv_pb"])],
                     str(tmp_path / "opencv.html"))
    page, requests, dialogs = open_page(browser, out, width=1280, height=720)
    frame = wait_ready(page)
    diff = diff_graphs(clean_graph(opencv_pair["frozen_gd"]), clean_graph(opencv_pair["opencv_gd"]))
    assert frame.locator(".k2-pane").count() == 2
    sentence = frame.locator("#k2-summary .k2-sentence").inner_text()
    assert sentence.startswith("Rewrite rewrite_cnn.pb → rewrite_cnn.opencv.pb: ")
    assert f"{PASSES['muls_to_depthwise'][3]} 2" in sentence
    legend = set(frame.evaluate("() => Array.from(document.querySelectorAll("
                                "'.k2-legend-item[data-fate]')).map(e => e.dataset.fate)"))
    assert set(diff.removed_by_category) | set(diff.rewritten) <= legend
    groups = frame.evaluate("() => __k2pb.changes.map(g => [g.fate, g.pane, g.nodes.length])")
    fates = [f for f, _ in frame.evaluate(
        "() => JSON.parse(document.getElementById('k2-data').textContent).fates")]
    listed: dict[str, int] = {}
    for f, pane, n in groups:
        assert pane == (0 if fates[f] in diff.removed_by_category else 1)
        listed[fates[f]] = listed.get(fates[f], 0) + n
    assert listed == {**diff.removed_by_category, **diff.rewritten}
    k = next(i for i, g in enumerate(groups) if fates[g[0]] == "rw_muls_to_depthwise")
    frame.locator(f'#k2-changes .k2-change[data-k="{k}"]').click()
    marked = frame.evaluate(BOX_IN_VIEW, '.k2-pane[data-pane="1"] .k2-match')
    assert marked, "the depthwise convolutions the pass made are marked and in view"
    fate_of = frame.evaluate("""ids => ids.map(id => __k2pb.panes[1].sc && id[0] === 'n'
        ? __k2pb.panes[1].n.f[+id.slice(1)] : -1)""", marked)
    assert {fates[f] for f in fate_of if f >= 0} <= {"rw_muls_to_depthwise"}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "opencv_rewrite.png"))
    assert frame.evaluate("() => __k2pb.errors") == []
    assert outside_requests(requests) == [] and dialogs == []
    page.close()


def test_minimap_shows_a_graph_larger_than_its_pane(browser, stages_page):
    """No minimap while a graph fits its pane; zoomed in, one appears with every drawn box
    and a frame for the part shown; a click on it centres the pane there; Fit hides it."""
    page, frame, _, _ = _open_stages(browser, stages_page)
    state = """k => { const p = __k2pb.panes[k], m = p.mini;
      return { shown: !!m && m.getAttribute('visibility') === 'visible',
               boxes: m ? m.querySelectorAll('.k2-minibox').length : 0, n: p.nBoxes,
               view: m ? ['x', 'y', 'width', 'height'].map(a =>
                 +m.querySelector('.k2-miniview').getAttribute(a)) : null,
               size: m ? [+m.getAttribute('width'), +m.getAttribute('height')] : null }; }"""
    _key(page, frame, "f")
    assert not frame.evaluate(state, 0)["shown"]
    frame.evaluate("() => { const p = __k2pb.panes[0], wh = p.size(); "
                   "p.zoomAt(p.view.k * 4, wh[0] / 2, wh[1] / 2); }")
    # drawn in a task of its own, after the pane
    frame.wait_for_function("() => (__k2pb.panes[0].mini || {}).getAttribute && "
                            "__k2pb.panes[0].mini.getAttribute('visibility') === 'visible'",
                            timeout=10_000)
    mini = frame.evaluate(state, 0)
    assert mini["shown"] and mini["boxes"] == mini["n"] > 0
    x, y, w, h = mini["view"]
    assert 0 < w < mini["size"][0] and 0 < h < mini["size"][1], mini
    # a click near the minimap's top left corner brings the graph's top left into view
    frame.locator('.k2-pane[data-pane="0"] .k2-minimap').click(position={"x": 3, "y": 3})
    after = frame.evaluate(state, 0)["view"]
    assert after[0] < x or after[1] < y, (mini["view"], after)
    assert after[0] <= 3 and after[1] <= 3
    _key(page, frame, "f")
    assert not frame.evaluate(state, 0)["shown"]
    assert frame.evaluate("() => __k2pb.errors") == []
    page.close()


def test_drift_overlay_marks_the_first_divergence_and_jumps_to_it(browser, mnist_pair,
                                                                  tmp_path):
    """A weight of conv2 nudged in the Keras model (the .pb keeps the old one): the report
    finds conv2's convolution; the page colours the frozen pane by drift, marks that node
    (or the closed scope holding it) and its button frames it."""
    from keras2pb import per_node_drift, show_graphs

    model = mnist_pair["model"]
    kernel = model.get_layer("conv2").kernel
    saved = kernel.numpy()
    nudged = saved.copy()
    nudged[2, 0, 11, 30] += 0.5
    kernel.assign(nudged)
    try:
        report = per_node_drift(model, mnist_pair["frozen_pb"])
    finally:
        kernel.assign(saved)
    first = report.first_divergence["node"]
    assert first.endswith("conv2_1/convolution"), first
    view = show_graphs(mnist_pair["train_gd"], mnist_pair["infer_gd"], mnist_pair["frozen_gd"],
                       titles=STAGES, drift=report)
    path = tmp_path / "drift.html"
    path.write_text(view.page, encoding="utf-8")
    page, requests, dialogs = open_page(browser, path, width=1500, height=800)
    frame = wait_ready(page)
    frozen = '.k2-pane[data-pane="2"]'
    assert frame.evaluate("() => __k2pb.panes[2].fullName(__k2pb.panes[2].d.drift.first)") \
        == first
    # coloured by drift only in the frozen pane; the first divergence (or its scope) marked
    assert frame.locator(f"{frozen} .k2-drift").count() > 0
    assert frame.locator('.k2-pane[data-pane="0"] .k2-drift').count() == 0
    assert frame.locator(f"{frozen} .k2-diverged").count() == 1
    assert frame.locator(".k2-legend-drift").count() == 1
    assert frame.locator('.k2-legend-item[data-mark="diverged"]').count() == 1
    # the button opens its scopes, selects and frames it
    frame.locator(f"{frozen} .k2-goto-diverged").click()
    box = frame.evaluate("() => __k2pb.panes[2].shownBox(__k2pb.panes[2].d.drift.first)")
    assert box == "n" + str(frame.evaluate("() => __k2pb.panes[2].d.drift.first"))
    sel = f'{frozen} .k2-box.k2-op.k2-diverged[data-id="{box}"]'
    frame.wait_for_selector(sel, timeout=30_000)
    assert frame.evaluate(BOX_IN_VIEW, sel) == [box]
    assert frame.evaluate("() => __k2pb.panes[2].selected") == int(box[1:])
    assert float(frame.locator(sel).get_attribute("data-drift")) > 1e-3
    assert "first divergence: " + first in frame.locator(f"{frozen} .k2-status").inner_text()
    # the side panel's line jumps there too (after the view moved away)
    frame.locator(f"{frozen} .k2-reset").click()
    frame.locator("#k2-drift-list .k2-drift-first").click()
    frame.wait_for_selector(sel, timeout=30_000)
    assert frame.evaluate(BOX_IN_VIEW, sel) == [box]
    # an SVG export of the frozen pane keeps the colours and says what they mean
    svg = frame.evaluate("() => __k2pb.panes[2].svgText()")
    ET.fromstring(svg)
    assert "drift (max rel. diff, log)" in svg and "first divergence" in svg
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "drift_overlay.png"))
    assert frame.evaluate("() => __k2pb.errors") == []
    assert outside_requests(requests) == [] and dialogs == []
    page.close()
