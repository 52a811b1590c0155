/* panes.js: one pane per graph, its scope tree, and linking: twins (the same node in the
 * other panes), opening a scope in all linked panes, one scale, framing, pan and zoom. */

function Pane(root, d, index) {
  this.d = d;
  this.index = index;
  this.n = d.n;
  this.sc = d.s;
  this.chips = d.chips || {};
  this.expanded = new Set(d.expanded);
  this.matches = null;
  this.selected = -1;
  this.view = { x: 0, y: 0, k: 1 };
  this.build(root);
}

Pane.prototype.build = function (root) {
  var self = this, d = this.d;
  var pane = h("div", "k2-pane", root);
  pane.dataset.pane = String(this.index);
  if (d.role) pane.dataset.role = d.role;
  this.el = pane;
  var head = h("div", "k2-head", pane);
  h("span", "k2-title", head, d.title);
  this.counts = h("span", "k2-counts", head);
  var stage = DATA.stages[this.index];
  if (stage && DATA.stages.length === DATA.panes.length) this.countBar(head, stage);
  var tools = h("span", "k2-tools", head);
  var fit = h("button", "k2-fit", tools, "Fit");
  fit.title = "Fit the graph to the pane (key F or Space)";
  fit.addEventListener("click", function () { fitAll(self); });
  var reset = h("button", "k2-reset", tools, "Reset");
  reset.title = "Back to the first view (linked panes too)";
  reset.addEventListener("click", function () { resetAll(self); });
  var svgBtn = h("button", "k2-svg", tools, "SVG");
  svgBtn.title = "Download this pane as an SVG file with its title, summary and legend";
  svgBtn.addEventListener("click", function () { self.download("svg"); });
  var pngBtn = h("button", "k2-png", tools, "PNG");
  pngBtn.title = "Download this pane as a PNG image with its title, summary and legend";
  pngBtn.addEventListener("click", function () { self.download("png"); });
  this.status = h("div", "k2-status", pane);
  var canvas = h("div", "k2-canvas", pane);
  this.canvas = canvas;
  var svg = s("svg", { "aria-label": "graph of " + d.title }, canvas);
  this.svg = svg;
  var defs = s("defs", {}, svg);
  var marker = s("marker", {
    id: "k2-arrow-" + this.index, viewBox: "0 0 10 10", refX: "9", refY: "5",
    markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse"
  }, defs);
  s("path", { d: "M0,0 L10,5 L0,10 z", "class": "k2-arrow" }, marker);
  this.vp = s("g", { "class": "k2-viewport" }, svg);
  this.details = h("div", "k2-details", pane);
  this.details.hidden = true;
  this.bindPanZoom();
};

// The stage's node count as a bar as long as its share of the largest stage, split by fate.
Pane.prototype.countBar = function (head, stage) {
  var most = 1;
  DATA.stages.forEach(function (st) { most = Math.max(most, st.count); });
  var track = h("span", "k2-track", head);
  track.title = fmt(stage.count) + " nodes (bar: this stage's share of the largest)";
  var bar = h("span", "k2-bar", track);
  bar.style.width = Math.max(1, 100 * stage.count / most) + "%";
  stage.parts.forEach(function (part) {
    var seg = h("span", "k2-barseg", bar);
    seg.style.width = (100 * part[1] / Math.max(1, stage.count)) + "%";
    seg.style.background = colours(part[0])[0];
    seg.dataset.fate = fateKey(part[0]);
    seg.title = fateText(part[0]) + ": " + fmt(part[1]);
  });
};

Pane.prototype.others = function () {
  var self = this;
  return state.panes.filter(function (p) { return p !== self; });
};
Pane.prototype.linkedOthers = function () { return state.linked ? this.others() : []; };

Pane.prototype.fate = function (i) { return this.n.f[i]; };

// Node i's twin (the same node) in pane q, or -1: through the panes between when the data
// links neighbours only (training step - trace - frozen graph).
Pane.prototype.twinIn = function (q, i) {
  var tw = this.d.tw || [];
  if (tw[q.index]) return tw[q.index][i];
  var step = q.index > this.index ? 1 : -1, at = this, idx = i;
  while (at !== q && idx >= 0) {
    var next = state.panes[at.index + step], link = (at.d.tw || [])[next.index];
    if (!link) return -1;
    idx = link[idx];
    at = next;
  }
  return idx;
};

Pane.prototype.scopeIndex = function () {
  if (!this.byScopeName) {
    this.byScopeName = new Map();
    for (var k = 1; k < this.sc.label.length; k++) this.byScopeName.set(this.scopeName(k), k);
  }
  return this.byScopeName;
};

Pane.prototype.say = function (text, warn) {
  this.status.textContent = text;
  this.status.classList.toggle("k2-warn", !!warn);
};

Pane.prototype.fullName = function (i) {
  var path = this.sc.path[this.n.p[i]], suffix = this.n.name[i];
  if (!suffix) return path;
  return path ? path + "/" + suffix : suffix;
};

Pane.prototype.scopeName = function (sidx) {
  var label = this.sc.label[sidx], kind = this.sc.kind[sidx];
  if (kind === "group") {
    var parent = this.sc.p[sidx];
    return (this.sc.path[parent] ? this.sc.path[parent] + "/" : "") + "[" + label + "]";
  }
  return this.sc.path[sidx];
};

Pane.prototype.boxOf = function (i, expanded) {
  var p = this.sc.p, sidx = this.n.p[i], top = -1;
  while (sidx > 0) {
    if (!expanded.has(sidx)) top = sidx;
    sidx = p[sidx];
  }
  return top >= 0 ? "s" + top : "n" + i;
};

Pane.prototype.isVisibleScope = function (sidx, expanded) {
  var p = this.sc.p, up = p[sidx];
  while (up > 0) {
    if (!expanded.has(up)) return false;
    up = p[up];
  }
  return true;
};

// Per scope: its outermost closed scope (itself included), or -1 when it and all its
// parents are open. One pass: scopes are numbered parents first (preorder).
Pane.prototype.scopeTops = function (expanded) {
  var p = this.sc.p, top = new Int32Array(p.length);
  top[0] = -1;
  for (var k = 1; k < p.length; k++) {
    var up = top[p[k]];
    top[k] = up >= 0 ? up : (expanded.has(k) ? -1 : k);
  }
  return top;
};

// Per scope s: the scopes beneath it (itself included) are s .. end[s] - 1 (preorder).
Pane.prototype.subtreeEnd = function () {
  if (!this.ends) {
    var p = this.sc.p, end = new Int32Array(p.length), k;
    for (k = 0; k < p.length; k++) end[k] = k + 1;
    for (k = p.length - 1; k > 0; k--) if (end[k] > end[p[k]]) end[p[k]] = end[k];
    this.ends = end;
  }
  return this.ends;
};

// Box codes: node i is drawn in box ``code[i]``: i for its own box, nNodes + s for the
// closed scope s; -1 for a folded node.
Pane.prototype.boxId = function (code) {
  var nn = this.n.op.length;
  return code < nn ? "n" + code : "s" + (code - nn);
};
Pane.prototype.boxCode = function (id) {
  return id[0] === "n" ? +id.slice(1) : this.n.op.length + +id.slice(1);
};

// The id of the box drawing node i in the current view (undefined when folded).
Pane.prototype.drawnBox = function (i) {
  var c = this.code ? this.code[i] : -1;
  return c >= 0 ? this.boxId(c) : undefined;
};

// The box showing node i now: its own, its closed scope's, or (a folded constant or
// variable) that of its first consumer.
Pane.prototype.shownBox = function (i) {
  var b = this.drawnBox(i);
  if (b !== undefined) return b;
  if (this.n.fd[i]) {
    var users = this.consumersOf(i);
    for (var k = 0; k < users.length; k++) {
      b = this.drawnBox(users[k]);
      if (b !== undefined) return b;
    }
  }
  return this.boxOf(i, this.expanded);
};

// The node whose box stands for node i: itself, or for a folded node its first consumer.
Pane.prototype.visibleNode = function (i) {
  if (!this.n.fd[i]) return i;
  var users = this.consumersOf(i);
  for (var k = 0; k < users.length; k++) {
    var j = this.visibleNode(users[k]);
    if (j >= 0) return j;
  }
  return -1;
};

Pane.prototype.consumersOf = function (i) {
  if (!this.users) {
    var n = this.n, users = new Array(n.op.length);
    for (var j = 0; j < n.op.length; j++) {
      var lists = [n.in[j], n.fo[j]];
      for (var a = 0; a < 2; a++) {
        for (var k = 0; k < lists[a].length; k++) {
          var src = lists[a][k];
          (users[src] || (users[src] = [])).push(j);
        }
      }
    }
    this.users = users;
  }
  return this.users[i] || [];
};

Pane.prototype.expand = function (sidx, mirrored) {
  var next = new Set(this.expanded);
  next.add(sidx);
  var vis = this.visible(next), count = vis.boxes.size;
  if (count > MAX_BOXES) {
    this.say("Not expanded: \u201c" + this.scopeName(sidx) + "\u201d would show " + fmt(count)
      + " boxes (limit " + fmt(MAX_BOXES) + "). Expand a smaller scope, or search for it.",
      true);
    return false;
  }
  var before = this.expanded;
  this.expanded = next;
  if (!this.render(vis)) { this.expanded = before; this.render(); return false; }
  this.frameBox("s" + sidx);
  if (!mirrored) this.mirror(sidx, true);
  saveHash();
  return true;
};

// With linked panes, open (or close) the scope of the same name in the other panes.
Pane.prototype.mirror = function (sidx, open) {
  var name = this.scopeName(sidx);
  this.linkedOthers().forEach(function (o) {
    var k = o.scopeIndex().get(name);
    if (k === undefined) return;
    if (open) {
      if (!o.expanded.has(k)) {
        // open its closed parents too, so what opened here is visible there
        var next = new Set(o.expanded), up = o.sc.p[k];
        while (up > 0) { next.add(up); up = o.sc.p[up]; }
        if (o.countBoxes(next) <= MAX_BOXES) o.expanded = next;
        if (o.isVisibleScope(k, o.expanded)) o.expand(k, true);
      } else {
        o.frameBox("s" + k);
      }
    } else if (o.expanded.has(k)) {
      o.collapse(k, true);
    }
  });
};

Pane.prototype.collapse = function (sidx, mirrored) {
  var p = this.sc.p, next = new Set();
  this.expanded.forEach(function (x) {
    var up = x;
    while (up > 0 && up !== sidx) up = p[up];
    if (up !== sidx) next.add(x);
  });
  this.expanded = next;
  this.render();
  this.frameBox("s" + sidx);
  if (!mirrored) this.mirror(sidx, false);
  saveHash();
};

// Open the scopes holding node i (or the box standing for it); false when too many boxes.
Pane.prototype.openTo = function (i) {
  var j = this.visibleNode(i);
  if (j < 0) j = i;
  var next = new Set(this.expanded), up = this.n.p[j];
  while (up > 0) { next.add(up); up = this.sc.p[up]; }
  if (next.size === this.expanded.size) return true;
  var count = this.countBoxes(next);
  if (count > MAX_BOXES) {
    this.say("Cannot open the scopes of " + this.fullName(j) + ": " + fmt(count)
      + " boxes (limit " + fmt(MAX_BOXES) + ").", true);
    return false;
  }
  this.expanded = next;
  this.render();
  return true;
};

// ---- pan, zoom, framing -------------------------------------------------------------------
var READABLE = 0.6;  // the smallest scale a first view or a framing uses (labels ~7 px)

Pane.prototype.apply = function () {
  var v = this.view;
  this.vp.setAttribute("transform", "translate(" + v.x.toFixed(1) + "," + v.y.toFixed(1)
    + ") scale(" + v.k.toFixed(4) + ")");
  saveHash();
};

Pane.prototype.size = function () {
  this.lastSize = [this.canvas.clientWidth || 600, this.canvas.clientHeight || 400];
  return this.lastSize;
};

// The smallest scale at which labels are legible: 14 px in projector mode.
Pane.prototype.legible = function () {
  return state.projector ? 14.2 / (11 * fontScale()) : READABLE;
};

// Fit the whole graph (never above 1.25, nor, in projector mode, below legibility).
Pane.prototype.fit = function () {
  var wh = this.size(), gw = this.graphSize[0], gh = this.graphSize[1];
  var k = Math.max(Math.min(wh[0] / gw, wh[1] / gh, 1.25), 0.02);
  if (state.projector) k = Math.max(k, this.legible());
  this.showAt(k);
};

// Show the rectangle (graph units) as large as fits, at most 1.25, never below legibility;
// when it does not fit at that scale, its top is shown, centred across.
Pane.prototype.frameRect = function (x, y, w, ht) {
  var wh = this.size(), pad = 12;
  var k = Math.min((wh[0] - 2 * pad) / w, (wh[1] - 2 * pad) / ht, 1.25);
  k = Math.max(k, this.legible());
  var vx = wh[0] / 2 - (x + w / 2) * k;
  var vy = ht * k <= wh[1] - 2 * pad ? wh[1] / 2 - (y + ht / 2) * k : pad - y * k;
  if (w * k > wh[0] - 2 * pad) vx = pad - x * k;
  this.view = { x: vx, y: vy, k: k };
  this.apply();
};

// Frame a box or an open scope's frame by its id ("n12", "s3").
Pane.prototype.frameBox = function (id) {
  var r = this.boxRect(id);
  if (r) this.frameRect(r[0], r[1], r[2], r[3]);
};

// [x, y, width, height] of a drawn box or frame (graph units), or null.
Pane.prototype.boxRect = function (id) {
  var g = this.g, key = id[0] === "s" && this.expanded.has(+id.slice(1)) ? "c" + id.slice(1)
    : id;
  var nd = g && g.node(key);
  if (!nd || nd.width === undefined) return null;
  return [nd.x - nd.width / 2, nd.y - nd.height / 2, nd.width, nd.height];
};

// Zoom to scale k keeping the point (px, py) of the canvas in place.
Pane.prototype.zoomAt = function (k, px, py) {
  var v = this.view;
  this.view = { x: px - (px - v.x) * (k / v.k), y: py - (py - v.y) * (k / v.k), k: k };
  this.apply();
};

Pane.prototype.setActive = function (on) {
  this.active = on;
  this.canvas.classList.toggle("k2-active", on);
};

// The largest scale (at most 1) showing the whole graph, but never below ``floor``.
Pane.prototype.fitScale = function (floor) {
  var wh = this.size();
  var k = Math.min(wh[0] / this.graphSize[0], wh[1] / this.graphSize[1], 1);
  return Math.max(k, floor);
};

// Show the graph at scale k: centred if it fits, else from its top, centred across.
Pane.prototype.showAt = function (k) {
  var wh = this.size(), w = wh[0], ht = wh[1];
  var gw = this.graphSize[0] * k, gh = this.graphSize[1] * k;
  this.view = { x: (w - gw) / 2, y: gh <= ht ? (ht - gh) / 2 : 0, k: k };
  if (gw > w) this.view.x = Math.min(0, (w - gw) / 2);
  this.apply();
};

// Bring the box holding node j into view (without opening anything); mark it as a twin.
Pane.prototype.centerOnNode = function (j, mark) {
  var b = this.shownBox(j), r = this.boxRect(b);
  var el = this.vp.querySelector('.k2-box[data-id="' + b + '"]');
  if (el && mark !== false) { el.classList.add("k2-twin"); state.twins.push(b); }
  if (!r) return;
  var x = r[0] + r[2] / 2, y = r[1] + r[3] / 2, v = this.view, wh = this.size();
  var sx = v.x + x * v.k, sy = v.y + y * v.k;
  if (sx > 20 && sx < wh[0] - 20 && sy > 20 && sy < wh[1] - 20) return;  // already in view
  this.view = { x: wh[0] / 2 - x * v.k, y: wh[1] / 2 - y * v.k, k: v.k };
  this.apply();
};

Pane.prototype.bindPanZoom = function () {
  var self = this, svg = this.svg, start = null;
  // The wheel scrolls the page (notebook) unless Ctrl/Cmd is held or the pane was clicked:
  // only then does it zoom. The pane stays "active" until the pointer leaves it.
  svg.addEventListener("wheel", function (ev) {
    if (!(ev.ctrlKey || ev.metaKey || self.active)) {
      state.scrollPassed = (state.scrollPassed || 0) + 1;
      return;
    }
    ev.preventDefault();
    var r = svg.getBoundingClientRect(), v = self.view;
    var f = Math.exp(-ev.deltaY * (ev.deltaMode ? 0.05 : 0.0015));
    var k = Math.min(Math.max(v.k * f, 0.02), 6);
    self.zoomAt(k, ev.clientX - r.left, ev.clientY - r.top);
    self.linkedOthers().forEach(function (o) {
      var wh = o.size();
      o.zoomAt(k, wh[0] / 2, wh[1] / 2);
    });
  }, { passive: false });
  svg.addEventListener("pointerleave", function () { self.setActive(false); });
  svg.addEventListener("pointerdown", function (ev) {
    if (ev.button !== 0) return;
    self.setActive(true);
    start = { x: ev.clientX, y: ev.clientY, vx: self.view.x, vy: self.view.y };
    self.dragged = false;
  });
  window.addEventListener("pointermove", function (ev) {
    if (!start) return;
    var dx = ev.clientX - start.x, dy = ev.clientY - start.y;
    if (!self.dragged && Math.abs(dx) + Math.abs(dy) < 4) return;
    self.dragged = true;
    self.canvas.classList.add("k2-dragging");
    hideTip();
    self.view.x = start.vx + dx;
    self.view.y = start.vy + dy;
    self.apply();
  });
  window.addEventListener("pointerup", function () {
    start = null;
    self.canvas.classList.remove("k2-dragging");
    setTimeout(function () { self.dragged = false; }, 0);
  });
};

// ---- the panes together ---------------------------------------------------------------------
// All panes at one scale (the smallest of their whole-graph fits, never below ``floor``) so
// sizes compare honestly; unlinked, each pane at its own.
function firstView(floor) {
  if (floor === undefined) floor = state.panes.length ? state.panes[0].legible() : READABLE;
  var ks = state.panes.map(function (p) { return p.fitScale(floor); });
  var shared = Math.min.apply(null, ks);
  state.panes.forEach(function (p, k) { p.showAt(state.linked ? shared : ks[k]); });
  state.scale = shared;
}

function fitAll(pane) {
  if (state.linked || !pane) {
    var ks = state.panes.map(function (p) {
      var wh = p.size();
      var k = Math.max(Math.min(wh[0] / p.graphSize[0], wh[1] / p.graphSize[1], 1.25), 0.02);
      return state.projector ? Math.max(k, p.legible()) : k;
    });
    var k = Math.min.apply(null, ks);
    state.panes.forEach(function (p, i) { p.showAt(state.linked ? k : ks[i]); });
  } else {
    pane.fit();
  }
}

function resetAll(pane) {
  var panes = state.linked || !pane ? state.panes : [pane];
  panes.forEach(function (p) {
    p.expanded = new Set(p.d.expanded);
    p.hideDetails();
    p.render();
  });
  clearMarks();
  firstView();
}

// Remove every hover and twin mark (after a redraw nothing stale remains).
function clearMarks() {
  state.panes.forEach(function (p) {
    var old = p.vp.querySelectorAll(".k2-twin, .k2-hot");
    for (var k = 0; k < old.length; k++) old[k].classList.remove("k2-twin", "k2-hot");
  });
  state.twins = [];
}
