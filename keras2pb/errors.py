"""The one exception type for users' mistakes, the CLI's exit codes, and one-line messages."""

from __future__ import annotations

import re

#: Exit code of the CLI when the user's input is wrong (bad file, wrong name, bad shape, ...).
EXIT_USER_ERROR = 1
#: Exit code of the CLI when its arguments are wrong (argparse's own convention).
EXIT_USAGE = 2
#: Exit code when the process was interrupted (Ctrl-C).
EXIT_INTERRUPTED = 130

#: The longest reason ``one_line`` keeps (characters).
LINE_LIMIT = 300

# TensorFlow ends a runtime error with the failing node: "\t [[{{node import/conv/Relu}}]]".
_NODE = re.compile(r"\[\[\{\{node ([^}]+)\}\}\]\]")
# Lines of TensorFlow's error messages that carry no reason of their own.
_HEADERS = ("Graph execution error:", "Detected at node", "Node:", "File \"")


# Characters that would steer a terminal (C0/C1 controls, DEL) or reorder the text on screen
# (bidirectional overrides and isolates) if a node name carrying them were printed raw.
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f"
                           "\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """``text`` safe to print on a terminal: control characters and direction overrides (from
    node names of a hostile graph, say) are written out as escapes, ``\\x1b`` and
    ``\\u202e``; line breaks and tabs are kept."""
    return _UNSAFE_CHARS.sub(lambda m: (f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100
                                        else f"\\u{ord(m[0]):04x}"), text)


class Keras2pbError(Exception):
    """A mistake in what the user gave us, with a one-line message a person can act on.

    The message names the file (when there is one), says what is wrong and, where possible,
    what to do instead. The CLI prints it on one line and exits with ``EXIT_USER_ERROR``.
    """

    def __init__(self, message: str, path: object | None = None) -> None:
        message = " ".join(str(message).split())  # always one line
        if path is not None and not message.startswith(str(path)):
            message = f"{path}: {message}"
        super().__init__(message)
        self.path = path


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def one_line(error: BaseException | str, limit: int = LINE_LIMIT, node_prefix: str = "") -> str:
    """The useful part of an error message, on one line of at most ``limit`` characters.

    In: an exception (TensorFlow's ``OpError`` included: its ``.message`` is used) or a text.
    Out: the first line that says what went wrong. For TensorFlow's runtime errors that is the
    reason after ``Graph execution error:``, followed by the failing node, e.g.
    ``Input to reshape is a tensor with 784 values, … (node flatten/Reshape)``;
    ``node_prefix`` (such as ``"import/"``) is removed from that node name. A line ending in
    ``:`` (an introduction) is joined with the next one. Never empty.
    """
    if isinstance(error, BaseException):
        text = getattr(error, "message", None)
        if not isinstance(text, str) or not text.strip():
            text = str(error) or type(error).__name__
    else:
        text = str(error)
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith(_HEADERS)]
    node = next((m.group(1) for ln in lines if (m := _NODE.search(ln))), None)
    if node is not None:
        before = lines[: next(i for i, ln in enumerate(lines) if _NODE.search(ln))]
        reason = _NODE.sub("", before[-1] if before else "").strip() or "failed"
        if node_prefix and node.startswith(node_prefix):
            node = node[len(node_prefix):]
        return _cut(f"{reason} (node {node})", limit)
    if not lines:
        return "(no message)"
    first = lines[0]
    if first.endswith(":") and len(lines) > 1:
        first = f"{first} {lines[1]}"
    return _cut(first, limit)
