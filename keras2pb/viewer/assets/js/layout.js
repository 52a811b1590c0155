/* layout.js: which boxes a set of open scopes shows, their sizes, dagre layout, drawing
 * (boxes, frames, edges, the variable/constant chips, the fate bars). */

// Boxes with more edges than this are laid out without them (as TensorBoard extracts
// high-degree nodes); their edges are drawn faint and straight. Only for busy views.
var HUB_DEGREE = 24, HUB_MIN_EDGES = 150;
// The views laid out so far, by their open scopes (the last LAYOUT_CACHE of them): going
// back to a view (closing a scope, Reset) draws it without laying it out again.
var LAYOUT_CACHE = 24;
var MAX_CHIPS = 3;

function fontScale() { return state.projector ? 1.45 : 1; }

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

// The chips drawn on op i: [[text, kind, chip], ...] (at most MAX_CHIPS rows).
Pane.prototype.chipRows = function (i) {
  var list = this.chips[i];
  if (!list) return [];
  var rows = list.slice(0, list.length > MAX_CHIPS ? MAX_CHIPS - 1 : MAX_CHIPS)
    .map(function (c) {
      return [(c[3] ? "const" : "var") + (c[0] ? " " + c[0] : "")
        + (c[1] && c[1] !== "?" ? "  " + c[1] : "") + (c[2] ? "  " + bytesText(c[2]) : ""),
        c[3], c];
    });
  if (list.length > rows.length) {
    var rest = list.length - rows.length, bytes = 0;
    list.slice(rows.length).forEach(function (c) { bytes += c[2]; });
    rows.push(["+" + rest + " more  " + bytesText(bytes), list[rows.length][3], null]);
  }
  return rows;
};

// Per scope: [variables, constants made by freezing, bytes, variables of unknown size] read
// by the ops beneath it; each variable once, however many ops read it (chip[4]: its node).
Pane.prototype.scopeChips = function (sidx) {
  if (!this.chipSums) {
    var sums = this.sc.p.map(function () { return [0, 0, 0, 0]; }), self = this;
    var seen = this.sc.p.map(function () { return {}; });
    Object.keys(this.chips).forEach(function (i) {
      self.chips[i].forEach(function (c) {
        for (var up = self.n.p[+i]; up > 0; up = self.sc.p[up]) {
          if (seen[up][c[4]]) continue;
          seen[up][c[4]] = true;
          sums[up][c[3] ? 1 : 0] += 1;
          sums[up][2] += c[2];
          if (!c[2]) sums[up][3] += 1;
        }
      });
    });
    this.chipSums = sums;
  }
  return this.chipSums[sidx];
};

// The chip row of a closed scope: [text, kind, null], or null without variables.
Pane.prototype.scopeChipRow = function (sidx) {
  var c = this.scopeChips(sidx);
  if (!c[0] && !c[1]) return null;
  var kind = c[1] >= c[0] ? 1 : 0, n = kind ? c[1] : c[0];
  // sizes the graph does not say (an optimizer's slot variables) are not guessed: "+ more"
  var size = c[3] ? (c[2] ? bytesText(c[2]) + " + " + fmt(c[3]) + " of unknown size"
                           : "size unknown") : bytesText(c[2]);
  return [fmt(n) + (kind ? (n === 1 ? " constant" : " constants")
    : (n === 1 ? " variable" : " variables")) + "  " + size, kind, null];
};

Pane.prototype.boxSize = function (id) {
  var i = +id.slice(1), fs = fontScale();
  if (id[0] === "n") {
    var label = clip(this.opLabel(i), 30), op = clip(this.d.ops[this.n.op[i]], 30);
    var w = Math.max(64, Math.max(label.length, op.length * 0.9) * 6.4 + 16);
    var rows = this.chipRows(i);
    rows.forEach(function (r) { w = Math.max(w, r[0].length * 5.1 + 18); });
    return [w * fs, (32 + rows.length * 14) * fs];
  }
  // a closed scope grows with the nodes it holds, so big groups (the optimizer) stand out
  var lab = clip(this.sc.label[i], 30), grow = Math.log2(1 + this.sc.cnt[i] / 10);
  var chip = this.scopeChipRow(i);
  return [fs * Math.max(80 + 14 * grow, lab.length * 6.6 + 22, this.scopeSub(i).length * 5.4
                        + 16, chip ? chip[0].length * 5.1 + 18 : 0),
          fs * (42 + Math.min(30, 6 * grow) + (chip ? 14 : 0))];
};

// "82 nodes · 46 removed · 4 changed": what happened beneath scope i.
Pane.prototype.scopeSub = function (i) {
  var sub = fmt(this.sc.cnt[i]) + " nodes", fc = this.sc.fc[i], rm = 0, ch = 0, ad = 0;
  for (var k = 0; k < fc.length; k += 2) {
    var kind = fateKind(fc[k]);
    if (kind === "removed") rm += fc[k + 1];
    else if (kind === "changed") ch += fc[k + 1];
    else if (kind === "added") ad += fc[k + 1];
  }
  if (rm) sub += " \u00b7 " + fmt(rm) + " removed";
  if (ch) sub += " \u00b7 " + fmt(ch) + " changed";
  if (ad) sub += " \u00b7 " + fmt(ad) + " added";
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
  var fs = fontScale();
  g.setGraph({ rankdir: "TB", nodesep: 16 * fs, ranksep: 30 * fs, edgesep: 6, marginx: 16,
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

Pane.prototype.cacheKey = function (expanded) {
  return (state.projector ? "p:" : "") + Array.from(expanded).sort(function (a, b) {
    return a - b;
  }).join(",");
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
  this.g = g;
  this.draw(g, vis);
  this.nBoxes = vis.boxes.size;
  this.nEdges = vis.edges.size;
  this.layoutMs = performance.now() - t0;
  var d = this.d;
  this.counts.textContent = fmt(d.nNodes) + " nodes \u00b7 " + fmt(d.nOpTypes)
    + " op types \u00b7 " + fmt(vis.boxes.size) + " boxes";
  this.say("Click: open a box or an op's details \u00b7 " + Math.round(this.layoutMs) + " ms");
  this.status.title = "A click on a closed box opens it (in the linked panes too); a click on "
    + "an open box's frame title closes it; a click on an op shows its details.";
  clearMarks();
  if (this.matches) this.markMatches();
  if (this.selected >= 0) this.markSelected();
  return true;
};

Pane.prototype.draw = function (g, vis) {
  var self = this, vp = this.vp, fs = fontScale();
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
    var label = s("text", { x: nd.x - nd.width / 2 + 6, y: nd.y - nd.height / 2 + 11 * fs,
                            "font-size": (10.5 * fs).toFixed(1) }, grp);
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

// One box. An op is filled with its fate's colour (one node: nothing hidden); a closed scope
// only when every node beneath it shares one fate, else it is neutral with a bar of the
// fates in proportion, so a minority is never hidden under the majority's colour.
Pane.prototype.drawBox = function (layer, id, nd) {
  var self = this, i = +id.slice(1), isOp = id[0] === "n", fs = fontScale();
  var x = nd.x - nd.width / 2, y = nd.y - nd.height / 2;
  var cls = "k2-box " + (isOp ? "k2-op" : "k2-scope");
  // fates beneath this box, commonest first: [fate, count, fate, count, ...]
  var fc = isOp ? (this.fate(i) >= 0 ? [this.fate(i), 1] : []) : this.sc.fc[i];
  var uniform = fc.length === 2 ? fc[0] : -1, col = colours(uniform);
  for (var k = 0; k < fc.length; k += 2) {
    cls += " k2-f-" + fateKey(fc[k]);
    if (isRemoved(fc[k])) cls += isOp ? "" : " k2-has-removed";
    if (!isOp && fateKind(fc[k]) === "added") cls += " k2-has-added";
  }
  if (fc.length > 2) cls += " k2-mixed";
  if (isRemoved(uniform)) cls += " k2-removed";
  if (isOp && fateKind(uniform) === "added") cls += " k2-added";
  if (this.hubs && this.hubs.has(id)) cls += " k2-hub";
  var grp = s("g", { "class": cls, "data-id": id }, layer);
  if (!isOp) s("rect", { "class": "k2-shadow", x: x + 3, y: y + 3, width: nd.width,
                         height: nd.height, rx: 5 }, grp);
  var body = s("rect", { "class": "k2-body", x: x, y: y, width: nd.width, height: nd.height,
                         rx: isOp ? 10 : 5, fill: col[0] }, grp);
  var fk = fateKind(uniform);
  if (isRemoved(uniform)) body.setAttribute("stroke-dasharray", "4 2");
  if (fk === "changed") body.setAttribute("stroke-width", "3");
  if (fk === "input") {
    body.setAttribute("stroke", "#009E73");
    body.setAttribute("stroke-width", "2.5");
  }
  var rows = isOp ? this.chipRows(i) : [];
  var mid = isOp ? y + 16 * fs : y + 17 * fs;
  var t1 = s("text", { x: nd.x, y: mid - 3 * fs, "text-anchor": "middle", fill: col[1],
                       "font-size": (11 * fs).toFixed(1) }, grp);
  var t2 = s("text", { "class": "k2-sub", x: nd.x, y: mid + 9 * fs, "text-anchor": "middle",
                       fill: col[1], "font-size": (9.5 * fs).toFixed(1) }, grp);
  if (isOp) {
    t1.textContent = clip(this.opLabel(i), 30);
    t2.textContent = clip(this.d.ops[this.n.op[i]], 30);
    rows.forEach(function (r, k) {
      self.drawChip(grp, x + 5 * fs, y + (31 + 14 * k) * fs, nd.width - 10 * fs, r);
    });
  } else {
    t1.textContent = clip(this.sc.label[i], 30);
    t2.textContent = this.scopeSub(i);
    var chip = this.scopeChipRow(i);
    if (chip) this.drawChip(grp, x + 5 * fs, mid + 13 * fs, nd.width - 10 * fs, chip);
    if (fc.length > 2) this.stackedBar(grp, x, y + nd.height - 11 * fs, nd.width, fc);
  }
  grp.addEventListener("click", function (ev) {
    if (self.dragged) return;
    ev.stopPropagation();
    hideTip();
    if (isOp) self.select(i, true); else self.expand(i);
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

// A chip inside an op's box: a variable it reads, or the constant freezing made of it.
Pane.prototype.drawChip = function (grp, x, y, w, row) {
  var fs = fontScale(), look = CHIP[row[1]] || CHIP[0];
  var chip = s("g", { "class": "k2-chip k2-chip-" + (row[1] ? "const" : "var") }, grp);
  s("rect", { x: x, y: y, width: w, height: 12 * fs, rx: 3, fill: look[0], stroke: look[1],
              "stroke-width": 1, "stroke-dasharray": row[1] ? "" : "3 1.5" }, chip);
  var t = s("text", { x: x + w / 2, y: y + 9 * fs, "text-anchor": "middle", fill: look[2],
                      "font-size": (8.5 * fs).toFixed(1) }, chip);
  t.textContent = row[0];
  var title = s("title", {}, chip);
  title.textContent = look[3] + (row[2] ? ": " + row[2][0] : "");
};

// A bar along a box's bottom: one segment per fate, as wide as its share of nodes.
Pane.prototype.stackedBar = function (grp, x, y, width, fc) {
  var total = 0, k, fs = fontScale(), ht = 7 * fs;
  for (k = 1; k < fc.length; k += 2) total += fc[k];
  var bar = s("g", { "class": "k2-stack" }, grp), at = x + 3, w = width - 6;
  s("rect", { x: at - 1, y: y - 1, width: w + 2, height: ht + 2, fill: "#ffffff",
              stroke: "#1d2430", "stroke-width": 0.6 }, bar);
  for (k = 0; k < fc.length; k += 2) {
    var part = w * fc[k + 1] / total;
    var seg = s("rect", { "class": "k2-seg", x: at, y: y, width: Math.max(part, 0.8),
                          height: ht, fill: colours(fc[k])[0], "data-fate": fateKey(fc[k]) },
                bar);
    var t = s("title", {}, seg);
    t.textContent = fateText(fc[k]) + ": " + fmt(fc[k + 1]);
    at += part;
  }
};

// The boxes of pane o that hold the twins (the same nodes) of the nodes in box ``id``.
Pane.prototype.twinBoxes = function (o, id) {
  var out = new Set(), self = this;
  if (!o.code || !this.code) return out;
  var add = function (i) {
    var j = self.twinIn(o, i);
    if (j < 0) return;
    var b = o.drawnBox(j);
    if (b === undefined) {  // folded there: its consumers' box shows it
      b = o.boxOf(j, o.expanded);
      if (b[0] === "n") b = o.shownBox(j);
    }
    if (b !== undefined) out.add(b);
  };
  if (id[0] === "n") { add(+id.slice(1)); return out; }
  var c = this.boxCode(id), code = this.code;
  for (var i = 0; i < code.length; i++) if (code[i] === c) add(i);
  return out;
};

Pane.prototype.markTwins = function (id) {
  clearMarks();
  if (id === null) return;
  var self = this;
  var el = this.vp.querySelector('[data-id="' + id + '"]');
  if (el) el.classList.add("k2-hot");
  this.others().forEach(function (o) {
    self.twinBoxes(o, id).forEach(function (b) {
      var t = o.vp.querySelector('.k2-box[data-id="' + b + '"]');
      if (t) { t.classList.add("k2-twin"); state.twins.push(b); }
    });
  });
};
