"""The teacher's slides: a short notebook exported with nbconvert's reveal.js template, offline.

reveal.js comes from a registry package, not a CDN: the ``sphinx-revealjs`` wheel on PyPI ships
reveal.js (5.2.0 in sphinx-revealjs 3.2.1, MIT licence) under ``sphinx_revealjs/_static/revealjs``.
:func:`reveal_from_wheel` copies that folder out of the wheel file (no install, no import of
Sphinx); ``scripts/make_slides.py`` downloads the wheel with pip first.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

from ..errors import Keras2pbError

#: Where reveal.js sits inside the sphinx-revealjs wheel.
WHEEL_FOLDER = "sphinx_revealjs/_static/revealjs/"
#: What the page needs from reveal.js (the rest of the package is not copied).
NEEDED = ("LICENSE", "dist/reveal.css", "dist/reveal.js", "dist/theme/", "plugin/notes/")
#: The folder name of reveal.js beside the slides page.
REVEAL_DIR = "reveal.js"


def reveal_from_wheel(wheel: str | os.PathLike, dest: str | os.PathLike) -> Path:
    """Copy reveal.js (LICENSE, dist/reveal.*, dist/theme/, plugin/notes/) out of a
    sphinx-revealjs wheel into ``dest``; return ``dest``.

    Raises Keras2pbError when the wheel cannot be read or holds no reveal.js.
    """
    dest = Path(dest)
    try:
        with zipfile.ZipFile(wheel) as zf:
            names = [n for n in zf.namelist() if n.startswith(WHEEL_FOLDER)
                     and not n.endswith("/")
                     and n[len(WHEEL_FOLDER):].startswith(NEEDED)]
            if not any(n.endswith("dist/reveal.js") for n in names):
                raise Keras2pbError(f"{wheel}: no reveal.js under {WHEEL_FOLDER}")
            for name in names:
                target = dest / name[len(WHEEL_FOLDER):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(name))
    except (OSError, zipfile.BadZipFile) as exc:
        raise Keras2pbError(f"{wheel}: cannot read the wheel: {exc}") from exc
    return dest


def export_slides(notebook: str | os.PathLike, out_dir: str | os.PathLike,
                  reveal: str | os.PathLike) -> Path:
    """Export ``notebook`` (unexecuted is fine: the slides are markdown) as reveal.js slides.

    Writes ``<out_dir>/<stem>.slides.html`` and copies the reveal.js folder ``reveal`` (from
    :func:`reveal_from_wheel`) to ``<out_dir>/reveal.js``; the page loads nothing else. Returns
    the page's path. Raises Keras2pbError when a file is missing or cannot be written.
    """
    import nbformat
    from nbconvert import SlidesExporter

    from ..fileio import atomic_write_text

    notebook, out_dir, reveal = Path(notebook), Path(out_dir), Path(reveal)
    if not (reveal / "dist" / "reveal.js").is_file():
        raise Keras2pbError(f"{reveal}: no dist/reveal.js (see scripts/make_slides.py)")
    try:
        nb = nbformat.read(notebook, as_version=4)
    except (OSError, ValueError) as exc:
        raise Keras2pbError(f"{notebook}: cannot read the notebook: {exc}") from exc
    templates = Path(__file__).resolve().parent / "templates"
    exporter = SlidesExporter(extra_template_paths=[str(templates)],
                              template_file="offline_slides.j2")
    exporter.reveal_url_prefix = REVEAL_DIR
    body, _ = exporter.from_notebook_node(nb)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        if (out_dir / REVEAL_DIR).resolve() != reveal.resolve():
            shutil.copytree(reveal, out_dir / REVEAL_DIR, dirs_exist_ok=True)
    except OSError as exc:
        raise Keras2pbError(f"{out_dir}: cannot write the slides: {exc.strerror or exc}"
                            ) from exc
    return atomic_write_text(out_dir / f"{notebook.stem}.slides.html", body)
