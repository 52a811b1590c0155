"""The checklist as ``keras2pb check`` prints it, assembled from the product's own lines."""

from __future__ import annotations

from keras2pb.tutorial.readiness import Check, format_check, summary_line


def format_checklist(checks: list[Check], color: bool = False) -> str:
    """What ``main_check`` prints for ``checks``: ``format_check`` per check as it runs, then
    ``summary_line``; ``color=True`` with ANSI colours, as on a terminal."""
    return "\n".join([*(format_check(c, color) for c in checks), summary_line(checks, color)])
