"""A frozen graph's signature: its inputs and outputs, the sidecar JSON, and feeds that fit them.

The sidecar ``<graph>.pb.json`` (format ``keras2pb-sidecar/1``) is read and written here only,
as a ``Signature``. Imports nothing heavy: TensorFlow only inside ``discover_io``, whose caller
holds a GraphDef already.
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import Keras2pbError

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef

SIDECAR_FORMAT = "keras2pb-sidecar/1"
#: The name scope the classic tutorial imported graphs under: fetch "import/probs:0".
IMPORT_PREFIX = "import"
#: Ops that are never a graph's output, even when nothing consumes them.
_NO_OUTPUT_OPS = {"NoOp", "Const", "Placeholder", "Assert", "VarHandleOp"}
#: The largest sidecar read (bytes): a real one is a few kB; more is not a sidecar.
MAX_SIDECAR_BYTES = 16 * 2**20
#: Top-level sidecar keys written before "inputs" and "outputs" (the others follow them).
_HEAD_KEYS = ("format", "model")


def node_name(name: str) -> str:
    """The node a tensor or node input names: ``"dense/Relu:0"``, ``"^dense/Relu"`` ->
    ``"dense/Relu"``."""
    return name.lstrip("^").split(":")[0]


def shape_text(shape: tuple[int | None, ...] | None) -> str:
    """A shape as Python writes a tuple: ``(None, 28, 28, 1)``; ``(?)`` when unknown."""
    if shape is None:
        return "(?)"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def closest_names(name: str, choices: list[str]) -> list[str]:
    """``choices`` ordered with the names closest to ``name`` first."""
    close = difflib.get_close_matches(name, choices, n=len(choices), cutoff=0.0)
    return close + [c for c in choices if c not in close]


def unknown_name(name: str, choices: list[str], what: str = "tensor",
                 path: str | os.PathLike | None = None) -> Keras2pbError:
    """The error for a ``what`` (tensor, input) named ``name`` that is none of ``choices``:
    "no tensor named 'imgae'; this graph has: image, probs" (closest first)."""
    real = ", ".join(closest_names(name, choices))
    return Keras2pbError(f"no {what} named {name!r}; this graph has: {real}", path)


@dataclass(frozen=True)
class TensorInfo:
    """One input or output of a frozen graph.

    ``extra`` keeps the sidecar entry's other keys (``keras_input``, ``keras_output``,
    ``function_output``) in their order; it takes no part in comparisons.
    """

    name: str  # node name, e.g. "image"
    tensor: str  # tensor name, e.g. "image:0"
    shape: tuple[int | None, ...] | None  # None when unknown
    dtype: str  # numpy dtype name, e.g. "float32"
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_dict(cls, entry: dict[str, Any]) -> TensorInfo:
        """One sidecar entry -> TensorInfo. Raises KeyError/TypeError when it is malformed."""
        if not (isinstance(entry["name"], str) and isinstance(entry["tensor"], str)
                and isinstance(entry["dtype"], str)):
            raise TypeError("name, tensor and dtype must be strings")
        shape = entry.get("shape")
        if shape is not None and not (isinstance(shape, list) and all(
                d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in shape)):
            raise TypeError(f"shape must be a list of whole numbers or nulls, got {shape!r}")
        extra = {k: v for k, v in entry.items() if k not in ("name", "tensor", "shape", "dtype")}
        return cls(entry["name"], entry["tensor"], None if shape is None else tuple(shape),
                   entry["dtype"], extra)

    def to_dict(self, extra: bool = True) -> dict[str, Any]:
        """The sidecar entry (JSON-ready); ``extra=False`` leaves out the ``extra`` keys."""
        entry = {"name": self.name, "tensor": self.tensor,
                 "shape": None if self.shape is None else list(self.shape), "dtype": self.dtype}
        return {**entry, **self.extra} if extra else entry

    def check(self, value: Any, path: str | os.PathLike | None = None) -> np.ndarray:
        """``value`` as an array of this input's dtype and shape.

        Ints and floats are cast where no value changes (and any number into a float).
        Raises Keras2pbError naming ``path`` for a wrong dtype or shape.
        """
        try:
            want = np.dtype(object if self.dtype == "string" else self.dtype)
        except TypeError as exc:
            raise Keras2pbError(f"input {self.name!r} has dtype {self.dtype}, which cannot be "
                                "fed from numpy", path) from exc
        arr = np.asarray(value)
        if want.kind == "O" and arr.dtype.kind in "SU":  # numpy strings feed a string input
            arr = arr.astype(object)
        if arr.dtype != want:
            expected = (f"input {self.name!r} expects dtype {want.name} with shape "
                        f"{shape_text(self.shape)}, got {arr.dtype.name}")
            if arr.dtype.kind not in "biuf" or want.kind not in "biuf":
                raise Keras2pbError(expected, path)
            cast = arr.astype(want)
            # widening casts and numbers into floats are fine; narrower ints must still fit
            if not (np.can_cast(arr.dtype, want, "safe") or want.kind == "f"
                    or np.array_equal(cast, arr)):
                raise Keras2pbError(f"{expected} whose values do not fit in {want.name}", path)
            arr = cast
        if self.shape is not None:
            ok = arr.ndim == len(self.shape) and all(
                d is None or d == a for d, a in zip(self.shape, arr.shape, strict=True))
            if not ok:
                raise Keras2pbError(f"input {self.name!r} expects shape {shape_text(self.shape)},"
                                    f" got {tuple(arr.shape)}", path)
        return arr


@dataclass
class Signature:
    """The inputs and outputs of a frozen graph, as its sidecar JSON holds them.

    ``extra``: the sidecar's other top-level keys, in order (``format``, ``model``,
    ``node_count``, ``tensorflow``, ``keras``, ``opencv``, ``graph``, ...). Empty for a
    signature discovered from the graph alone. ``source``: the sidecar file it was read from
    (None when discovered or built in memory); not part of the JSON.
    """

    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    extra: dict[str, Any] = field(default_factory=dict)
    source: Path | None = field(default=None, compare=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Signature:
        """A parsed sidecar -> Signature. Raises KeyError/TypeError when it is malformed."""
        if not isinstance(data, dict):
            raise TypeError("the sidecar must be a JSON object")
        return cls([TensorInfo.from_dict(e) for e in data["inputs"]],
                   [TensorInfo.from_dict(e) for e in data["outputs"]],
                   {k: v for k, v in data.items() if k not in ("inputs", "outputs")})

    @classmethod
    def from_json(cls, text: str) -> Signature:
        """Sidecar JSON text -> Signature. Raises ValueError/KeyError/TypeError when malformed."""
        return cls.from_dict(json.loads(text))

    def to_dict(self) -> dict[str, Any]:
        """The sidecar as a JSON-ready dict: ``format`` and ``model`` first, then ``inputs``
        and ``outputs``, then the other keys of ``extra`` in their order."""
        head = {k: v for k, v in self.extra.items() if k in _HEAD_KEYS}
        rest = {k: v for k, v in self.extra.items() if k not in _HEAD_KEYS}
        return {**head, "inputs": [i.to_dict() for i in self.inputs],
                "outputs": [o.to_dict() for o in self.outputs], **rest}

    def to_json(self) -> str:
        """The sidecar file's text (2-space indents, a final newline)."""
        return json.dumps(self.to_dict(), indent=2) + "\n"


def sidecar_path(pb_path: str | os.PathLike) -> Path:
    """The sidecar file that goes with ``pb_path``: ``<pb_path>.json``."""
    return Path(f"{os.fspath(pb_path)}.json")


def read_signature(pb_path: str | os.PathLike) -> Signature | None:
    """The signature in the sidecar next to ``pb_path``, or None when there is no sidecar.

    Raises Keras2pbError when the sidecar exists but is not valid keras2pb JSON.
    """
    path = sidecar_path(pb_path)
    if not path.is_file():
        return None
    try:
        if path.stat().st_size > MAX_SIDECAR_BYTES:
            raise Keras2pbError(f"{path}: sidecar is {path.stat().st_size:,} bytes, more than "
                                f"a sidecar ever holds ({MAX_SIDECAR_BYTES:,}); delete it or "
                                "freeze again")
        signature = Signature.from_json(path.read_text(encoding="utf-8"))
        if not signature.outputs:
            raise ValueError("it lists no outputs")
    except OSError as exc:
        raise Keras2pbError(f"{path}: cannot read the sidecar: {exc.strerror or exc}") from exc
    except RecursionError as exc:
        raise Keras2pbError(f"{path}: sidecar is not valid keras2pb JSON (nested too deeply);"
                            " delete it or freeze again") from exc
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise Keras2pbError(f"{path}: sidecar is not valid keras2pb JSON ({exc}); "
                            "delete it or freeze again") from exc
    signature.source = path
    return signature


def require_signature(pb_path: str | os.PathLike,
                      why: str = "naming the inputs and outputs; freeze the model with "
                                 "keras2pb to get one") -> Signature:
    """``read_signature``, but a missing sidecar is a Keras2pbError: "no sidecar X.json
    {why}"."""
    signature = read_signature(pb_path)
    if signature is None:
        raise Keras2pbError(f"no sidecar {Path(pb_path).name}.json {why}", pb_path)
    return signature


def _attr_shape(node) -> tuple[int | None, ...] | None:
    if "shape" not in node.attr:  # test first: reading a missing map key inserts it
        return None
    shape = node.attr["shape"].shape
    if shape.unknown_rank:
        return None
    return tuple(None if d.size < 0 else d.size for d in shape.dim)


def discover_io(gd: GraphDef) -> Signature:
    """Guess inputs (Placeholders) and outputs (nodes nobody consumes) without a sidecar."""
    import tensorflow as tf

    def dtype_name(enum: int) -> str:
        try:
            return tf.as_dtype(enum).name
        except TypeError:
            return f"invalid-dtype-{enum}"

    consumed = {node_name(i) for n in gd.node for i in n.input}
    inputs = [TensorInfo(n.name, f"{n.name}:0", _attr_shape(n),
                         dtype_name(n.attr["dtype"].type if "dtype" in n.attr else 0))
              for n in gd.node if n.op == "Placeholder"]
    outputs = []
    for n in gd.node:
        if n.name in consumed or n.op in _NO_OUTPUT_OPS:
            continue
        dtype = n.attr["T"].type if "T" in n.attr else 1
        outputs.append(TensorInfo(n.name, f"{n.name}:0", None, dtype_name(dtype)))
    return Signature(inputs, outputs)


def example_feeds(inputs: list[TensorInfo], n: int = 64, seed: int = 0) -> dict[str, Any]:
    """Seeded example data for every input, from the signature alone.

    In: the inputs (TensorInfo), the batch size used where a dimension is unknown, a seed.
    Out: ``{input name: array}``. Each input takes values in its declared range (a sidecar
    entry's ``"range": [low, high]``) or, without one, floats in [0, 1), whole numbers in
    [0, 10), booleans, or short strings. The same seed gives the same arrays.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    feeds: dict[str, Any] = {}
    for info in inputs:
        shape = tuple(n if d is None else d for d in (info.shape or (n,)))
        low, high = info.extra.get("range") or (None, None)
        kind = np.dtype(info.dtype).kind if info.dtype != "string" else "U"
        if kind == "b":
            feeds[info.name] = rng.random(shape) < 0.5
        elif kind in "iu":
            lo, hi = (0, 10) if low is None else (int(low), int(high))
            feeds[info.name] = rng.integers(lo, hi, size=shape, endpoint=low is not None
                                            ).astype(info.dtype)
        elif kind in "SUO":
            words = np.array(["a", "b", "c", "the", "cat"], dtype=object)
            feeds[info.name] = rng.choice(words, size=shape)
        else:
            lo, hi = (0.0, 1.0) if low is None else (float(low), float(high))
            feeds[info.name] = (lo + (hi - lo) * rng.random(shape)).astype(info.dtype)
    return feeds


def as_feeds(x: Any, names: list[str], path: str | os.PathLike | None = None,
             known: list[str] | None = None) -> dict[str, Any]:
    """Arrange ``x`` as feeds for inputs ``names``: a dict name -> value in ``names`` order.

    ``x``: one array (one input), a list or tuple in ``names`` order (several inputs), or a
    dict keyed by node or tensor name (``image``, ``image:0``, ``import/image:0``); ``names``
    may be tensor names too (``image:0``), keys match them by node name. ``known``: the
    graph's input and output names, listed when a key names none of them. Values are not
    converted. Raises Keras2pbError naming ``path`` for unknown names, an input given twice,
    missing inputs or a wrong count.
    """
    nodes = [node_name(n) for n in names]
    if isinstance(x, dict):
        given = {}
        for key, value in x.items():
            node = node_name(str(key).removeprefix(f"{IMPORT_PREFIX}/"))
            if node not in nodes:
                choices = [node_name(n) for n in (known or names)]
                if node in choices:
                    raise unknown_name(key, nodes, "input", path)
                raise unknown_name(key, choices, "input or output", path)
            if node in given:
                raise Keras2pbError(f"input {node!r} given twice (as {key!r} too)", path)
            given[node] = value
        missing = [n for n, node in zip(names, nodes, strict=True) if node not in given]
        if missing:
            raise Keras2pbError(f"missing input(s) {', '.join(missing)}; the graph needs "
                                f"{', '.join(names)}", path)
        return {n: given[node] for n, node in zip(names, nodes, strict=True)}
    if isinstance(x, (list, tuple)) and len(names) > 1:
        if len(x) != len(names):
            raise Keras2pbError(f"got {len(x)} arrays, the graph has {len(names)} inputs: "
                                f"{', '.join(names)}", path)
        return dict(zip(names, x, strict=True))
    if len(names) != 1:
        raise Keras2pbError(f"the graph has {len(names)} inputs: pass a dict "
                            f"{{{', '.join(repr(n) for n in names)}}}", path)
    return {names[0]: x}
