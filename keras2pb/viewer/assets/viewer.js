/* keras2pb graph viewer: name-scope boxes laid out with dagre, one or two panes, offline.
 * Everything from the graph is written with textContent / setAttribute: never as HTML. */
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var DATA = JSON.parse(document.getElementById("k2-data").textContent);
  var CATS = DATA.categories;  // [[key, legend text], ...]: why a node was removed
  var FATES = DATA.fates;  // the categories, then kept, changed, added
  var N_CAT = CATS.length;
  var MAX_BOXES = DATA.maxBoxes;
  // Okabe-Ito colours (distinct for the common colour-vision deficiencies) plus Tol's wine
  // for the rare "other variable updates": [fill, text].
  // Removed nodes also get a dashed border, changed ones a double-width one: not colour only.
  var PALETTE = {
    optimizer: ["#D55E00", "#ffffff"], gradient: ["#E69F00", "#1d1d1d"],
    loss: ["#CC79A7", "#1d1d1d"], random: ["#F0E442", "#1d1d1d"],
    batchnorm: ["#0072B2", "#ffffff"], update: ["#882255", "#ffffff"],
    variable: ["#56B4E9", "#1d1d1d"],
    other: ["#9a9a9a", "#1d1d1d"], kept: ["#ffffff", "#1d2430"],
    changed: ["#009E73", "#ffffff"], added: ["#1d1d1d", "#ffffff"]
  };
  var NEUTRAL = ["#eef3fb", "#1d2430"];
  function fateKey(f) { return f >= 0 ? FATES[f][0] : ""; }
  function colours(f) { return PALETTE[fateKey(f)] || NEUTRAL; }
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
    fit.addEventListener("click", function () {
      if (state.linked && self.other()) firstView(0.02); else self.fit(false);
    });
    var reset = h("button", "k2-reset", tools, "Reset");
    reset.title = "Back to the first view";
    reset.addEventListener("click", function () {
      self.expanded = new Set(d.expanded);
      self.render();
      firstView();
    });
    var svgBtn = h("button", "k2-svg", tools, "SVG");
    svgBtn.title = "Download this pane's graph as an SVG file (made here, offline)";
    svgBtn.addEventListener("click", function () { self.download("svg"); });
    var pngBtn = h("button", "k2-png", tools, "PNG");
    pngBtn.title = "Download this pane's graph as a PNG image (made here, offline)";
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

  Pane.prototype.other = function () {
    return state.panes.length === 2 ? state.panes[1 - this.index] : null;
  };

  // What happened to node i, as an index into FATES (-1: no diff).
  Pane.prototype.fate = function (i) {
    var st = this.n.st[i];
    if (st === 2) return this.n.ca[i];
    if (st === 1) return N_CAT;
    if (st === 4) return N_CAT + 1;
    if (st === 3) return N_CAT + 2;
    return -1;
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

  // Boxes, merged edges and frames for a set of open scopes (mirrors collapse.visible_graph).
  // Linear in nodes + edges: box codes are numbers, ids are made once per box and edge.
  Pane.prototype.visible = function (expanded) {
    var n = this.n, nn = n.op.length, np = n.p, fd = n.fd, ins = n.in;
    var top = this.scopeTops(expanded), code = new Int32Array(nn), i, c;
    var boxes = new Map(), seen = new Uint8Array(nn + top.length);
    for (i = 0; i < nn; i++) {
      if (fd[i]) { code[i] = -1; continue; }
      c = top[np[i]];
      c = c >= 0 ? nn + c : i;
      code[i] = c;
      if (!seen[c]) { seen[c] = 1; boxes.set(this.boxId(c), i); }
    }
    var counts = new Map(), width = nn + top.length;
    for (var j = 0; j < nn; j++) {
      var to = code[j];
      if (to < 0) continue;
      var list = ins[j];
      for (var k = 0; k < list.length; k++) {
        var from = code[list[k]];
        if (from < 0 || from === to) continue;
        var key = from * width + to;
        counts.set(key, (counts.get(key) || 0) + 1);
      }
    }
    var edges = new Map(), self = this;
    counts.forEach(function (count, key) {
      edges.set(self.boxId(Math.floor(key / width)) + " " + self.boxId(key % width), count);
    });
    var clusters = [];
    expanded.forEach(function (sidx) {
      if (sidx > 0 && top[sidx] < 0) clusters.push(sidx);  // open, and all its parents
    });
    return { boxes: boxes, edges: edges, clusters: clusters, code: code };
  };

  Pane.prototype.countBoxes = function (expanded) {
    var n = this.n, np = n.p, top = this.scopeTops(expanded);
    var seen = new Uint8Array(top.length), count = 0;
    for (var i = 0; i < n.op.length; i++) {
      if (n.fd[i]) continue;
      var t = top[np[i]];
      if (t < 0) count++;
      else if (!seen[t]) { seen[t] = 1; count++; }
    }
    return count;
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
    if (!mirrored) this.mirror(sidx, true);
    return true;
  };

  // With linked panes, open (or close) the scope of the same name in the other pane.
  Pane.prototype.mirror = function (sidx, open) {
    var o = this.other();
    if (!o || !state.linked) return;
    var k = o.scopeIndex().get(this.scopeName(sidx));
    if (k === undefined) return;
    if (open) {
      if (!o.expanded.has(k) && o.isVisibleScope(k, o.expanded)) o.expand(k, true);
    } else if (o.expanded.has(k)) {
      o.collapse(k, true);
    }
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
    if (!mirrored) this.mirror(sidx, false);
  };

  Pane.prototype.boxSize = function (id) {
    var i = +id.slice(1);
    if (id[0] === "n") {
      var label = clip(this.opLabel(i), 30), op = clip(this.d.ops[this.n.op[i]], 30);
      return [Math.max(64, Math.max(label.length, op.length * 0.9) * 6.4 + 16), 32];
    }
    // a closed scope grows with the nodes it holds, so big groups (the optimizer) stand out
    var lab = clip(this.sc.label[i], 30), grow = Math.log2(1 + this.sc.cnt[i] / 10);
    return [Math.max(80 + 14 * grow, lab.length * 6.6 + 22, this.scopeSub(i).length * 5.4 + 16),
            38 + Math.min(30, 6 * grow)];
  };

  Pane.prototype.scopeSub = function (i) {
    var sub = fmt(this.sc.cnt[i]) + " nodes", fc = this.sc.fc[i], ch = 0;
    for (var k = 0; k < fc.length; k += 2) if (fc[k] === N_CAT + 1) ch = fc[k + 1];
    if (this.sc.rm[i]) sub += " \u00b7 " + fmt(this.sc.rm[i]) + " removed";
    if (ch) sub += " \u00b7 " + fmt(ch) + " changed";
    if (this.sc.ad[i]) sub += " \u00b7 " + fmt(this.sc.ad[i]) + " added";
    return sub;
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

  // The views laid out so far, by their open scopes (the last LAYOUT_CACHE of them): going
  // back to a view (closing a scope, Reset) draws it without laying it out again.
  var LAYOUT_CACHE = 24;
  Pane.prototype.cacheKey = function (expanded) {
    return Array.from(expanded).sort(function (a, b) { return a - b; }).join(",");
  };

  // Lay out and draw the current view (``vis``: its visible graph when already computed);
  // returns false (and says why) when layout failed.
  Pane.prototype.render = function (vis) {
    var t0 = performance.now();
    var key = this.cacheKey(this.expanded), hit = this.layouts && this.layouts.get(key);
    var g;
    if (hit) {
      vis = hit[0];
      g = hit[1];
    } else {
      vis = vis || this.visible(this.expanded);
      try {
        g = this.layout(vis);
      } catch (err) {
        this.say("Layout failed for " + fmt(vis.boxes.size) + " boxes (" + err.message
          + "): collapse some scopes.", true);
        state.errors.push("layout: " + err.message);
        return false;
      }
      if (!this.layouts) this.layouts = new Map();
      this.layouts.set(key, [vis, g]);
      if (this.layouts.size > LAYOUT_CACHE) this.layouts.delete(this.layouts.keys().next().value);
    }
    this.code = vis.code;
    this.draw(g, vis);
    this.nBoxes = vis.boxes.size;
    this.nEdges = vis.edges.size;
    this.layoutMs = performance.now() - t0;
    var d = this.d;
    this.counts.textContent = fmt(d.nNodes) + " nodes \u00b7 " + fmt(d.nOpTypes)
      + " op types \u00b7 " + fmt(vis.boxes.size) + " boxes shown";
    this.say("Click a box to open it (a frame's title closes it), an op for its details."
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
    // fates beneath this box, commonest first: [fate, count, fate, count, ...]
    var fc = isOp ? (this.fate(i) >= 0 ? [this.fate(i), 1] : []) : this.sc.fc[i];
    var main = fc.length ? fc[0] : -1, col = colours(main);
    if (main >= 0) cls += " k2-f-" + fateKey(main);
    if (main >= 0 && main < N_CAT) cls += " k2-removed";
    if (!isOp && this.sc.rm[i]) cls += " k2-has-removed";
    if (!isOp && this.sc.ad[i]) cls += " k2-has-added";
    if (this.hubs && this.hubs.has(id)) cls += " k2-hub";
    var grp = s("g", { "class": cls, "data-id": id }, layer);
    if (!isOp) s("rect", { "class": "k2-shadow", x: x + 3, y: y + 3, width: nd.width,
                           height: nd.height, rx: 5 }, grp);
    var body = s("rect", { "class": "k2-body", x: x, y: y, width: nd.width, height: nd.height,
                           rx: isOp ? 10 : 5, fill: col[0] }, grp);
    if (main >= 0 && main < N_CAT) body.setAttribute("stroke-dasharray", "4 2");
    if (main === N_CAT + 1) body.setAttribute("stroke-width", "3");
    var mid = isOp ? nd.y : nd.y - 3;
    var t1 = s("text", { x: nd.x, y: mid - 3, "text-anchor": "middle", fill: col[1] }, grp);
    var t2 = s("text", { "class": "k2-sub", x: nd.x, y: mid + 9, "text-anchor": "middle",
                         fill: col[1] }, grp);
    if (isOp) {
      t1.textContent = clip(this.opLabel(i), 30);
      t2.textContent = clip(this.d.ops[this.n.op[i]], 30);
    } else {
      t1.textContent = clip(this.sc.label[i], 30);
      t2.textContent = this.scopeSub(i);
      if (fc.length > 2) this.stackedBar(grp, x, y + nd.height - 8, nd.width, fc);
    }
    grp.addEventListener("click", function (ev) {
      if (self.dragged) return;
      ev.stopPropagation();
      hideTip();
      if (isOp) self.showDetails(i); else self.expand(i);
    });
    grp.addEventListener("mouseenter", function (ev) {
      showTip(ev, isOp ? self.opTip(i) : self.scopeTip(i));
      self.markTwins(id);
    });
    grp.addEventListener("mousemove", moveTip);
    grp.addEventListener("mouseleave", function () {
      hideTip();
      self.markTwins(null);
    });
  };

  // A small bar along a box's bottom: one segment per fate, as wide as its share of nodes.
  Pane.prototype.stackedBar = function (grp, x, y, width, fc) {
    var total = 0, k;
    for (k = 1; k < fc.length; k += 2) total += fc[k];
    var bar = s("g", { "class": "k2-stack" }, grp), at = x + 2, w = width - 4;
    s("rect", { x: at - 1, y: y - 1, width: w + 2, height: 7, fill: "#ffffff",
                stroke: "#1d2430", "stroke-width": 0.5 }, bar);
    for (k = 0; k < fc.length; k += 2) {
      var part = w * fc[k + 1] / total;
      var seg = s("rect", { "class": "k2-seg", x: at, y: y, width: Math.max(part, 0.5),
                            height: 5, fill: colours(fc[k])[0], "data-fate": fateKey(fc[k]) },
                  bar);
      var t = s("title", {}, seg);
      t.textContent = FATES[fc[k]][1] + ": " + fmt(fc[k + 1]);
      at += part;
    }
  };

  // The boxes of the other pane that hold the counterparts (matched nodes) of the nodes in box ``id``.
  Pane.prototype.twinBoxes = function (id) {
    var o = this.other(), out = new Set();
    if (!o || !o.code || !this.code) return out;
    var tw = this.n.tw, code = this.code, i;
    var add = function (j) {
      if (j < 0) return;
      var b = o.drawnBox(j);
      if (b === undefined) {  // folded there: its consumers' box shows it
        var up = o.n.p[j];
        if (up > 0) b = o.boxOf(j, o.expanded);
        if (b === undefined || b[0] === "n") return;
      }
      out.add(b);
    };
    if (id[0] === "n") { add(tw[+id.slice(1)]); return out; }
    var c = this.boxCode(id);
    for (i = 0; i < code.length; i++) if (code[i] === c) add(tw[i]);
    return out;
  };

  Pane.prototype.markTwins = function (id) {
    var o = this.other();
    if (!o) return;
    var old = o.vp.querySelectorAll(".k2-twin");
    for (var k = 0; k < old.length; k++) old[k].classList.remove("k2-twin");
    var mine = this.vp.querySelectorAll(".k2-hot");
    for (k = 0; k < mine.length; k++) mine[k].classList.remove("k2-hot");
    state.twins = [];
    if (id === null) return;
    var el = this.vp.querySelector('[data-id="' + id + '"]');
    if (el) el.classList.add("k2-hot");
    this.twinBoxes(id).forEach(function (b) {
      var t = o.vp.querySelector('.k2-box[data-id="' + b + '"]');
      if (t) { t.classList.add("k2-twin"); state.twins.push(b); }
    });
  };

  Pane.prototype.statusText = function (i) {
    var st = this.n.st[i];
    if (st === 2) return "removed (" + CATS[this.n.ca[i]][1] + ")";
    if (st === 3) return "added";
    if (st === 1) return "kept";
    if (st === 4) return "changed at freezing";
    return "";
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

  // "Const float32 (3, 3, 1, 32)" for a constant; for a read of constants, what it reads.
  Pane.prototype.constText = function (j, depth) {
    var n = this.n, d = this.d, op = d.ops[n.op[j]], dtype = "", shape = "", self = this;
    d.attrs[n.at[j]].forEach(function (kv) {
      if (kv[0] === "dtype") dtype = kv[1];
      if (kv[0] === "value") {
        var m = /^tensor (\S+) (\([^)]*\))/.exec(kv[1]);
        if (m) { dtype = m[1]; shape = m[2]; }
      }
    });
    if (!shape) shape = d.shapes[n.sh[j]] || "";
    var text = op + (dtype ? " " + dtype : "") + (shape ? " " + shape : "");
    if ((depth || 0) < 3 && n.fo[j].length) {
      text += " ← " + n.fo[j].slice(0, 2).map(function (k) {
        return self.constText(k, (depth || 0) + 1);
      }).join(", ");
    }
    return text;
  };

  // The details panel of node i: op, diff, shape, attributes, inputs, consumers, constants.
  Pane.prototype.showDetails = function (i) {
    var n = this.n, d = this.d, self = this, box = this.details;
    this.selected = i;
    box.textContent = "";
    box.hidden = false;
    var head = h("div", "k2-dhead", box);
    h("b", "k2-dname", head, this.fullName(i));
    var close = h("button", "k2-dclose", head, "\u00d7");
    close.title = "Close the details";
    close.addEventListener("click", function () { self.hideDetails(); });
    var table = h("table", "", box);
    function row(k, v) {
      var tr = h("tr", "", table);
      h("th", "", tr, k);
      h("td", "", tr, v);
      return tr;
    }
    row("op", d.ops[n.op[i]]);
    var st = this.statusText(i);
    if (st) row("diff", st);
    var o = this.other();
    if (o && n.tw[i] >= 0) {
      row("other pane", o.fullName(n.tw[i]) + " (" + o.d.ops[o.n.op[n.tw[i]]] + ")");
    }
    if (d.shapes[n.sh[i]]) row("output shape", d.shapes[n.sh[i]]);
    d.attrs[n.at[i]].forEach(function (kv) { row("attr " + kv[0], kv[1]); });
    function list(title, items, text) {
      if (!items.length) return;
      h("div", "k2-dsec", box, title + " (" + items.length + ")");
      var ul = h("ul", "", box);
      items.slice(0, 50).forEach(function (j) { h("li", "", ul, text(j)); });
      if (items.length > 50) h("li", "", ul, "\u2026 " + (items.length - 50) + " more");
    }
    list("inputs", n.in[i], function (j) {
      return self.fullName(j) + "  (" + d.ops[n.op[j]] + ")";
    });
    list("constants and variables read", n.fo[i], function (j) {
      return self.fullName(j) + "  (" + self.constText(j) + ")";
    });
    list("consumers", this.consumersOf(i), function (j) {
      return self.fullName(j) + "  (" + d.ops[n.op[j]] + ")";
    });
    if (n.cc[i]) h("div", "k2-dsec", box, n.cc[i] + " control input(s), not drawn");
    if (o && n.tw[i] >= 0) o.centerOnNode(n.tw[i]);
  };

  Pane.prototype.hideDetails = function () {
    this.details.hidden = true;
    this.selected = -1;
  };

  // Bring the box holding node j into view (without opening anything).
  Pane.prototype.centerOnNode = function (j) {
    var b = this.drawnBox(j);
    if (b === undefined) b = this.boxOf(j, this.expanded);
    var el = this.vp.querySelector('.k2-box[data-id="' + b + '"]');
    if (!el) return;
    el.classList.add("k2-twin");
    var r = el.querySelector("rect.k2-body");
    var x = +r.getAttribute("x") + +r.getAttribute("width") / 2;
    var y = +r.getAttribute("y") + +r.getAttribute("height") / 2;
    var v = this.view, w = this.canvas.clientWidth, ht = this.canvas.clientHeight;
    var sx = v.x + x * v.k, sy = v.y + y * v.k;
    if (sx > 20 && sx < w - 20 && sy > 20 && sy < ht - 20) return;  // already in view
    this.view = { x: w / 2 - x * v.k, y: ht / 2 - y * v.k, k: v.k };
    this.apply();
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
    var counts = new Map(), n = this.n, end = this.subtreeEnd()[sidx];
    for (var i = 0; i < n.op.length; i++) {
      var up = n.p[i];
      if (up >= sidx && up < end) counts.set(n.op[i], (counts.get(n.op[i]) || 0) + 1);
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
    var w = this.canvas.clientWidth || 600, ht = this.canvas.clientHeight || 400;
    var k = Math.min(w / this.graphSize[0], ht / this.graphSize[1], 1);
    return Math.max(k, floor);
  };

  // Show the graph at scale k: centred if it fits, else from its top, centred across.
  Pane.prototype.showAt = function (k) {
    var w = this.canvas.clientWidth || 600, ht = this.canvas.clientHeight || 400;
    var gw = this.graphSize[0] * k, gh = this.graphSize[1] * k;
    this.view = { x: (w - gw) / 2, y: gh <= ht ? (ht - gh) / 2 : 0, k: k };
    if (gw > w) this.view.x = Math.min(0, (w - gw) / 2);
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
      if (state.linked && self.other()) {
        var o = self.other();
        o.zoomAt(k, o.canvas.clientWidth / 2, o.canvas.clientHeight / 2);
      }
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

  // ---- export -----------------------------------------------------------------------------
  // The pane's whole graph as a standalone SVG document (styles inlined), made in the page.
  Pane.prototype.svgText = function () {
    var gw = Math.ceil(this.graphSize[0]), gh = Math.ceil(this.graphSize[1]);
    var clone = this.svg.cloneNode(true);
    clone.setAttribute("xmlns", SVGNS);
    clone.setAttribute("width", gw);
    clone.setAttribute("height", gh);
    clone.setAttribute("viewBox", "0 0 " + gw + " " + gh);
    clone.querySelector(".k2-viewport").removeAttribute("transform");
    ["k2-twin", "k2-hot", "k2-match"].forEach(function (c) {
      var marked = clone.querySelectorAll("." + c);
      for (var k = 0; k < marked.length; k++) marked[k].classList.remove(c);
    });
    var title = document.createElementNS(SVGNS, "title");
    title.textContent = this.d.title;
    var style = document.createElementNS(SVGNS, "style");
    style.textContent = document.querySelector("style").textContent;
    var bg = document.createElementNS(SVGNS, "rect");
    bg.setAttribute("width", gw);
    bg.setAttribute("height", gh);
    bg.setAttribute("fill", "#ffffff");
    clone.insertBefore(bg, clone.firstChild);
    clone.insertBefore(style, clone.firstChild);
    clone.insertBefore(title, clone.firstChild);
    return '<?xml version="1.0" encoding="UTF-8"?>\n'
      + new XMLSerializer().serializeToString(clone);
  };

  function saveBlob(blob, name) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    state.downloads.push({ name: name, bytes: blob.size, type: blob.type });
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 60000);
  }

  Pane.prototype.fileName = function (ext) {
    return (this.d.title.replace(/[^A-Za-z0-9_.-]+/g, "_").replace(/^[_.]+/, "") || "graph")
      + "." + ext;
  };

  Pane.prototype.download = function (kind) {
    var self = this, text = this.svgText();
    if (kind === "svg") {
      saveBlob(new Blob([text], { type: "image/svg+xml" }), this.fileName("svg"));
      return;
    }
    var gw = Math.ceil(this.graphSize[0]), gh = Math.ceil(this.graphSize[1]);
    // at most 2x, 8,000 px a side and 24 Mpixel (what browsers' canvases safely hold)
    var k = Math.min(2, 8000 / gw, 8000 / gh, Math.sqrt(24e6 / (gw * gh)));
    var img = new Image();
    img.onload = function () {
      var c = document.createElement("canvas");
      c.width = Math.max(1, Math.round(gw * k));
      c.height = Math.max(1, Math.round(gh * k));
      var ctx = c.getContext("2d");
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, c.width, c.height);
      ctx.drawImage(img, 0, 0, c.width, c.height);
      c.toBlob(function (blob) {
        if (blob) saveBlob(blob, self.fileName("png"));
        else self.say("Could not make the PNG (the graph is too large).", true);
      }, "image/png");
    };
    img.onerror = function () { self.say("Could not make the PNG.", true); };
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(text);
  };

  // ---- page ----------------------------------------------------------------------------
  // Both panes at one scale (the smaller of their whole-graph fits, never below ``floor``) so
  // sizes compare honestly; unlinked, each pane at its own.
  var READABLE = 0.6;
  function firstView(floor) {
    if (floor === undefined) floor = READABLE;
    var ks = state.panes.map(function (p) { return p.fitScale(floor); });
    var shared = Math.min.apply(null, ks);
    state.panes.forEach(function (p, k) { p.showAt(state.linked ? shared : ks[k]); });
    state.scale = shared;
  }

  function legendItem(parent, fate, label) {
    var item = h("span", "k2-legend-item", parent);
    item.dataset.fate = fateKey(fate);
    var sw = h("span", "k2-swatch", item);
    sw.style.background = colours(fate)[0];
    if (fate < N_CAT) sw.style.borderStyle = "dashed";
    item.appendChild(document.createTextNode(label));
    return item;
  }

  // One row per stage: its title, a bar as long as its node count, split by what happened.
  function buildBars(top) {
    if (!DATA.stages.length) return;
    var box = h("div", "", top), most = 1;
    box.id = "k2-bars";
    DATA.stages.forEach(function (st) { most = Math.max(most, st.count); });
    DATA.stages.forEach(function (st, k) {
      var row = h("div", "k2-barrow", box);
      row.dataset.stage = String(k);
      h("span", "k2-barlabel", row, st.title);
      var track = h("span", "k2-track", row);
      var bar = h("span", "k2-bar", track);
      bar.style.width = Math.max(0.3, 100 * st.count / most) + "%";
      st.parts.slice().sort(function (a, b) { return a[0] - b[0]; }).forEach(function (part) {
        var seg = h("span", "k2-barseg", bar);
        seg.style.width = (100 * part[1] / Math.max(1, st.count)) + "%";
        seg.style.background = colours(part[0])[0];
        seg.dataset.fate = fateKey(part[0]);
        seg.title = FATES[part[0]][1] + ": " + fmt(part[1]);
      });
      h("span", "k2-barcount", row, fmt(st.count) + " nodes");
    });
  }

  function buildTop() {
    var top = document.getElementById("k2-top");
    if (DATA.summary) {
      var sum = h("div", "", top);
      sum.id = "k2-summary";
      sum.textContent = DATA.summary;
      buildBars(top);
      var legend = h("div", "k2-legend", top);
      var present = new Set();
      state.panes.forEach(function (p) {
        for (var i = 0; i < p.n.st.length; i++) present.add(p.fate(i));
      });
      h("span", "k2-legend-head", legend,
        DATA.stages.length === 3 ? "removed at tracing:" : "removed:");
      CATS.forEach(function (c, k) { if (present.has(k)) legendItem(legend, k, c[1]); });
      h("span", "k2-legend-head", legend, "\u00b7");
      [N_CAT, N_CAT + 1, N_CAT + 2].forEach(function (f) {
        if (present.has(f)) legendItem(legend, f, FATES[f][1]);
      });
    }
    var bar = h("div", "k2-controls", top);
    if (DATA.panes.length === 2) {
      var lab = h("label", "", bar);
      var link = h("input", "", lab);
      link.type = "checkbox";
      link.checked = true;
      link.id = "k2-link";
      lab.appendChild(document.createTextNode(" link panes (one scale, open scopes in both)"));
      link.addEventListener("change", function () { state.linked = link.checked; firstView(); });
      var both = h("input", "k2-search-both", bar);
      both.type = "search";
      both.placeholder = "search both panes";
      both.title = "Regular expression on node names and op types, in both panes";
      var timer = null;
      both.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          state.panes.forEach(function (p) { p.input.value = both.value; p.search(both.value); });
        }, 180);
      });
      both.addEventListener("keydown", function (ev) {
        if (ev.key !== "Enter") return;
        state.panes.forEach(function (p) { p.search(both.value); p.reveal(); });
      });
    }
    var hint = h("span", "", bar, "The wheel scrolls the page; Ctrl/\u2318 + wheel zooms "
      + "(plain wheel too after a click on a graph); drag pans.");
    hint.id = "k2-hint";
    if (DATA.table && DATA.table.length) {
      var det = h("details", "", bar);
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
    state.linked = true;
    state.downloads = [];
    state.twins = [];
    var root = document.getElementById("k2-panes");
    DATA.panes.forEach(function (d, k) { state.panes.push(new Pane(root, d, k)); });
    buildTop();
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
    // Drawn (laid out, in the DOM) now; painted at the next frame, which a browser may delay
    // for an iframe scrolled out of view, so "ready" does not wait for it.
    state.drawnMs = performance.now();
    state.ready = true;
    document.body.setAttribute("data-ready", "1");
    requestAnimationFrame(function () {
      state.firstPaintMs = performance.now();
      if (location.hash !== "#k2-cold") setTimeout(warmUp, 0);  // the benchmark's worst case
    });
    window.addEventListener("resize", function () { firstView(); });
  }

  main();
})();
