"""What the tests and benchmarks read from executed notebooks: the text a tagged cell printed,
and noise in an exported page. Test-only: the wheel does not ship these (the notebooks' own
noise check, ``keras2pb.tutorial.noise_in_text`` / ``output_noise``, stays in the package)."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

from keras2pb.errors import Keras2pbError
from keras2pb.tutorial.notebooks import noise_in_text


def html_noise(page: str) -> list[str]:
    """Noise (see :func:`noise_in_text`) in the text outputs of an exported notebook page
    (nbconvert's ``<pre>`` blocks), one line per finding."""
    found = []
    for k, block in enumerate(re.findall(r"<pre\b[^>]*>(.*?)</pre>", page, re.DOTALL)):
        text = html_lib.unescape(re.sub(r"<[^>]+>", "", block))
        found += [f"text block {k + 1}: {f}" for f in noise_in_text(text)]
    return found


def tagged_output_text(nb: Any, tag: str, mime: str = "text/plain") -> str:
    """The text the code cell tagged ``tag`` printed or displayed in an executed notebook.

    Concatenates its stream outputs and its results' ``mime`` data (``text/plain``; e.g.
    ``text/markdown`` for a displayed ``Markdown`` table). Raises Keras2pbError when no cell has
    the tag.
    """
    for cell in nb.cells:
        if tag in cell.get("metadata", {}).get("tags", []):
            parts = []
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream":
                    parts.append(out.get("text", ""))
                elif "data" in out and mime in out["data"]:
                    parts.append(out["data"][mime])
            return "".join(parts)
    raise Keras2pbError(f"no cell tagged {tag!r} in the notebook")
