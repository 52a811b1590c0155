/* export.js: a pane as a standalone SVG or PNG that explains itself: the page's font, the
 * stage title, the one-line summary and the legend of what it shows, made offline. */

function pageFont() {
  return getComputedStyle(document.body).fontFamily || "sans-serif";
}

// Split ``text`` into lines of at most ``n`` characters, at spaces.
function wrap(text, n) {
  var out = [], line = "";
  text.split(" ").forEach(function (word) {
    if (line && (line + " " + word).length > n) { out.push(line); line = word; }
    else line = line ? line + " " + word : word;
  });
  if (line) out.push(line);
  return out;
}

// The fates and marks drawn in this pane now: [[kind, key, text], ...] for the legend.
Pane.prototype.legendNow = function () {
  var fates = new Set(), self = this, out = [];
  var boxes = this.vp.querySelectorAll(".k2-box");
  for (var k = 0; k < boxes.length; k++) {
    var id = boxes[k].getAttribute("data-id"), i = +id.slice(1);
    if (id[0] === "n") { if (self.fate(i) >= 0) fates.add(self.fate(i)); }
    else { var fc = self.sc.fc[i]; for (var j = 0; j < fc.length; j += 2) fates.add(fc[j]); }
  }
  Array.from(fates).sort(function (a, b) { return a - b; }).forEach(function (f) {
    out.push(["fate", f, fateText(f)]);
  });
  if (this.vp.querySelector(".k2-chip-var")) out.push(["chip", 0, "variable an op reads"]);
  if (this.vp.querySelector(".k2-chip-const")) {
    out.push(["chip", 1, "constant freezing made of a variable"]);
  }
  if (this.vp.querySelector(".k2-stack")) out.push(["mark", "bar", "bar: share of the box's nodes"]);
  if (this.vp.querySelector(".k2-scope")) out.push(["mark", "scope", "shadowed box: a closed scope"]);
  if (this.vp.querySelector(".k2-drift")) {
    out.push(["drift", 0, "drift (max rel. diff, log): 1e-8 .. 1"]);
  }
  if (this.vp.querySelector(".k2-diverged")) out.push(["mark", "diverged", "first divergence"]);
  return out;
};

// The pane's whole graph as a standalone SVG document (styles inlined), made in the page,
// with a header: title, summary and legend.
Pane.prototype.svgText = function () {
  var gw = Math.ceil(this.graphSize[0]), gh = Math.ceil(this.graphSize[1]);
  var width = Math.max(gw, 560), font = pageFont();
  var lines = wrap(this.d.caption || DATA.summary || "", Math.floor((width - 20) / 6.4));
  var legend = this.legendNow(), perRow = Math.max(1, Math.floor((width - 20) / 230));
  var headH = 26 + lines.length * 15 + Math.ceil(legend.length / perRow) * 16 + 8;
  var height = gh + headH;
  var clone = this.svg.cloneNode(true);
  clone.setAttribute("xmlns", SVGNS);
  clone.setAttribute("width", width);
  clone.setAttribute("height", height);
  clone.setAttribute("viewBox", "0 0 " + width + " " + height);
  clone.setAttribute("font-family", font);
  clone.setAttribute("font-size", "12");
  clone.removeAttribute("aria-label");
  var vp = clone.querySelector(".k2-viewport");
  vp.setAttribute("transform", "translate(" + Math.floor((width - gw) / 2) + "," + headH + ")");
  ["k2-twin", "k2-hot", "k2-match", "k2-sel"].forEach(function (c) {
    var marked = clone.querySelectorAll("." + c);
    for (var k = 0; k < marked.length; k++) marked[k].classList.remove(c);
  });
  var title = document.createElementNS(SVGNS, "title");
  title.textContent = this.d.title;
  var style = document.createElementNS(SVGNS, "style");
  style.textContent = "svg { font-family: " + font + "; }\n"
    + document.querySelector("style").textContent;
  var bg = document.createElementNS(SVGNS, "rect");
  bg.setAttribute("width", width);
  bg.setAttribute("height", height);
  bg.setAttribute("fill", "#ffffff");
  var head = document.createElementNS(SVGNS, "g");
  head.setAttribute("class", "k2-export-head");
  var t = s("text", { x: 10, y: 18, "font-size": 15, "font-weight": 700, fill: "#1d2430" }, head);
  t.textContent = this.d.title;
  lines.forEach(function (line, k) {
    var tl = s("text", { x: 10, y: 36 + 15 * k, "font-size": 11.5, fill: "#1d2430" }, head);
    tl.textContent = line;
  });
  var y0 = 30 + lines.length * 15;
  legend.forEach(function (item, k) {
    var x = 10 + (k % perRow) * 230, y = y0 + Math.floor(k / perRow) * 16;
    if (item[0] === "fate") {
      var sw = s("rect", { x: x, y: y, width: 11, height: 11, fill: colours(item[1])[0],
                           stroke: "#555", "stroke-width": 1 }, head);
      if (isRemoved(item[1])) sw.setAttribute("stroke-dasharray", "3 1.5");
    } else if (item[0] === "chip") {
      var look = CHIP[item[1]];
      s("rect", { x: x, y: y + 1, width: 16, height: 9, rx: 2, fill: look[0], stroke: look[1],
                  "stroke-dasharray": item[1] ? "" : "3 1.5" }, head);
    } else if (item[0] === "drift") {  // the scale, in five steps (js/drift.js)
      for (var j = 0; j < 5; j++) {
        s("rect", { x: x + j * 3, y: y, width: 3, height: 11,
                    fill: driftColours(Math.pow(10, DRIFT_LO + j / 4 * (DRIFT_HI - DRIFT_LO)))[0]
                  }, head);
      }
    } else if (item[1] === "diverged") {
      s("rect", { x: x, y: y, width: 11, height: 11, fill: "#ffffff", stroke: "#c00000",
                  "stroke-width": 2.5 }, head);
    } else {
      s("rect", { x: x, y: y, width: 11, height: 11, fill: "#c9d3e3", stroke: "#4f6d99" }, head);
    }
    var lt = s("text", { x: x + 20, y: y + 10, "font-size": 11, fill: "#1d2430" }, head);
    lt.textContent = item[2];
  });
  clone.insertBefore(head, vp);
  clone.insertBefore(bg, clone.firstChild);
  clone.insertBefore(style, clone.firstChild);
  clone.insertBefore(title, clone.firstChild);
  this.exportSize = [width, height];
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
  var gw = this.exportSize[0], gh = this.exportSize[1];
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
