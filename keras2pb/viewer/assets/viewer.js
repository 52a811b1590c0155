/* keras2pb graph viewer: name-scope boxes laid out with dagre, one or two panes, offline.
 * Everything from the graph is written with textContent / setAttribute: never as HTML. */
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var DATA = JSON.parse(document.getElementById("k2-data").textContent);
  var CATS = DATA.categories;  // [[key, legend text], ...]
  var MAX_BOXES = DATA.maxBoxes;
  // Boxes with more edges than this are laid out without them (as TensorBoard extracts
  // high-degree nodes); their edges are drawn faint and straight. Only for busy views.
  var HUB_DEGREE = 24, HUB_MIN_EDGES = 150;
  var state = { panes: [], ready: false, firstPaintMs: null, errors: [] };
  window.__k2pb = state;
  window.addEventListener("error", function (e) { state.errors.push(String(e.message)); });
  var tip = document.getElementById("k2-tip");

  function h(tag, cls, parent, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function s(tag, attrs, parent) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmt(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  function clip(text, n) { return text.length > n ? text.slice(0, n - 1) + "\u2026" : text; }

  // ---- tooltip -------------------------------------------------------------------------
  function showTip(ev, lines) {
    tip.textContent = "";
    lines.forEach(function (line, i) {
      if (i) tip.appendChild(document.createTextNode("\n"));
      if (line[0] === "b") { h("b", "", tip, line[1]); return; }
      if (line[0] === "kv") {
        h("span", "k2-k", tip, line[1] + ": ");
        tip.appendChild(document.createTextNode(line[2]));
        return;
      }
      tip.appendChild(document.createTextNode(line[1]));
    });
    tip.hidden = false;
    moveTip(ev);
  }
  function moveTip(ev) {
    var w = tip.offsetWidth, ht = tip.offsetHeight;
    var x = ev.clientX + 14, y = ev.clientY + 12;
    if (x + w > window.innerWidth - 4) x = Math.max(4, ev.clientX - w - 14);
    if (y + ht > window.innerHeight - 4) y = Math.max(4, window.innerHeight - ht - 4);
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }
  function hideTip() { tip.hidden = true; }

  // ---- one pane -------------------------------------------------------------------------
  function Pane(root, d, index) {
    this.d = d;
    this.index = index;
    this.n = d.n;
    this.sc = d.s;
    this.expanded = new Set(d.expanded);
    this.matches = null;
    this.view = { x: 0, y: 0, k: 1 };
    this.build(root);
  }

  Pane.prototype.build = function (root) {
    var self = this, d = this.d;
    var pane = h("div", "k2-pane", root);
    pane.dataset.pane = String(this.index);
    this.el = pane;
    var head = h("div", "k2-head", pane);
    h("span", "k2-title", head, d.title);
    this.counts = h("span", "k2-counts", head);
    var tools = h("span", "k2-tools", head);
    var input = h("input", "k2-search", tools);
    input.type = "search";
    input.placeholder = "search (regex)";
    input.title = "Regular expression on node names and op types; Enter reveals a match";
    this.input = input;
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { self.search(input.value); }, 180);
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") { self.search(input.value); self.reveal(); }
    });
    var fit = h("button", "k2-fit", tools, "Fit");
    fit.title = "Fit the graph to the pane";
    fit.addEventListener("click", function () { self.fit(false); });
    var reset = h("button", "k2-reset", tools, "Reset");
    reset.title = "Back to the first view";
    reset.addEventListener("click", function () {
      self.expanded = new Set(d.expanded);
      self.render();
      self.fit(true);
    });
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
    this.bindPanZoom();
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

  // Boxes, merged edges and frames for a set of open scopes (mirrors collapse.visible_graph).
  Pane.prototype.visible = function (expanded) {
    var n = this.n, box = new Array(n.op.length), boxes = new Map();
    for (var i = 0; i < n.op.length; i++) {
      if (n.fd[i]) continue;
      var b = this.boxOf(i, expanded);
      box[i] = b;
      if (!boxes.has(b)) boxes.set(b, i);
    }
    var edges = new Map();
    for (var j = 0; j < n.op.length; j++) {
      var to = box[j];
      if (to === undefined) continue;
      var ins = n.in[j];
      for (var k = 0; k < ins.length; k++) {
        var from = box[ins[k]];
        if (from === undefined || from === to) continue;
        var key = from + " " + to;
        edges.set(key, (edges.get(key) || 0) + 1);
      }
    }
    var clusters = [];
    var self = this;
    expanded.forEach(function (sidx) {
      if (sidx > 0 && self.isVisibleScope(sidx, expanded)) clusters.push(sidx);
    });
    return { boxes: boxes, edges: edges, clusters: clusters };
  };

  Pane.prototype.countBoxes = function (expanded) {
    var n = this.n, seen = new Set();
    for (var i = 0; i < n.op.length; i++) if (!n.fd[i]) seen.add(this.boxOf(i, expanded));
    return seen.size;
  };

  Pane.prototype.expand = function (sidx) {
    var next = new Set(this.expanded);
    next.add(sidx);
    var count = this.countBoxes(next);
    if (count > MAX_BOXES) {
      this.say("Not expanded: \u201c" + this.scopeName(sidx) + "\u201d would show " + fmt(count)
        + " boxes (limit " + fmt(MAX_BOXES) + "). Expand a smaller scope, or search for it.",
        true);
      return false;
    }
    var before = this.expanded;
    this.expanded = next;
    if (!this.render()) { this.expanded = before; this.render(); return false; }
    return true;
  };

  Pane.prototype.collapse = function (sidx) {
    var p = this.sc.p, next = new Set();
    this.expanded.forEach(function (x) {
      var up = x;
      while (up > 0 && up !== sidx) up = p[up];
      if (up !== sidx) next.add(x);
    });
    this.expanded = next;
    this.render();
  };

  Pane.prototype.boxSize = function (id) {
    var i = +id.slice(1);
    if (id[0] === "n") {
      var label = clip(this.opLabel(i), 30), op = clip(this.d.ops[this.n.op[i]], 30);
      return [Math.max(64, Math.max(label.length, op.length * 0.9) * 6.4 + 16), 32];
    }
    var lab = clip(this.sc.label[i], 30);
    return [Math.max(80, lab.length * 6.6 + 22), 38];
  };

  Pane.prototype.opLabel = function (i) {
    var suffix = this.n.name[i];
    var name = suffix || this.sc.path[this.n.p[i]];
    var parts = name.split("/");
    return parts[parts.length - 1] || name;
  };

  Pane.prototype.containerOf = function (id) {
    var i = +id.slice(1);
    return id[0] === "n" ? this.n.p[i] : this.sc.p[i];
  };

  Pane.prototype.layout = function (vis) {
    var g = new dagre.graphlib.Graph({ compound: true, multigraph: false });
    g.setGraph({ rankdir: "TB", nodesep: 16, ranksep: 30, edgesep: 6, marginx: 16,
                 marginy: 16 });
    g.setDefaultEdgeLabel(function () { return {}; });
    var self = this;
    vis.clusters.forEach(function (c) {
      g.setNode("c" + c, { label: self.sc.label[c], clusterLabelPos: "top" });
    });
    vis.clusters.forEach(function (c) {
      var up = self.sc.p[c];
      if (up > 0) g.setParent("c" + c, "c" + up);
    });
    vis.boxes.forEach(function (_, id) {
      var wh = self.boxSize(id);
      g.setNode(id, { width: wh[0], height: wh[1] });
      var up = self.containerOf(id);
      if (up > 0) g.setParent(id, "c" + up);
    });
    var hubs = new Set(), aux = [];
    if (vis.edges.size > HUB_MIN_EDGES) {
      var degree = new Map();
      vis.edges.forEach(function (_, key) {
        key.split(" ").forEach(function (b) { degree.set(b, (degree.get(b) || 0) + 1); });
      });
      degree.forEach(function (deg, b) { if (deg > HUB_DEGREE) hubs.add(b); });
    }
    vis.edges.forEach(function (count, key) {
      var ab = key.split(" ");
      if (hubs.has(ab[0]) || hubs.has(ab[1])) { aux.push([ab[0], ab[1], count]); return; }
      g.setEdge(ab[0], ab[1], { weight: Math.min(count, 10), count: count });
    });
    dagre.layout(g);
    g.k2aux = aux;
    g.k2hubs = hubs;
    return g;
  };

  // Lay out and draw the current view; returns false (and says why) when layout failed.
  Pane.prototype.render = function () {
    var t0 = performance.now();
    var vis = this.visible(this.expanded);
    var g;
    try {
      g = this.layout(vis);
    } catch (err) {
      this.say("Layout failed for " + fmt(vis.boxes.size) + " boxes (" + err.message
        + "): collapse some scopes.", true);
      state.errors.push("layout: " + err.message);
      return false;
    }
    this.draw(g, vis);
    this.nBoxes = vis.boxes.size;
    this.nEdges = vis.edges.size;
    this.layoutMs = performance.now() - t0;
    var d = this.d;
    this.counts.textContent = fmt(d.nNodes) + " nodes \u00b7 " + fmt(d.nOpTypes)
      + " op types \u00b7 " + fmt(vis.boxes.size) + " boxes shown";
    this.say("Click a box to open it, a frame's title to close it; drag to pan, wheel to zoom."
      + " (" + Math.round(this.layoutMs) + " ms)");
    if (this.matches) this.markMatches();
    return true;
  };

  Pane.prototype.draw = function (g, vis) {
    var self = this, vp = this.vp;
    while (vp.firstChild) vp.removeChild(vp.firstChild);
    this.graphSize = [g.graph().width || 1, g.graph().height || 1];
    var lc = s("g", { "class": "k2-clusters" }, vp);
    var le = s("g", { "class": "k2-edges" }, vp);
    var lb = s("g", { "class": "k2-boxes" }, vp);
    var sorted = vis.clusters.slice().sort(function (a, b) { return a - b; });
    sorted.forEach(function (c) {
      var nd = g.node("c" + c);
      if (!nd || nd.width === undefined) return;
      var grp = s("g", { "class": "k2-cluster", "data-id": "s" + c }, lc);
      s("rect", { x: nd.x - nd.width / 2, y: nd.y - nd.height / 2, width: nd.width,
                  height: nd.height, rx: 6 }, grp);
      var label = s("text", { x: nd.x - nd.width / 2 + 6, y: nd.y - nd.height / 2 + 11 }, grp);
      label.textContent = "\u25be " + clip(self.sc.label[c], 40);
      label.addEventListener("click", function (ev) {
        if (self.dragged) return;
        ev.stopPropagation();
        self.collapse(c);
      });
      label.addEventListener("mouseenter", function (ev) { showTip(ev, self.scopeTip(c)); });
      label.addEventListener("mousemove", moveTip);
      label.addEventListener("mouseleave", hideTip);
    });
    var marker = "url(#k2-arrow-" + this.index + ")";
    g.edges().forEach(function (e) {
      var ed = g.edge(e);
      if (!ed || !ed.points) return;
      var pts = ed.points.filter(function (p) { return isFinite(p.x) && isFinite(p.y); });
      if (pts.length < 2) return;
      var dpath = "M" + pts.map(function (p) { return p.x.toFixed(1) + "," + p.y.toFixed(1); })
        .join(" L");
      var width = Math.min(1 + Math.log2(ed.count || 1), 4);
      s("path", { d: dpath, "class": "k2-edge", "marker-end": marker,
                  "stroke-width": width.toFixed(2), "data-from": e.v, "data-to": e.w }, le);
    });
    (g.k2aux || []).forEach(function (e) {
      var a = g.node(e[0]), b = g.node(e[1]);
      if (!a || !b) return;
      s("path", { d: "M" + a.x.toFixed(1) + "," + (a.y + a.height / 2).toFixed(1) + " L"
                  + b.x.toFixed(1) + "," + (b.y - b.height / 2).toFixed(1),
                  "class": "k2-edge k2-aux", "data-from": e[0], "data-to": e[1] }, le);
    });
    this.hubs = g.k2hubs || new Set();
    vis.boxes.forEach(function (_, id) {
      var nd = g.node(id);
      if (!nd) return;
      self.drawBox(lb, id, nd);
    });
  };

  Pane.prototype.drawBox = function (layer, id, nd) {
    var self = this, i = +id.slice(1), isOp = id[0] === "n";
    var x = nd.x - nd.width / 2, y = nd.y - nd.height / 2;
    var cls = "k2-box " + (isOp ? "k2-op" : "k2-scope");
    var cat = -1;
    if (isOp) {
      var st = this.n.st[i];
      if (st === 2) { cat = this.n.ca[i]; cls += " k2-removed k2-cat-" + CATS[cat][0]; }
      else if (st === 3) cls += " k2-added";
    } else {
      if (this.sc.rm[i]) cls += " k2-has-removed";
      if (this.sc.ad[i]) cls += " k2-has-added";
    }
    if (this.hubs && this.hubs.has(id)) cls += " k2-hub";
    var grp = s("g", { "class": cls, "data-id": id }, layer);
    if (!isOp) s("rect", { "class": "k2-shadow", x: x + 3, y: y + 3, width: nd.width,
                           height: nd.height, rx: 5 }, grp);
    s("rect", { "class": "k2-body", x: x, y: y, width: nd.width, height: nd.height,
                rx: isOp ? 10 : 5 }, grp);
    var t1 = s("text", { x: nd.x, y: y + 13, "text-anchor": "middle" }, grp);
    var t2 = s("text", { "class": "k2-sub", x: nd.x, y: y + 25, "text-anchor": "middle" }, grp);
    if (isOp) {
      t1.textContent = clip(this.opLabel(i), 30);
      t2.textContent = clip(this.d.ops[this.n.op[i]], 30);
    } else {
      t1.textContent = clip(this.sc.label[i], 30);
      var sub = fmt(this.sc.cnt[i]) + " ops";
      if (this.sc.rm[i]) sub += " \u00b7 " + fmt(this.sc.rm[i]) + " removed";
      if (this.sc.ad[i]) sub += " \u00b7 " + fmt(this.sc.ad[i]) + " added";
      t2.textContent = sub;
      if (this.sc.rm[i] || this.sc.ad[i]) {
        var frac = (this.sc.rm[i] || this.sc.ad[i]) / Math.max(1, this.sc.cnt[i]);
        var bcls = this.sc.rm[i] ? "k2-bar k2-cat-" + CATS[this.sc.rc[i]][0]
          : "k2-bar k2-added-bar";
        s("rect", { "class": bcls, x: x + 1, y: y + nd.height - 5,
                    width: Math.max(2, (nd.width - 2) * frac), height: 4 }, grp);
      }
      grp.addEventListener("click", function (ev) {
        if (self.dragged) return;
        ev.stopPropagation();
        hideTip();
        self.expand(i);
      });
    }
    grp.addEventListener("mouseenter", function (ev) {
      showTip(ev, isOp ? self.opTip(i) : self.scopeTip(i));
    });
    grp.addEventListener("mousemove", moveTip);
    grp.addEventListener("mouseleave", hideTip);
  };

  Pane.prototype.statusText = function (i) {
    var st = this.n.st[i];
    if (st === 2) return "removed (" + CATS[this.n.ca[i]][1] + ")";
    if (st === 3) return "added";
    if (st === 1) return "kept";
    return "";
  };

  Pane.prototype.opTip = function (i) {
    var n = this.n, d = this.d, self = this, lines = [["b", this.fullName(i)]];
    lines.push(["kv", "op", d.ops[n.op[i]]]);
    var st = this.statusText(i);
    if (st) lines.push(["kv", "diff", st]);
    var shape = d.shapes[n.sh[i]];
    if (shape) lines.push(["kv", "shape", shape]);
    d.attrs[n.at[i]].forEach(function (kv) { lines.push(["kv", "  " + kv[0], kv[1]]); });
    var ins = n.in[i];
    if (ins.length) {
      lines.push(["t", "inputs:"]);
      ins.slice(0, 12).forEach(function (j) {
        lines.push(["t", "  " + clip(self.fullName(j), 90) + "  (" + d.ops[n.op[j]] + ")"]);
      });
      if (ins.length > 12) lines.push(["t", "  \u2026 " + (ins.length - 12) + " more"]);
    }
    var fo = n.fo[i];
    if (fo.length) {
      lines.push(["t", "folded in (constants, variables):"]);
      fo.slice(0, 8).forEach(function (j) {
        var extra = d.shapes[n.sh[j]] ? " " + d.shapes[n.sh[j]] : "";
        lines.push(["t", "  " + clip(self.fullName(j), 90) + "  (" + d.ops[n.op[j]] + extra
          + ")"]);
      });
      if (fo.length > 8) lines.push(["t", "  \u2026 " + (fo.length - 8) + " more"]);
    }
    if (n.cc[i]) lines.push(["t", n.cc[i] + " control input(s) not drawn"]);
    return lines;
  };

  Pane.prototype.scopeTip = function (sidx) {
    var sc = this.sc, lines = [["b", this.scopeName(sidx)]];
    lines.push(["kv", "ops", fmt(sc.cnt[sidx]) + " (" + fmt(sc.shown[sidx])
      + " drawn, the rest folded constants and variables)"]);
    if (sc.rm[sidx]) lines.push(["kv", "removed", fmt(sc.rm[sidx])]);
    if (sc.ad[sidx]) lines.push(["kv", "added", fmt(sc.ad[sidx])]);
    var counts = new Map(), n = this.n, p = sc.p;
    for (var i = 0; i < n.op.length; i++) {
      var up = n.p[i];
      while (up > 0 && up !== sidx) up = p[up];
      if (up === sidx) counts.set(n.op[i], (counts.get(n.op[i]) || 0) + 1);
    }
    var top = Array.from(counts.entries()).sort(function (a, b) { return b[1] - a[1]; });
    var d = this.d;
    lines.push(["kv", "op types", top.slice(0, 8).map(function (e) {
      return d.ops[e[0]] + " " + e[1];
    }).join(", ") + (top.length > 8 ? ", \u2026" : "")]);
    if (this.hubs && this.hubs.has("s" + sidx)) {
      lines.push(["t", "many edges: drawn faint and straight, left out of the layout"]);
    }
    lines.push(["t", this.expanded.has(sidx) ? "click the title to close"
      : "click to open (" + fmt(sc.nb[sidx]) + " boxes inside)"]);
    return lines;
  };

  // ---- search -----------------------------------------------------------------------------
  Pane.prototype.search = function (text) {
    this.input.classList.remove("k2-bad");
    if (!text) { this.matches = null; this.markMatches(); this.say(""); return; }
    var re;
    try { re = new RegExp(text, "i"); } catch (err) {
      this.input.classList.add("k2-bad");
      this.say("Not a regular expression: " + err.message, true);
      return;
    }
    var n = this.n, d = this.d, out = [];
    for (var i = 0; i < n.op.length; i++) {
      if (re.test(this.fullName(i)) || re.test(d.ops[n.op[i]])) out.push(i);
    }
    this.matches = out;
    var boxes = this.markMatches();
    this.say(fmt(out.length) + " match" + (out.length === 1 ? "" : "es") + " in " + fmt(boxes)
      + " box" + (boxes === 1 ? "" : "es") + (out.length ? " \u2014 Enter opens the scopes of"
      + " the first" : ""));
  };

  Pane.prototype.markMatches = function () {
    var marked = new Set(), self = this;
    if (this.matches) {
      this.matches.forEach(function (i) {
        if (self.n.fd[i]) {
          // a folded node shows inside its consumers: mark its scope's box instead
          var sidx = self.n.p[i];
          if (sidx > 0 && !self.expanded.has(sidx)) marked.add(self.boxOf(i, self.expanded));
          return;
        }
        marked.add(self.boxOf(i, self.expanded));
      });
    }
    var boxes = this.vp.querySelectorAll(".k2-box");
    var count = 0;
    for (var k = 0; k < boxes.length; k++) {
      var on = marked.has(boxes[k].getAttribute("data-id"));
      boxes[k].classList.toggle("k2-match", on);
      if (on) count++;
    }
    return count;
  };

  Pane.prototype.reveal = function () {
    if (!this.matches || !this.matches.length) return;
    var first = -1;
    for (var k = 0; k < this.matches.length; k++) {
      if (!this.n.fd[this.matches[k]]) { first = this.matches[k]; break; }
    }
    if (first < 0) return;
    var next = new Set(this.expanded), up = this.n.p[first];
    while (up > 0) { next.add(up); up = this.sc.p[up]; }
    var count = this.countBoxes(next);
    if (count > MAX_BOXES) {
      this.say("Cannot open the scopes of " + this.fullName(first) + ": " + fmt(count)
        + " boxes (limit " + fmt(MAX_BOXES) + ").", true);
      return;
    }
    this.expanded = next;
    this.render();
    this.centerOn("n" + first);
  };

  // ---- pan and zoom -----------------------------------------------------------------------
  Pane.prototype.apply = function () {
    var v = this.view;
    this.vp.setAttribute("transform", "translate(" + v.x.toFixed(1) + "," + v.y.toFixed(1)
      + ") scale(" + v.k.toFixed(4) + ")");
  };

  // Fit the whole graph; with readable=true, a graph that would shrink below legibility
  // (a long chain) is shown from its top at a readable zoom instead.
  Pane.prototype.fit = function (readable) {
    var w = this.canvas.clientWidth || 600, ht = this.canvas.clientHeight || 400;
    var gw = this.graphSize[0], gh = this.graphSize[1];
    var k = Math.max(Math.min(w / gw, ht / gh, 1.25), 0.02);
    if (readable && k < 0.3) {
      k = Math.max(Math.min(w / gw, 1), 0.3);
      this.view = { x: Math.max(0, (w - gw * k) / 2), y: 0, k: k };
    } else {
      this.view = { x: (w - gw * k) / 2, y: Math.max(0, (ht - gh * k) / 2), k: k };
    }
    this.apply();
  };

  Pane.prototype.centerOn = function (id) {
    var box = this.vp.querySelector('[data-id="' + id + '"] rect.k2-body');
    if (!box) return;
    var x = +box.getAttribute("x") + +box.getAttribute("width") / 2;
    var y = +box.getAttribute("y") + +box.getAttribute("height") / 2;
    var k = Math.max(this.view.k, 0.8);
    this.view = { x: this.canvas.clientWidth / 2 - x * k, y: this.canvas.clientHeight / 2 - y * k,
                  k: k };
    this.apply();
  };

  Pane.prototype.bindPanZoom = function () {
    var self = this, svg = this.svg, start = null;
    svg.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var r = svg.getBoundingClientRect(), v = self.view;
      var f = Math.exp(-ev.deltaY * (ev.deltaMode ? 0.05 : 0.0015));
      var k = Math.min(Math.max(v.k * f, 0.02), 6);
      var px = ev.clientX - r.left, py = ev.clientY - r.top;
      self.view = { x: px - (px - v.x) * (k / v.k), y: py - (py - v.y) * (k / v.k), k: k };
      self.apply();
    }, { passive: false });
    svg.addEventListener("pointerdown", function (ev) {
      if (ev.button !== 0) return;
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

  // ---- page ----------------------------------------------------------------------------
  function buildTop() {
    var top = document.getElementById("k2-top");
    if (!DATA.summary) return;
    h("span", "", top, "Diff: ");
    h("span", "", top, DATA.summary).id = "k2-summary";
    var legend = h("div", "k2-legend", top);
    h("span", "", legend, "Left pane:");
    var present = new Set();
    var left = DATA.panes[0].n;
    for (var i = 0; i < left.st.length; i++) if (left.st[i] === 2) present.add(left.ca[i]);
    var sw = h("span", "", legend);
    h("span", "k2-swatch k2-sw-kept", sw);
    sw.appendChild(document.createTextNode("kept"));
    CATS.forEach(function (c, k) {
      if (!present.has(k)) return;
      var item = h("span", "k2-legend-item", legend);
      item.dataset.cat = c[0];
      h("span", "k2-swatch k2-sw-" + c[0], item);
      item.appendChild(document.createTextNode("removed: " + c[1]));
    });
    var added = h("span", "", legend);
    h("span", "k2-swatch k2-sw-added", added);
    added.appendChild(document.createTextNode("right pane: added"));
    if (DATA.table && DATA.table.length) {
      var det = h("details", "", top);
      h("summary", "", det, "per op type");
      var wrap = h("div", "", det);
      wrap.id = "k2-table";
      var table = h("table", "", wrap), tr = h("tr", "", table);
      ["op type", "removed", "kept", "added"].forEach(function (t) { h("th", "", tr, t); });
      DATA.table.forEach(function (row) {
        var r = h("tr", "", table);
        row.forEach(function (cell) { h("td", "", r, String(cell)); });
      });
    }
  }

  function main() {
    buildTop();
    var root = document.getElementById("k2-panes");
    DATA.panes.forEach(function (d, k) { state.panes.push(new Pane(root, d, k)); });
    state.panes.forEach(function (p) {
      try {
        if (!p.render()) p.graphSize = [1, 1];
      } catch (err) {
        state.errors.push(String(err && err.message));
        p.say("Could not draw this graph: " + (err && err.message), true);
        p.graphSize = [1, 1];
      }
      p.fit(true);
    });
    // Drawn (laid out, in the DOM) now; painted at the next frame, which a browser may delay
    // for an iframe scrolled out of view, so "ready" does not wait for it.
    state.drawnMs = performance.now();
    state.ready = true;
    document.body.setAttribute("data-ready", "1");
    requestAnimationFrame(function () { state.firstPaintMs = performance.now(); });
    window.addEventListener("resize", function () {
      state.panes.forEach(function (p) { p.fit(true); });
    });
  }

  main();
})();
