/* drift.js: the per-node drift overlay (a per-node drift report, keras2pb.per_node_drift):
 * a pane whose data has a drift column (n.dr: per node its largest relative difference,
 * null: not compared, -1: not finite) fills its ops by drift on a log scale, a closed scope
 * by the worst drift beneath it; the first divergence gets a thick red border and a label,
 * a button in the pane's head (key D) and the top line of the side panel jump to it. */

// The scale: 1e-8 (and less) .. 1 (and more), log10, light yellow to dark red (ColorBrewer
// YlOrRd); a node whose sides are not finite is black.
var DRIFT_LO = -8, DRIFT_HI = 0;
var DRIFT_STOPS = [[255, 255, 204], [254, 217, 118], [253, 141, 60], [227, 26, 28],
                   [128, 0, 38]];
var DRIFT_NONFINITE = ["#000000", "#ffffff"];

function driftT(v) {
  var lg = v > 0 ? Math.log10(v) : DRIFT_LO;
  return Math.min(1, Math.max(0, (lg - DRIFT_LO) / (DRIFT_HI - DRIFT_LO)));
}
// [fill, text] of a drift value.
function driftColours(v) {
  if (v === -1) return DRIFT_NONFINITE;
  var t = driftT(v) * (DRIFT_STOPS.length - 1), k = Math.min(DRIFT_STOPS.length - 2,
                                                              Math.floor(t));
  var a = DRIFT_STOPS[k], b = DRIFT_STOPS[k + 1], u = t - k, rgb = [0, 1, 2].map(function (c) {
    return Math.round(a[c] + (b[c] - a[c]) * u);
  });
  return ["rgb(" + rgb.join(",") + ")", t > 2.4 ? "#ffffff" : "#1d1d1d"];
}
function driftText(v) {
  if (v === -1) return "not finite";
  return v === 0 ? "0" : v.toExponential(1);
}
// The worse of two drift values (-1, not finite, is the worst; null: none).
function driftWorse(a, b) {
  if (a === null || a === undefined) return b;
  if (b === null || b === undefined) return a;
  if (a === -1 || b === -1) return -1;
  return Math.max(a, b);
}

Pane.prototype.hasDrift = function () { return !!(this.d.drift && this.n.dr); };

// Per scope the worst drift beneath it, and whether it holds the first divergence.
Pane.prototype.driftScopes = function () {
  if (this.scopeDrift) return this.scopeDrift;
  var worst = new Array(this.sc.p.length).fill(null), first = new Set();
  for (var i = 0; i < this.n.dr.length; i++) {
    var v = this.n.dr[i], isFirst = i === this.d.drift.first;
    if ((v === null || v === undefined) && !isFirst) continue;
    for (var sc = this.n.p[i]; sc >= 0; sc = this.sc.p[sc]) {
      worst[sc] = driftWorse(worst[sc], v);
      if (isFirst) first.add(sc);
      if (sc === 0) break;
    }
  }
  this.scopeDrift = { worst: worst, first: first };
  return this.scopeDrift;
};

var drawBoxPlain = Pane.prototype.drawBox;
Pane.prototype.drawBox = function (layer, id, nd) {
  drawBoxPlain.call(this, layer, id, nd);
  if (!this.hasDrift()) return;
  var grp = layer.lastChild, i = +id.slice(1), isOp = id[0] === "n";
  var v = isOp ? this.n.dr[i] : this.driftScopes().worst[i];
  var first = isOp ? i === this.d.drift.first : this.driftScopes().first.has(i);
  if (v !== null && v !== undefined) {
    var col = driftColours(v);
    grp.classList.add("k2-drift");
    grp.setAttribute("data-drift", String(v));
    grp.querySelector("rect.k2-body").setAttribute("fill", col[0]);
    grp.querySelectorAll(":scope > text").forEach(function (t) { t.setAttribute("fill", col[1]); });
  }
  if (first) {
    // a red ring around the box (its fill may be dark red) and a label to its right
    grp.classList.add("k2-diverged");
    var fs = fontScale(), x = nd.x - nd.width / 2, y = nd.y - nd.height / 2;
    s("rect", { "class": "k2-diverged-ring", x: x - 4, y: y - 4, width: nd.width + 8,
                height: nd.height + 8, rx: isOp ? 13 : 8, fill: "none" }, grp);
    var tag = s("text", { "class": "k2-diverged-tag", x: x + nd.width + 8, y: nd.y + 3 * fs,
                          "font-size": (10 * fs).toFixed(1) }, grp);
    tag.textContent = isOp ? "first divergence" : "first divergence inside";
  }
};

// Jump to the first divergence: open its scopes, select it and centre it.
Pane.prototype.gotoDivergence = function () {
  if (!this.hasDrift() || this.d.drift.first < 0) return false;
  var ok = this.focusNode(this.d.drift.first);
  var info = this.d.drift.firstInfo || {};
  this.say("first divergence: " + this.d.drift.firstNode
    + (info.max_abs_diff != null ? ", max abs diff " + driftText(info.max_abs_diff) : "")
    + (info.tolerance != null ? " (tolerance " + driftText(info.tolerance) + ")" : "")
    + (info.runtime ? ", " + info.reference + " vs " + info.runtime : ""));
  return ok;
};

var buildPlain = Pane.prototype.build;
Pane.prototype.build = function (root) {
  buildPlain.call(this, root);
  if (!this.hasDrift()) return;
  var self = this, tools = this.el.querySelector(".k2-tools");
  var btn = h("button", "k2-goto-diverged", null, "First divergence");
  tools.insertBefore(btn, tools.firstChild);
  if (this.d.drift.first < 0) {
    btn.disabled = true;
    btn.title = this.d.drift.firstNode ? "The first divergence (" + this.d.drift.firstNode
      + ") is not a node of this graph" : "No node diverged past its tolerance";
  } else {
    btn.title = "Jump to the first node past its tolerance: " + this.d.drift.firstNode + " (D)";
  }
  btn.addEventListener("click", function () { self.gotoDivergence(); });
};

function driftPane() {
  for (var k = 0; k < state.panes.length; k++) {
    if (state.panes[k].hasDrift()) return state.panes[k];
  }
  return null;
}

// The legend: the scale, and the first divergence's mark.
function driftLegend(legend) {
  var p = driftPane();
  if (!p) return;
  var item = h("span", "k2-legend-item k2-legend-drift", legend);
  item.title = "Largest relative difference of a node's output between the runs compared ("
    + fmt(p.d.drift.matched) + " nodes of " + p.d.title + "); black: not finite";
  item.appendChild(document.createTextNode("drift (max rel. diff, log): \u2264 1e-8 "));
  var sw = h("span", "k2-drift-scale", item);
  sw.style.background = "linear-gradient(90deg, " + [0, 0.25, 0.5, 0.75, 1].map(function (t) {
    return driftColours(Math.pow(10, DRIFT_LO + t * (DRIFT_HI - DRIFT_LO)))[0];
  }).join(", ") + ")";
  item.appendChild(document.createTextNode(" \u2265 1"));
  if (p.d.drift.first >= 0) markItem(legend, "diverged", "first divergence");
}

// The side panel's first line: the first divergence, a click jumps to it.
function driftSide(side) {
  var p = driftPane();
  if (!p || p.d.drift.first < 0) return;
  h("div", "k2-sidehead", side, "Drift");
  var list = h("ul", "", side);
  list.id = "k2-drift-list";
  var li = h("li", "k2-change k2-drift-first", list);
  h("span", "k2-clabel", li, "first divergence: " + p.d.drift.firstNode);
  li.addEventListener("click", function () { p.gotoDivergence(); });
}

window.addEventListener("keydown", function (ev) {
  var tag = ev.target && ev.target.tagName;
  if (tag === "INPUT" || tag === "SELECT" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (ev.key !== "d" && ev.key !== "D") return;
  var p = driftPane();
  if (p && p.gotoDivergence()) ev.preventDefault();
});
if (DATA.panes.some(function (d) { return d.drift; })) {
  SHORTCUTS.splice(SHORTCUTS.length - 2, 0, ["D", "jump to the first divergence (drift report)"]);
}
