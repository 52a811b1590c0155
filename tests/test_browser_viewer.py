"""The viewer page in a real headless Chromium: panes drawn, diff marked, clicks, no network."""

from __future__ import annotations

from pathlib import Path

import pytest
from viewer_fixtures import (
    HOSTILE,
    HOSTILE_OP,
    SCREENSHOTS,
    browser,  # noqa: F401 - a session fixture
    densenet_pair,  # noqa: F401 - a session fixture
    hostile_graph_def,
    mnist_pair,  # noqa: F401 - a session fixture
    open_page,
    outside_requests,
    small_graph_def,
    wait_ready,
)

from keras2pb.viewer import (
    iframe_html,
    prepare,
    side_by_side_page,
    single_page,
    visible_graph,
    write_html,
)

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
    assert frame.locator("#k2-summary").inner_text().startswith("removed ")
    # The browser draws exactly the boxes collapse.visible_graph computes for the first view.
    for k, pg in enumerate(pairs_prepared):
        expected = visible_graph(pg.hier, pg.graph, pg.expanded)
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


def _show_pair(browser, pair: dict, html: Path, screenshot: str):  # noqa: F811
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


def test_mnist_pair_side_by_side(browser, mnist_pair, tmp_path):  # noqa: F811
    page, frame, requests = _show_pair(browser, mnist_pair, tmp_path / "mnist.html",
                                       "mnist_side_by_side.png")
    # search by regex marks boxes
    frame.locator('.k2-pane[data-pane="1"] .k2-search').fill("Conv2D")
    frame.wait_for_selector('.k2-pane[data-pane="1"] .k2-match', timeout=10_000)
    assert outside_requests(requests) == []
    page.close()


def test_mnist_pair_in_a_sandboxed_srcdoc_iframe(browser, mnist_pair, tmp_path):  # noqa: F811
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


def test_densenet121_pair_stays_usable(browser, densenet_pair, tmp_path):  # noqa: F811
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


def test_hostile_names_render_as_text(browser, tmp_path):  # noqa: F811
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
    assert outside_requests(requests) == []
    page.close()
