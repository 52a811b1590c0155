/* details.js: the tooltip texts and the details panel of a selected op (placed where it does
 * not cover the op), with what happened to it and its twins in the other panes. */

Pane.prototype.statusText = function (i) {
  var f = this.fate(i);
  if (f < 0) return "";
  return FATES[f][1];
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
    text += " \u2190 " + n.fo[j].slice(0, 2).map(function (k) {
      return self.constText(k, (depth || 0) + 1);
    }).join(", ");
  }
  return text;
};

// Select op i: mark it, show its details (where they do not cover it) and its twins.
Pane.prototype.select = function (i, details) {
  state.panes.forEach(function (p) { if (p.selected >= 0) p.unselect(); });
  this.selected = i;
  this.markSelected();
  if (details) this.showDetails(i);
  var self = this;
  this.others().forEach(function (o) {
    var j = self.twinIn(o, i);
    if (j >= 0) o.centerOnNode(j);
  });
  saveHash();
};

Pane.prototype.unselect = function () {
  this.selected = -1;
  var old = this.vp.querySelectorAll(".k2-sel");
  for (var k = 0; k < old.length; k++) old[k].classList.remove("k2-sel");
  this.details.hidden = true;
};

Pane.prototype.markSelected = function () {
  var old = this.vp.querySelectorAll(".k2-sel");
  for (var k = 0; k < old.length; k++) old[k].classList.remove("k2-sel");
  if (this.selected < 0) return;
  var el = this.vp.querySelector('.k2-box[data-id="' + this.shownBox(this.selected) + '"]');
  if (el) el.classList.add("k2-sel");
};

// The details panel of node i: op, what happened to it, shape, attributes, inputs,
// consumers, variables and constants it reads.
Pane.prototype.showDetails = function (i) {
  var n = this.n, d = this.d, self = this, box = this.details;
  box.textContent = "";
  box.hidden = false;
  var head = h("div", "k2-dhead", box);
  h("b", "k2-dname", head, this.fullName(i));
  var close = h("button", "k2-dclose", head, "\u00d7");
  close.title = "Close the details (Esc)";
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
  this.others().forEach(function (o) {
    var j = self.twinIn(o, i);
    if (j >= 0) row("in " + o.d.title, o.fullName(j) + " (" + o.d.ops[o.n.op[j]] + ")");
  });
  if (d.shapes[n.sh[i]]) row("output shape", d.shapes[n.sh[i]]);
  d.attrs[n.at[i]].forEach(function (kv) { row("attr " + kv[0], kv[1]); });
  function list(title, items, text) {
    if (!items.length) return;
    h("div", "k2-dsec", box, title + " (" + items.length + ")");
    var ul = h("ul", "", box);
    items.slice(0, 50).forEach(function (j) { h("li", "", ul, text(j)); });
    if (items.length > 50) h("li", "", ul, "\u2026 " + (items.length - 50) + " more");
  }
  var chips = this.chips[i] || [];
  list("variables and constants freezing concerns", chips, function (c) {
    return (c[3] ? "constant (was a variable) " : "variable ") + c[0] + "  " + c[1] + "  "
      + bytesText(c[2]) + "  \u2014 " + self.fullName(c[4]);
  });
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
  this.placeDetails();
};

// Put the details panel in the corner farthest from the selected box; if it still covers
// the box, move the view so the box shows beside it.
Pane.prototype.placeDetails = function () {
  var box = this.details, r = this.boxRect(this.shownBox(this.selected));
  if (!r || box.hidden) return;
  var v = this.view, wh = this.size();
  var cx = v.x + (r[0] + r[2] / 2) * v.k, cy = v.y + (r[1] + r[3] / 2) * v.k;
  box.classList.toggle("k2-dleft", cx > wh[0] / 2);
  box.classList.toggle("k2-dtop", cy > wh[1] / 2);
  var c = this.canvas.getBoundingClientRect(), b = box.getBoundingClientRect();
  var bx0 = b.left - c.left, by0 = b.top - c.top, bx1 = b.right - c.left, by1 = b.bottom - c.top;
  var x0 = v.x + r[0] * v.k, y0 = v.y + r[1] * v.k;
  var x1 = x0 + r[2] * v.k, y1 = y0 + r[3] * v.k;
  if (x1 < bx0 || x0 > bx1 || y1 < by0 || y0 > by1) return;
  // shift across, away from the panel, or else up/down
  var dx = cx > wh[0] / 2 ? bx1 + 8 - x0 : bx0 - 8 - x1;
  var dy = cy > wh[1] / 2 ? by1 + 8 - y0 : by0 - 8 - y1;
  if (Math.abs(dx) <= Math.abs(dy) && x1 - x0 + Math.abs(dx) < wh[0]) this.view.x += dx;
  else this.view.y += dy;
  this.apply();
};

Pane.prototype.hideDetails = function () {
  this.details.hidden = true;
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
  var fc = sc.fc[sidx];
  for (var k = 0; k < fc.length; k += 2) lines.push(["kv", fateText(fc[k]), fmt(fc[k + 1])]);
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
