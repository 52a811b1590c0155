/* minimap.js: an overview of a big graph in a corner of its pane (TensorBoard has one):
 * every box in its fill, open scopes as outlines, and the part the pane shows as a frame.
 * A click or a drag on it moves the view there. Shown only while the graph, at the current
 * scale, is half again as wide or high as the pane. */
var MINIMAP = [170, 120];  // its largest width and height, px

// Whether the graph, at the current scale, is half again as wide or high as the pane (a
// graph a little taller than its pane needs no map: a glance or a drag shows the rest).
// The pane's size is the one last measured (framing and fitting measure it just before;
// measuring again right after a redraw would make the browser lay out the page twice).
Pane.prototype.needsMinimap = function () {
  var gs = this.graphSize, wh = this.lastSize || this.size(), k = this.view.k;
  return !!gs && (gs[0] * k > 1.5 * wh[0] || gs[1] * k > 1.5 * wh[1]);
};

Pane.prototype.buildMinimap = function () {
  var self = this, el = s("svg", { "class": "k2-minimap" }, null);
  el.setAttribute("aria-label", "overview of " + this.d.title + " (click or drag to move)");
  el.setAttribute("visibility", "hidden");
  this.canvas.appendChild(el);
  this.mini = el;
  this.miniBoxes = s("g", {}, el);
  this.miniView = s("rect", { "class": "k2-miniview" }, el);
  var dragging = false;
  var move = function (ev) {
    var r = el.getBoundingClientRect(), m = self.miniScale, wh = self.size(), k = self.view.k;
    var gx = (ev.clientX - r.left) / m, gy = (ev.clientY - r.top) / m;
    self.view = { x: wh[0] / 2 - gx * k, y: wh[1] / 2 - gy * k, k: k };
    self.apply();
  };
  el.addEventListener("pointerdown", function (ev) {
    ev.stopPropagation();
    dragging = true;
    if (el.setPointerCapture) el.setPointerCapture(ev.pointerId);
    move(ev);
  });
  el.addEventListener("pointermove", function (ev) { if (dragging) move(ev); });
  el.addEventListener("pointerup", function () { dragging = false; });
  el.addEventListener("click", function (ev) { ev.stopPropagation(); });
};

// Draw the boxes and frames of the current layout, scaled to fit MINIMAP.
Pane.prototype.drawMinimap = function () {
  var g = this.g, gs = this.graphSize, layer = this.miniBoxes;
  var m = Math.min(MINIMAP[0] / gs[0], MINIMAP[1] / gs[1]);
  this.miniScale = m;
  var w = Math.max(8, gs[0] * m).toFixed(1), ht = Math.max(8, gs[1] * m).toFixed(1);
  this.mini.setAttribute("width", w);
  this.mini.setAttribute("height", ht);
  this.mini.style.width = w + "px";  // the pane's own svg is 100 % wide and high
  this.mini.style.height = ht + "px";
  while (layer.firstChild) layer.removeChild(layer.firstChild);
  var rect = function (nd, cls, fill) {
    var r = s("rect", { x: ((nd.x - nd.width / 2) * m).toFixed(1),
                        y: ((nd.y - nd.height / 2) * m).toFixed(1),
                        width: Math.max(1, nd.width * m).toFixed(1),
                        height: Math.max(1, nd.height * m).toFixed(1), "class": cls }, layer);
    if (fill) r.setAttribute("fill", fill);
  };
  var frames = this.vp.querySelectorAll(".k2-cluster"), k;
  for (k = 0; k < frames.length; k++) {
    var nd = g.node("c" + frames[k].getAttribute("data-id").slice(1));
    if (nd && nd.width !== undefined) rect(nd, "k2-miniframe");
  }
  var boxes = this.vp.querySelectorAll(".k2-box");
  for (k = 0; k < boxes.length; k++) {
    var id = boxes[k].getAttribute("data-id"), box = g.node(id);
    var body = boxes[k].querySelector("rect.k2-body");
    if (box && box.width !== undefined) {
      rect(box, "k2-minibox", body ? body.getAttribute("fill") : null);
    }
  }
  this.miniDrawn = this.g;
};

// Show or hide the minimap and move its frame to what the pane shows now.
Pane.prototype.updateMinimap = function () {
  var want = this.needsMinimap();
  if (!want) {
    if (this.mini) this.mini.setAttribute("visibility", "hidden");
    return;
  }
  if (!this.mini) this.buildMinimap();
  if (this.miniDrawn !== this.g) {
    // a new layout: drawn in a task of its own, after the pane itself has been painted (the
    // map is secondary; opening a box should not wait for it)
    var self = this;
    if (!this.miniPending) {
      this.miniPending = setTimeout(function () {
        self.miniPending = null;
        if (self.g && self.miniDrawn !== self.g) {
          self.drawMinimap();
          self.updateMinimap();
        }
      }, 0);
    }
    return;
  }
  this.mini.setAttribute("visibility", "visible");
  var v = this.view, wh = this.lastSize || this.size(), m = this.miniScale;
  var x = -v.x / v.k * m, y = -v.y / v.k * m, w = wh[0] / v.k * m, ht = wh[1] / v.k * m;
  var mw = this.graphSize[0] * m, mh = this.graphSize[1] * m;
  var x0 = Math.max(0, x), y0 = Math.max(0, y);
  this.miniView.setAttribute("x", x0.toFixed(1));
  this.miniView.setAttribute("y", y0.toFixed(1));
  this.miniView.setAttribute("width", Math.max(2, Math.min(mw, x + w) - x0).toFixed(1));
  this.miniView.setAttribute("height", Math.max(2, Math.min(mh, y + ht) - y0).toFixed(1));
};

(function () {
  var apply = Pane.prototype.apply;
  Pane.prototype.apply = function () {
    apply.call(this);
    this.updateMinimap();
  };
})();
