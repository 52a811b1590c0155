/* navigate.js: the change navigator (changes by transition, reason and layer), search with a
 * field choice and a result list, keyboard shortcuts, and the view state in the URL hash. */

// ---- search ---------------------------------------------------------------------------------
var FIELDS = { name: "name", op: "op type", attr: "attribute" };

Pane.prototype.fieldText = function (i, field) {
  if (field === "op") return this.d.ops[this.n.op[i]];
  if (field === "attr") {
    return this.d.attrs[this.n.at[i]].map(function (kv) { return kv[0] + "=" + kv[1]; })
      .join("\n");
  }
  return this.fullName(i);
};

Pane.prototype.markMatches = function () {
  var self = this, memo = this.matchMemo, marked;
  // the boxes showing the matches, remembered for the same matches in the same view
  if (memo && memo[0] === this.matches && memo[1] === this.code) {
    marked = memo[2];
  } else {
    marked = new Set();
    if (this.matches) this.matches.forEach(function (i) { marked.add(self.shownBox(i)); });
    this.matchMemo = [this.matches, this.code, marked];
  }
  var boxes = this.vp.querySelectorAll(".k2-box"), count = 0;
  for (var k = 0; k < boxes.length; k++) {
    var on = marked.has(boxes[k].getAttribute("data-id"));
    boxes[k].classList.toggle("k2-match", on);
    if (on) count++;
  }
  return count;
};

// Search every pane: a regular expression on one field; fills the result list.
function runSearch(text, field) {
  var input = document.getElementById("k2-find");
  if (input) input.classList.remove("k2-bad");
  var found = state.found = { text: text, field: field, results: [], cursor: -1 };
  var re = null;
  if (text) {
    try { re = new RegExp(text, "i"); } catch (err) {
      if (input) input.classList.add("k2-bad");
      setFindStatus("Not a regular expression: " + err.message);
      return;
    }
  }
  state.panes.forEach(function (p) {
    p.matches = re ? [] : null;
    if (re) {
      for (var i = 0; i < p.n.op.length; i++) {
        if (re.test(p.fieldText(i, field))) { p.matches.push(i); found.results.push([p.index, i]); }
      }
    }
    p.markMatches();
  });
  showResults();
  if (!text) { setFindStatus(""); return; }
  setFindStatus(fmt(found.results.length) + " result" + (found.results.length === 1 ? "" : "s")
    + " (" + FIELDS[field] + ")" + (found.results.length ? " \u2014 Enter: next" : ""));
}

function setFindStatus(text) {
  var el = document.getElementById("k2-find-status");
  if (el) el.textContent = text;
}

var MAX_RESULTS = 300;
function showResults() {
  var list = document.getElementById("k2-results");
  if (!list) return;
  list.textContent = "";
  var found = state.found;
  if (!found || !found.text) return;
  found.results.slice(0, MAX_RESULTS).forEach(function (r, k) {
    var p = state.panes[r[0]], li = h("li", "k2-result", list);
    li.dataset.k = String(k);
    if (state.panes.length > 1) h("span", "k2-rpane", li, p.d.title + " ");
    h("span", "", li, p.fullName(r[1]));
    h("span", "k2-rop", li, " " + p.d.ops[p.n.op[r[1]]]);
    li.addEventListener("click", function () { gotoResult(k); });
  });
  if (found.results.length > MAX_RESULTS) {
    h("li", "k2-more", list, "\u2026 " + fmt(found.results.length - MAX_RESULTS) + " more");
  }
  openSide(true);
}

function gotoResult(k) {
  var found = state.found;
  if (!found || !found.results.length) return;
  var n = found.results.length;
  k = ((k % n) + n) % n;
  found.cursor = k;
  var r = found.results[k];
  state.panes[r[0]].focusNode(r[1]);
  var items = document.querySelectorAll("#k2-results .k2-result");
  for (var j = 0; j < items.length; j++) items[j].classList.toggle("k2-on", j === k);
  if (items[k]) items[k].scrollIntoView({ block: "nearest" });
  setFindStatus("result " + fmt(k + 1) + " of " + fmt(n) + " (" + FIELDS[found.field] + ")");
}

// Open the scopes holding node i, select it and centre it; the same in the linked panes.
Pane.prototype.focusNode = function (i) {
  if (!this.openTo(i)) return false;
  var self = this;
  this.linkedOthers().forEach(function (o) {
    var j = self.twinIn(o, i);
    if (j >= 0) o.openTo(j);
  });
  this.select(i, false);
  this.centerAt(this.shownBox(i));
  return true;
};

// Centre box ``id`` at the current scale (at least legible).
Pane.prototype.centerAt = function (id) {
  var r = this.boxRect(id);
  if (!r) return;
  var k = Math.max(this.view.k, this.legible()), wh = this.size();
  this.view = { x: wh[0] / 2 - (r[0] + r[2] / 2) * k, y: wh[1] / 2 - (r[1] + r[3] / 2) * k,
                k: k };
  this.apply();
};

// ---- change navigator ---------------------------------------------------------------------
// The "layer" of node i: its box in the first view; inside a box whose nodes had several
// fates, the scope one level down (a model's scope gives way to its layers).
Pane.prototype.layerBox = function (i, first) {
  var box = this.boxOf(i, first);
  for (var depth = 0; depth < 2 && box[0] === "s"; depth++) {
    var s = +box.slice(1), up = this.n.p[i], child = -1;
    if (this.sc.fc[s].length <= 2) break;
    while (up > 0 && up !== s) { child = up; up = this.sc.p[up]; }
    if (up !== s || child < 0) break;
    box = "s" + child;
  }
  return box;
};
// Groups: per transition, fate and first-view box ("layer"), the nodes that changed, each
// counted once, in the pane that shows it (DATA.nav: fate key -> [pane, transition]).
function buildChanges() {
  var groups = [], nav = DATA.nav || {};
  state.panes.forEach(function (p) {
    var first = new Set(p.d.expanded), byKey = new Map();
    for (var i = 0; i < p.n.op.length; i++) {
      var f = p.n.f[i];
      if (f < 0) continue;
      var home = nav[FATES[f][0]];
      if (!home || home[0] !== p.index) continue;
      var j = p.visibleNode(i);
      var box = p.layerBox(j >= 0 ? j : i, first);
      var key = f + " " + box, gr = byKey.get(key);
      if (!gr) {
        var label = box[0] === "s" ? p.scopeName(+box.slice(1)) : p.fullName(+box.slice(1));
        gr = { t: home[1], fate: f, pane: p.index, box: box, label: label || "(top level)",
               nodes: [] };
        byKey.set(key, gr);
        groups.push(gr);
      }
      gr.nodes.push(i);
    }
  });
  groups.sort(function (a, b) {
    return a.t - b.t || a.fate - b.fate || b.nodes.length - a.nodes.length
      || (a.label < b.label ? -1 : 1);
  });
  state.changes = groups;
  state.changeCursor = -1;
  return groups;
}

function showChanges(parent) {
  var groups = state.changes, last = -1, lastFate = -1;
  var list = h("ul", "", parent);
  list.id = "k2-changes";
  groups.forEach(function (g, k) {
    if (g.t !== last) {
      var tr = (DATA.transitions || [])[g.t];
      h("li", "k2-chead", list, tr ? tr.title : "changes");
      last = g.t;
      lastFate = -1;
    }
    if (g.fate !== lastFate) {
      var total = 0;
      groups.forEach(function (o) { if (o.t === g.t && o.fate === g.fate) total += o.nodes.length; });
      var fh = h("li", "k2-cfate", list);
      var sw = h("span", "k2-swatch", fh);
      sw.style.background = colours(g.fate)[0];
      if (isRemoved(g.fate)) sw.style.borderStyle = "dashed";
      fh.appendChild(document.createTextNode(fateText(g.fate) + " \u2014 " + fmt(total)));
      lastFate = g.fate;
    }
    var li = h("li", "k2-change", list);
    li.dataset.k = String(k);
    li.dataset.fate = fateKey(g.fate);
    h("span", "k2-clabel", li, g.label);
    h("span", "k2-ccount", li, fmt(g.nodes.length));
    li.title = fmt(g.nodes.length) + " \u00d7 " + fateText(g.fate) + " in " + g.label + " ("
      + state.panes[g.pane].d.title + ")";
    li.addEventListener("click", function () { openChange(k); });
  });
}

// Open change group k: open its box in its pane (and the linked panes), frame it, and mark
// its nodes (and their twins) in every pane.
function openChange(k) {
  var groups = state.changes;
  if (!groups || !groups.length) return;
  var n = groups.length;
  k = ((k % n) + n) % n;
  state.changeCursor = k;
  var g = groups[k], p = state.panes[g.pane], t0 = performance.now();
  state.panes.forEach(function (q) { q.matches = null; });
  p.matches = g.nodes.slice();
  p.others().forEach(function (o) {
    var m = [];
    g.nodes.forEach(function (i) { var j = p.twinIn(o, i); if (j >= 0) m.push(j); });
    o.matches = m;
  });
  if (g.box[0] === "s") {
    var sidx = +g.box.slice(1);
    if (!p.isVisibleScope(sidx, p.expanded)) p.openTo(g.nodes[0]);
    if (p.expanded.has(sidx)) {
      p.frameBox(g.box);
      p.mirror(sidx, true);
    } else if (!p.expand(sidx)) {
      p.focusNode(g.nodes[0]);
    }
  } else {
    p.focusNode(g.nodes[0]);
  }
  state.panes.forEach(function (q) { q.markMatches(); });
  var items = document.querySelectorAll("#k2-changes .k2-change");
  for (var j = 0; j < items.length; j++) items[j].classList.toggle("k2-on", j === k);
  // scrolled to after this task: scrolling now would make the browser lay out the page
  // (with the panes just redrawn) before it paints
  if (items[k]) setTimeout(function () { items[k].scrollIntoView({ block: "nearest" }); }, 0);
  var status = document.getElementById("k2-change-status");
  if (status) {
    status.textContent = "change " + (k + 1) + " of " + n + ": " + fmt(g.nodes.length) + " \u00d7 "
      + fateText(g.fate) + " in " + g.label;
  }
  state.openChangeMs = performance.now() - t0;
}

// ---- side panel (changes, find results) ---------------------------------------------------
function openSide(on) {
  var side = document.getElementById("k2-side");
  if (!side) return;
  state.sideAuto = false;
  side.hidden = !on;
  var btn = document.getElementById("k2-side-btn");
  if (btn) btn.setAttribute("aria-pressed", on ? "true" : "false");
  state.panes.forEach(function (p) { if (p.selected >= 0) p.placeDetails(); });
}

// ---- keyboard ---------------------------------------------------------------------------------
var SHORTCUTS = [
  ["/  or  Ctrl+F", "search (choose the field: name, op type, attribute)"],
  ["Enter / Shift+Enter", "next / previous search result"],
  ["N  or  ]", "next change"], ["P  or  [", "previous change"],
  ["F  or  Space", "fit the graphs to their panes"], ["R", "reset the view"],
  ["J", "projector mode on / off"], ["Esc", "close the details and this list"],
  ["?", "show these shortcuts"]
];

function toggleHelp(on) {
  var help = document.getElementById("k2-help");
  if (!help) return;
  help.hidden = on === undefined ? !help.hidden : !on;
}

function onKey(ev) {
  var tag = ev.target && ev.target.tagName, typing = tag === "INPUT" || tag === "SELECT";
  if (ev.key === "Escape") {
    state.panes.forEach(function (p) { p.hideDetails(); });
    toggleHelp(false);
    if (typing) ev.target.blur();
    return;
  }
  if ((ev.ctrlKey || ev.metaKey) && (ev.key === "f" || ev.key === "F")) {
    ev.preventDefault();
    focusFind();
    return;
  }
  if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  var k = ev.key, handled = true;
  if (k === "/") focusFind();
  else if (k === "f" || k === "F" || k === " ") fitAll();
  else if (k === "n" || k === "N" || k === "]") openChange(state.changeCursor + 1);
  else if (k === "p" || k === "P" || k === "[") openChange(state.changeCursor - 1);
  else if (k === "r" || k === "R") resetAll();
  else if (k === "j" || k === "J") setProjector(!state.projector);
  else if (k === "?") toggleHelp();
  else handled = false;
  if (handled) ev.preventDefault();
}

function focusFind() {
  var input = document.getElementById("k2-find");
  if (input) { input.focus(); input.select(); }
}

// ---- the view in the URL hash -----------------------------------------------------------------
// "#k2=" + JSON: open scopes and view per pane, the selection, projector mode. A saved page
// opened with it comes back where it was. ("#k2-cold" is the benchmark's and left alone.)
var hashTimer = null;
function saveHash() {
  if (!state.ready || state.restoring) return;
  clearTimeout(hashTimer);
  hashTimer = setTimeout(function () {
    var sel = null;
    state.panes.forEach(function (p) { if (p.selected >= 0) sel = [p.index, p.selected]; });
    var data = {
      o: state.panes.map(function (p) {
        return Array.from(p.expanded).sort(function (a, b) { return a - b; });
      }),
      v: state.panes.map(function (p) {
        return [Math.round(p.view.x), Math.round(p.view.y), +p.view.k.toFixed(4)];
      }),
      s: sel, j: state.projector ? 1 : 0
    };
    state.hash = "#k2=" + encodeURIComponent(JSON.stringify(data));
    if (location.hash === "#k2-cold") return;
    try { history.replaceState(null, "", state.hash); } catch (err) { /* a sandboxed srcdoc */ }
  }, 200);
}

// Read the hash; returns true when it restored a view.
function restoreHash() {
  var m = /^#k2=(.*)$/.exec(location.hash || "");
  if (!m) return false;
  var data;
  try { data = JSON.parse(decodeURIComponent(m[1])); } catch (err) { return false; }
  if (!data || !Array.isArray(data.o) || data.o.length !== state.panes.length) return false;
  state.restoring = true;
  try {
    if (data.j) { state.projector = true; document.body.classList.add("k2-proj"); }
    state.panes.forEach(function (p, k) {
      var open = new Set([0]);
      (data.o[k] || []).forEach(function (s) {
        if (typeof s === "number" && s > 0 && s < p.sc.p.length) open.add(s);
      });
      if (p.countBoxes(open) <= MAX_BOXES) p.expanded = open;
      p.render();
      var v = (data.v || [])[k];
      if (v && v.length === 3 && v.every(isFinite) && v[2] > 0) {
        p.view = { x: v[0], y: v[1], k: v[2] };
        p.apply();
      }
    });
    var sel = data.s;
    if (sel && state.panes[sel[0]] && sel[1] >= 0 && sel[1] < state.panes[sel[0]].n.op.length) {
      state.panes[sel[0]].selected = sel[1];
      state.panes[sel[0]].markSelected();
    }
  } finally {
    state.restoring = false;
  }
  return true;
}
