"""Reading GraphDefs from files (binary or text) and from TensorFlow objects, with clear errors."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from google.protobuf import message, text_format

from ..errors import Keras2pbError
from .checks import check_names, check_structure

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef

#: protobuf cannot serialize a message of 2 GiB or more.
PROTOBUF_LIMIT = 2**31 - 1


def check_input_path(path: str | os.PathLike, what: str = "file") -> Path:
    """Return ``path`` as a Path if it is an existing regular file; else raise Keras2pbError."""
    p = Path(path)
    if not p.exists():
        raise Keras2pbError(f"{p}: no such {what}")
    if p.is_dir():
        if (p / "saved_model.pb").exists():
            raise Keras2pbError(
                f"{p}: is a SavedModel folder, not a frozen graph or Keras file; load it with "
                "tf.saved_model.load, or freeze the Keras model (.keras/.h5) it came from"
            )
        raise Keras2pbError(f"{p}: is a folder, expected a {what}")
    if p.stat().st_size == 0:
        raise Keras2pbError(f"{p}: file is empty")
    return p


def read_file_bytes(path: Path) -> bytes:
    """The bytes of ``path``; raises Keras2pbError (not OSError) when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise Keras2pbError(f"cannot read: {exc.strerror or exc}", path) from exc


def graph_def_class(light: bool = False) -> type:
    """TensorFlow's GraphDef message class.

    With ``light=True`` while TensorFlow is not imported yet: TensorBoard's copy of the same
    message (``tensorboard.GraphDef``, same fields and wire format), which imports in 0.1 s
    instead of ~4 s. For reading and display only: TensorFlow's importers want their own.
    """
    if light and "tensorflow" not in sys.modules:
        try:
            from tensorboard.compat.proto.graph_pb2 import GraphDef as LightGraphDef
        except ImportError:  # pragma: no cover - tensorboard is a requirement
            pass
        else:
            return LightGraphDef
    from tensorflow.core.framework.graph_pb2 import GraphDef as TFGraphDef

    return TFGraphDef


def is_graph_def(obj: Any) -> bool:
    """True for a GraphDef message (TensorFlow's class or TensorBoard's copy)."""
    desc = getattr(type(obj), "DESCRIPTOR", None)
    return getattr(desc, "full_name", "") in ("tensorflow.GraphDef", "tensorboard.GraphDef")


def read_graph_def(path: str | os.PathLike, light: bool = False) -> GraphDef:
    """Read a GraphDef from a binary ``.pb`` (or a text ``.pbtxt``) file.

    ``light=True`` may return TensorBoard's copy of the class (see :func:`graph_def_class`)
    and skips the structure checks beyond "has nodes": for callers that only look at the
    graph. Raises Keras2pbError for a missing, empty,
    truncated, damaged (``check_structure``) or non-GraphDef file. Only parses and checks:
    nothing in the graph is imported or run.
    """
    GraphDef = graph_def_class(light)  # noqa: N806 - a class
    p = check_input_path(path, "graph file (.pb)")
    data = read_file_bytes(p)
    gd = GraphDef()
    try:
        gd.ParseFromString(data)
        binary_ok = True
    except (message.DecodeError, RuntimeError, ValueError):
        binary_ok = False
    if not binary_ok or _looks_like_text(data):
        text = _as_text(data)
        if text is None:
            raise Keras2pbError(
                f"{p}: not a TensorFlow GraphDef (the file is truncated, damaged or another "
                "format); freeze a Keras model with `keras2pb freeze MODEL OUT.pb`"
            )
        gd = GraphDef()
        try:
            text_format.Parse(text, gd)
        except text_format.ParseError as exc:
            raise Keras2pbError(f"{p}: neither a binary GraphDef nor a valid text "
                                f"GraphDef (pbtxt): {exc}") from exc
        except RecursionError as exc:
            raise Keras2pbError(f"{p}: not a text GraphDef a tool wrote (nested too deeply)") \
                from exc
    if light and gd.node:
        check_names(gd, p)  # the viewer's scope tree cannot be thousands deep
        return gd  # a viewer copes with damaged graphs; the structure checks cost seconds
    check_structure(gd, p)
    return gd


def _looks_like_text(data: bytes) -> bool:
    head = data[:64].lstrip()
    return head.startswith((b"node", b"versions", b"library", b"#"))


def _as_text(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if text.lstrip().startswith(("node", "versions", "library", "#")) else None


def as_graph_def(obj: Any, add_shapes: bool = False) -> GraphDef:
    """Return a GraphDef for a GraphDef, a ``tf.Graph``, a concrete function or a ``.pb`` path.

    ``add_shapes`` asks a ``tf.Graph`` or function for its inferred output shapes too (the
    viewer shows them). Raises Keras2pbError for anything else (a Keras model needs
    ``training_graph`` or ``freeze`` first: ``keras2pb.freezing.stages`` does that).
    """
    if is_graph_def(obj):
        return obj
    if isinstance(obj, (str, os.PathLike)):
        return read_graph_def(obj)
    graph = obj if hasattr(obj, "as_graph_def") else getattr(obj, "graph", None)
    if graph is not None and hasattr(graph, "as_graph_def"):  # tf.Graph, FuncGraph, function
        try:
            return graph.as_graph_def(add_shapes=add_shapes)
        except TypeError:  # an as_graph_def without add_shapes
            return graph.as_graph_def()
    gd = getattr(obj, "graph_def", None)
    if is_graph_def(gd):
        return gd
    raise Keras2pbError(f"cannot get a graph from {type(obj).__name__}: give a GraphDef, "
                        "a tf.Graph, a concrete function or a path to a .pb file")
