"""The viewer page as HTML (its data, the vendored dagre, the viewer's scripts, inlined) and
the sandboxed iframe a notebook shows it in."""

from __future__ import annotations

import html
import json
import re
import secrets
from functools import cache
from importlib import resources
from typing import Any

from ..graph.diff import CATEGORIES
from .collapse import MAX_BOXES
from .payload import FATES

#: Height (px) of the notebook iframe (the page asks its frame for the height it needs).
DEFAULT_HEIGHT = 680


@cache
def _asset(name: str) -> str:
    text = resources.files("keras2pb.viewer").joinpath("assets", *name.split("/")).read_text(
        encoding="utf-8")
    if name.endswith(".js") and re.search(r"</script", text, re.IGNORECASE):
        raise RuntimeError(f"asset {name} holds '</script' and cannot be inlined")
    return text


#: The viewer's scripts, inlined in this order inside one function (they share its scope).
VIEWER_SCRIPTS = ("js/base.js", "js/panes.js", "js/layout.js", "js/minimap.js",
                  "js/details.js", "js/navigate.js", "js/export.js", "js/drift.js",
                  "viewer.js")


@cache
def viewer_script() -> str:
    """The viewer's JavaScript: the files of VIEWER_SCRIPTS in one function."""
    return "(function () {\n" + "\n".join(_asset(n) for n in VIEWER_SCRIPTS) + "\n})();"


def script_json(data: Any) -> str:
    """Return ``data`` as JSON that is safe inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` are written as ``\\u003c``, ``\\u003e``, ``\\u0026`` so no name in
    the graph can close the element or open a comment; JSON.parse reads them back unchanged.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def page_html(panes: list[dict[str, Any]], page_title: str, summary: str | None = None,
              table: dict[str, Any] | None = None, max_boxes: int = MAX_BOXES,
              stages: list[dict[str, Any]] | None = None,
              transitions: list[dict[str, str]] | None = None,
              nav: dict[str, list[int]] | None = None,
              fate_texts: dict[str, str] | None = None,
              fates: tuple[tuple[str, str], ...] = FATES,
              categories: tuple[tuple[str, str], ...] = CATEGORIES) -> str:
    """Return the full standalone HTML page for one, two or three panes.

    In: pane dicts from ``payload.pane_data``, the page title, an optional one-line diff
    summary, the per-op-type table (``payload.diff_table``), node-count bars
    (``payload.stage_bars``), sentences per transition (the diff's ``sentences()``), the
    change navigator's homes (``payload.NAV_*``), texts replacing the fates' defaults, the
    fates (``payload.FATES`` or ``REWRITE_FATES``) and the removal reasons they start with
    (CATEGORIES or ``REWRITE_REMOVED``). Out: one HTML document holding the data, the
    vendored dagre and the viewer script; a Content-Security-Policy forbids every network
    request and
    every script but these two (by nonce).
    """
    texts = fate_texts or {}
    data = {"panes": panes, "summary": summary, "table": table or {},
            "categories": [list(c) for c in categories],
            "fates": [[k, texts.get(k, v)] for k, v in fates],
            "stages": stages or [], "maxBoxes": max_boxes, "transitions": transitions or [],
            "nav": nav or {}, "removedHead": texts.get("", "removed:")}
    parts = {
        "NONCE": secrets.token_urlsafe(16),
        "TITLE": html.escape(page_title),
        "CSS": _asset("viewer.css"),
        "DATA": script_json(data),
        "DAGRE": _asset("vendor/dagre/dagre.min.js"),
        "VIEWER": viewer_script(),
    }
    return re.sub(r"@@([A-Z]+)@@", lambda m: parts[m.group(1)], _asset("viewer.html"))


def iframe_html(page: str, height: int = DEFAULT_HEIGHT, title: str = "graph viewer") -> str:
    """Return an ``<iframe srcdoc>`` holding ``page``: sandboxed (scripts and the SVG/PNG
    downloads the page makes; no same-origin access, no forms, no popups), 100 % wide,
    ``height`` px high until the page asks for the height its first view needs (a small
    script beside the frame listens; where scripts in outputs do not run, it stays)."""
    ident = "k2f" + secrets.token_hex(6)
    listen = ("<script>(function(){var f=document.getElementById('" + ident + "');"
              "window.addEventListener('message',function(e){if(!f||e.source!==f.contentWindow)"
              "return;var h=e.data&&e.data.k2pbHeight;if(typeof h==='number'&&h>200&&h<3000)"
              "f.style.height=Math.round(h)+'px';});})();</script>")
    return (f'<iframe id="{ident}" sandbox="allow-scripts allow-downloads" '
            f'title="{html.escape(title)}" '
            f'style="width:100%;height:{int(height)}px;border:1px solid #d5dbe5" '
            f'srcdoc="{html.escape(page, quote=True)}"></iframe>' + listen)
