/* base.js: the page's data, colours, marks and small helpers shared by every other file.
 * The page inlines the files in this order inside one function (see viewer/page.py):
 * base, panes, layout, minimap, details, navigate, export, drift, then viewer.js (the page
 * and its start).
 * Everything from the graph is written with textContent / setAttribute: never as HTML. */
"use strict";
var SVGNS = "http://www.w3.org/2000/svg";
var DATA = JSON.parse(document.getElementById("k2-data").textContent);
var CATS = DATA.categories;  // [[key, legend text], ...]: why a node was removed
var FATES = DATA.fates;  // [[key, legend text], ...]: what happened to a node
var MAX_BOXES = DATA.maxBoxes;
var FATE_INDEX = {};
FATES.forEach(function (f, k) { FATE_INDEX[f[0]] = k; });
// Okabe-Ito colours (distinct for the common colour-vision deficiencies), Tol's wine, indigo
// and brown for the rarer fates: [fill, text]. Marks never rely on colour alone: removed
// boxes have a dashed border, changed ones a thick one, inputs changed a double line.
var PALETTE = {
  optimizer: ["#D55E00", "#ffffff"], gradient: ["#E69F00", "#1d1d1d"],
  loss: ["#CC79A7", "#1d1d1d"], random: ["#F0E442", "#1d1d1d"],
  batchnorm: ["#0072B2", "#ffffff"], update: ["#882255", "#ffffff"],
  variable: ["#56B4E9", "#1d1d1d"], other: ["#9a9a9a", "#1d1d1d"],
  kept: ["#ffffff", "#1d2430"], changed: ["#009E73", "#ffffff"],
  input: ["#c6ebdc", "#0b3d2c"], added: ["#1d1d1d", "#ffffff"],
  added_freeze: ["#332288", "#ffffff"], removed_freeze: ["#661100", "#ffffff"],
  // a frozen graph and its rewrite (graph/diff.py REWRITE_*): grappler, then each pass
  rw_merged: ["#E69F00", "#1d1d1d"], rw_identity: ["#9a9a9a", "#1d1d1d"],
  rw_removed: ["#D55E00", "#ffffff"], rw_const: ["#009E73", "#ffffff"],
  rw_mul_conv: ["#882255", "#ffffff"], rw_adds_to_bias_adds: ["#0072B2", "#ffffff"],
  rw_muls_to_depthwise: ["#CC79A7", "#1d1d1d"],
  rw_lone_bias_adds_to_depthwise: ["#56B4E9", "#1d1d1d"],
  rw_one_pixel_depthwise: ["#F0E442", "#1d1d1d"], rw_added: ["#332288", "#ffffff"],
  rw_input: ["#c6ebdc", "#0b3d2c"], rw_changed: ["#661100", "#ffffff"]
};
var NEUTRAL = ["#f3f5f9", "#1d2430"];
var REMOVED = new Set(CATS.map(function (c) { return c[0]; }).concat(["removed_freeze"]));
// Chips: a variable an op reads (kind 0), or the constant freezing made of it (kind 1).
var CHIP = [["#ffffff", "#0072B2", "#0b2f4d", "variable"],
            ["#009E73", "#00563f", "#ffffff", "constant (frozen)"]];
var state = { panes: [], ready: false, firstPaintMs: null, errors: [], twins: [],
              downloads: [], linked: true, projector: false };
window.__k2pb = state;
window.addEventListener("error", function (e) { state.errors.push(String(e.message)); });

function fateKey(f) { return f >= 0 ? FATES[f][0] : ""; }
function fateText(f) { return f >= 0 ? FATES[f][1] : ""; }
function colours(f) { return PALETTE[fateKey(f)] || NEUTRAL; }
function isRemoved(f) { return f >= 0 && REMOVED.has(FATES[f][0]); }
// What kind of mark fate f gets: "removed" (dashed), "changed" (thick border), "input"
// (green double line), "added" (dark), "kept" or "" (no fate).
var ADDED = new Set(["added", "added_freeze", "rw_added"]);
function fateKind(f) {
  var key = fateKey(f);
  if (!key || key === "kept") return key;
  if (REMOVED.has(key)) return "removed";
  if (ADDED.has(key)) return "added";
  if (key === "input" || key === "rw_input") return "input";
  return "changed";
}

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
// Decimal units, as graph/diff.py's bytes_text writes them in the sentences (one number,
// one unit, everywhere on the page).
function bytesText(n) {
  if (n < 1000) return n + " B";
  if (n < 1e5) return (n / 1000).toFixed(1) + " kB";
  return (n / 1e6).toFixed(2) + " MB";
}

// ---- tooltip ---------------------------------------------------------------------------
var tip = document.getElementById("k2-tip");
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
