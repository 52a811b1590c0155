/* viewer.js: the page: the sentence per transition, the legend, controls, the side panel
 * (changes, search results), shortcuts help, projector mode, and the start. The graph panes
 * live in js/panes.js and js/layout.js, details in js/details.js, navigation in
 * js/navigate.js, exports in js/export.js (base.js first: see viewer/page.py). */

function legendItem(parent, fate, label) {
  var item = h("span", "k2-legend-item", parent);
  item.dataset.fate = fateKey(fate);
  var sw = h("span", "k2-swatch", item);
  sw.style.background = colours(fate)[0];
  if (isRemoved(fate)) sw.style.borderStyle = "dashed";
  if (fateKind(fate) === "changed") sw.style.borderWidth = "2px";
  if (fateKind(fate) === "input") sw.style.borderColor = "#009E73";
  item.appendChild(document.createTextNode(label));
  return item;
}

function markItem(parent, mark, label) {
  var item = h("span", "k2-legend-item k2-legend-mark", parent);
  item.dataset.mark = mark;
  h("span", "k2-mk k2-mk-" + mark, item);
  item.appendChild(document.createTextNode(label));
  return item;
}

function buildLegend(top) {
  var legend = h("div", "k2-legend", top), present = new Set(), chips = [false, false];
  state.panes.forEach(function (p) {
    for (var i = 0; i < p.n.f.length; i++) if (p.n.f[i] >= 0) present.add(p.n.f[i]);
    Object.keys(p.chips).forEach(function (i) {
      p.chips[i].forEach(function (c) { chips[c[3] ? 1 : 0] = true; });
    });
  });
  var removed = CATS.filter(function (c, k) { return present.has(FATE_INDEX[c[0]]); });
  if (removed.length) h("span", "k2-legend-head", legend, DATA.removedHead || "removed:");
  removed.forEach(function (c) { legendItem(legend, FATE_INDEX[c[0]], c[1]); });
  FATES.forEach(function (f, k) {
    if (REMOVED.has(f[0]) && FATE_INDEX[f[0]] < CATS.length) return;
    if (present.has(k)) legendItem(legend, k, f[1]);
  });
  if (chips[0]) markItem(legend, "chip-var", "variable (read at run time)");
  if (chips[1]) markItem(legend, "chip-const", "constant made by freezing");
  if (present.size) markItem(legend, "bar", "bar: a mixed box's fates in proportion");
  driftLegend(legend);
  markItem(legend, "scope", "closed scope (click)");
  if (state.panes.length > 1) markItem(legend, "twin", "same node, other pane");
  markItem(legend, "match", "search / change");
  markItem(legend, "sel", "selected");
}

function buildSentences(top) {
  var box = h("div", "", top);
  box.id = "k2-summary";
  if (DATA.summary) box.title = DATA.summary;
  (DATA.transitions || []).forEach(function (tr, k) {
    var line = h("div", "k2-sentence", box);
    line.dataset.transition = String(k);
    h("span", "k2-stitle", line, tr.title + ": ");
    line.appendChild(document.createTextNode(tr.text));
  });
  if (!(DATA.transitions || []).length && DATA.summary) box.textContent = DATA.summary;
}

function buildControls(top) {
  var bar = h("div", "k2-controls", top);
  if (DATA.panes.length > 1) {
    var lab = h("label", "", bar);
    var link = h("input", "", lab);
    link.type = "checkbox";
    link.checked = true;
    link.id = "k2-link";
    lab.appendChild(document.createTextNode(" link panes"));
    lab.title = "One scale for all panes; opening a scope opens it in all of them";
    link.addEventListener("change", function () { state.linked = link.checked; firstView(); });
  }
  var find = h("span", "k2-findbar", bar);
  var field = h("select", "", find);
  field.id = "k2-field";
  field.title = "Which field the search looks at";
  Object.keys(FIELDS).forEach(function (k) {
    var o = h("option", "", field, FIELDS[k]);
    o.value = k;
  });
  var input = h("input", "k2-search-both", find);
  input.id = "k2-find";
  input.type = "search";
  input.placeholder = "search (regex)  /";
  input.title = "Regular expression on the chosen field, in every pane; Enter: next result";
  var timer = null;
  var go = function () { runSearch(input.value, field.value); };
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(go, 180); });
  field.addEventListener("change", go);
  input.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    if (!state.found || state.found.text !== input.value || state.found.field !== field.value) go();
    var c = state.found ? state.found.cursor : -1;
    gotoResult(ev.shiftKey ? c - 1 : c + 1);
  });
  var prev = h("button", "k2-prev", find, "\u2191");
  prev.title = "Previous result (Shift+Enter)";
  prev.addEventListener("click", function () { gotoResult((state.found || {}).cursor - 1); });
  var next = h("button", "k2-next", find, "\u2193");
  next.title = "Next result (Enter)";
  next.addEventListener("click", function () { gotoResult((state.found || {}).cursor + 1); });
  h("span", "", find, "").id = "k2-find-status";
  if (state.changes.length) {
    var side = h("button", "", bar, "Changes (" + fmt(state.changes.length) + ")");
    side.id = "k2-side-btn";
    side.title = "The changes by transition, reason and layer (N / P: next / previous)";
    side.addEventListener("click", function () {
      openSide(document.getElementById("k2-side").hidden);
    });
  }
  var proj = h("button", "", bar, "Projector");
  proj.id = "k2-proj-btn";
  proj.title = "Large labels for a projector (J)";
  proj.addEventListener("click", function () { setProjector(!state.projector); });
  var help = h("button", "", bar, "?");
  help.id = "k2-help-btn";
  help.title = "Keyboard shortcuts (?)";
  help.addEventListener("click", function () { toggleHelp(); });
  var hint = h("span", "", bar, "Ctrl/\u2318 + wheel zooms (plain wheel after a click on a "
    + "graph); drag pans.");
  hint.id = "k2-hint";
  if (DATA.table && DATA.table.rows && DATA.table.rows.length) buildTable(bar);
}

// The per-op-type table: one column group per transition.
function buildTable(bar) {
  var det = h("details", "", bar);
  h("summary", "", det, "per op type");
  var wrap = h("div", "", det);
  wrap.id = "k2-table";
  var table = h("table", "", wrap), tr1 = h("tr", "", table), tr2 = h("tr", "", table);
  h("th", "", tr1, "");
  h("th", "", tr2, "op type");
  DATA.table.groups.forEach(function (g) {
    var th = h("th", "k2-group", tr1, g[0]);
    th.colSpan = g[1].length;
    g[1].forEach(function (c, k) { h("th", k ? "" : "k2-gstart", tr2, c); });
  });
  DATA.table.rows.forEach(function (row) {
    var r = h("tr", "", table);
    row.forEach(function (cell, k) { h("td", "", r, k && !cell ? "\u00b7" : String(cell)); });
  });
}

function buildSide(main) {
  var side = h("div", "", main);
  side.id = "k2-side";
  driftSide(side);
  if (state.changes.length) {
    h("div", "k2-sidehead", side, "Changes");
    h("div", "k2-sidenote", side, "").id = "k2-change-status";
    showChanges(side);
  }
  h("div", "k2-sidehead", side, "Search results");
  h("ul", "", side).id = "k2-results";
  state.sideAuto = true;  // open on a wide page until a person (or search) decides
  autoSide();
}

// The side panel opens by itself on a page 1,200 px wide or more (re-checked when the page
// is resized: a notebook's frame may still be narrow when the page starts).
function autoSide() {
  var side = document.getElementById("k2-side");
  if (!side || !state.sideAuto) return false;
  var wide = window.innerWidth >= 1200 && state.changes.length > 0;
  if (side.hidden !== wide) return false;
  side.hidden = !wide;
  state.panes.forEach(function (p) { if (p.selected >= 0) p.placeDetails(); });
  return true;
}

function buildHelp() {
  var help = h("div", "", document.body);
  help.id = "k2-help";
  help.hidden = true;
  h("div", "k2-stitle", help, "Keyboard shortcuts");
  var table = h("table", "", help);
  SHORTCUTS.forEach(function (sc) {
    var tr = h("tr", "", table);
    h("th", "", tr, sc[0]);
    h("td", "", tr, sc[1]);
  });
  help.addEventListener("click", function () { toggleHelp(false); });
}

function setProjector(on) {
  state.projector = on;
  document.body.classList.toggle("k2-proj", on);
  if (on) openSide(false);
  var btn = document.getElementById("k2-proj-btn");
  if (btn) btn.setAttribute("aria-pressed", on ? "true" : "false");
  state.panes.forEach(function (p) { p.render(); });
  firstView();
  saveHash();
  askHeight();
}

// Tell the notebook's frame how tall the page wants to be (the frame listens, see
// page.iframe_html); nothing happens on a page of its own.
function askHeight() {
  if (window.parent === window) return;
  var top = document.getElementById("k2-top").offsetHeight, most = 0;
  state.panes.forEach(function (p) {
    var head = p.el.offsetHeight - p.canvas.clientHeight;
    most = Math.max(most, head + p.graphSize[1] * p.view.k + 24);
  });
  var want = Math.round(Math.min(Math.max(top + most, 420), 1100));
  state.askedHeight = want;
  try { window.parent.postMessage({ k2pbHeight: want }, "*"); } catch (err) { /* none */ }
}

// Once the first view is painted: lay out a tiny graph with nested frames, so the browser
// compiles dagre's code for frames now (the first view may have none) rather than at the
// first click that opens a box (that compile cost ~50 ms of the first opening).
function warmUp() {
  var t0 = performance.now();
  try {
    var g = new dagre.graphlib.Graph({ compound: true });
    g.setGraph({ rankdir: "TB" });
    g.setDefaultEdgeLabel(function () { return {}; });
    ["a", "b", "c", "d", "e"].forEach(function (v) { g.setNode(v, { width: 40, height: 20 }); });
    g.setNode("f", {});
    g.setNode("f2", {});
    g.setParent("b", "f");
    g.setParent("c", "f2");
    g.setParent("d", "f2");
    g.setParent("f2", "f");
    [["a", "b"], ["b", "c"], ["c", "d"], ["a", "d"], ["d", "e"], ["a", "e"]].forEach(
      function (e) { g.setEdge(e[0], e[1], { weight: 1 }); });
    dagre.layout(g);
  } catch (err) {
    state.errors.push("warm-up: " + err.message);
  }
  state.warmMs = performance.now() - t0;
}

function main() {
  var root = document.getElementById("k2-panes");
  DATA.panes.forEach(function (d, k) { state.panes.push(new Pane(root, d, k)); });
  document.body.dataset.panes = String(DATA.panes.length);
  buildChanges();
  var top = document.getElementById("k2-top");
  if (DATA.summary || (DATA.transitions || []).length) buildSentences(top);
  if (DATA.panes.some(function (d) {
    return d.drift || d.n.f.some(function (f) { return f >= 0; });
  })) {
    buildLegend(top);
  }
  buildControls(top);
  buildSide(document.getElementById("k2-main"));
  buildHelp();
  var restored = false;
  state.panes.forEach(function (p) {
    try {
      if (!p.render()) p.graphSize = [1, 1];
    } catch (err) {
      state.errors.push(String(err && err.message));
      p.say("Could not draw this graph: " + (err && err.message), true);
      p.graphSize = [1, 1];
    }
  });
  firstView();
  try { restored = restoreHash(); } catch (err) { state.errors.push("hash: " + err.message); }
  state.restored = restored;
  // Drawn (laid out, in the DOM) now; painted at the next frame, which a browser may delay
  // for an iframe scrolled out of view, so "ready" does not wait for it.
  state.drawnMs = performance.now();
  state.ready = true;
  document.body.setAttribute("data-ready", "1");
  document.addEventListener("keydown", onKey);
  requestAnimationFrame(function () {
    state.firstPaintMs = performance.now();
    if (autoSide() && !state.restored) firstView();
    askHeight();
    if (location.hash !== "#k2-cold") setTimeout(warmUp, 0);  // the benchmark's worst case
  });
  window.addEventListener("resize", function () { autoSide(); firstView(); });
}

main();
