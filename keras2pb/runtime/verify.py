"""Checking that a frozen graph computes what the Keras model computes."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

import keras
import numpy as np

from ..errors import Keras2pbError
from ..freezing.keras_files import as_functional, load_keras_model, model_structures
from ..graph.signature import example_feeds
from .frozen_graph import load


@dataclass
class VerifyResult:
    """Largest absolute and relative difference and argmax agreement over ``n`` examples."""

    n: int
    max_abs_diff: float
    argmax_agreement: float  # fraction in [0, 1], over outputs with more than one column
    per_output: dict[str, float]
    #: the largest absolute difference over the largest magnitude of the reference output
    #: (``relative_error``): an absolute bound passes any model whose outputs are tiny
    max_rel_diff: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the relative error is at most ``RELATIVE_TOLERANCE`` (1e-4) and every
        argmax (or whole-number output) agrees."""
        return self.max_rel_diff <= RELATIVE_TOLERANCE and self.argmax_agreement == 1.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dict(asdict(self), ok=self.ok)


def default_inputs(graph, n: int = 64, seed: int = 0) -> dict[str, np.ndarray]:
    """A seeded batch for every input of ``graph``, from its signature alone
    (:func:`keras2pb.graph.signature.example_feeds`)."""
    return example_feeds(graph.inputs, n, seed)


def _keras_inputs(model: keras.Model, graph, feeds: dict[str, Any]) -> Any:
    """Arrange the graph's feeds the way the Keras model takes them (dict, list or array)."""
    keys = [i.extra.get("keras_input", i.name) for i in graph.inputs]
    arrays = [np.asarray(feeds[i.name]) for i in graph.inputs]
    structure = model_structures(model)[0]
    if isinstance(structure, dict):
        return dict(zip(keys, arrays, strict=True))
    return list(arrays) if isinstance(structure, (list, tuple)) else arrays[0]


def keras_reference(model: keras.Model, graph: Any, x: Any = None
                    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Feed the same inputs the graph takes to the Keras model.

    ``x``: an array, list or dict input name -> array (default: ``default_inputs``); it is
    checked against the graph's inputs (names, shapes, dtypes). Returns ``(feeds, reference)``:
    the feeds by graph input name and Keras' outputs by graph output name. Raises
    Keras2pbError when the inputs do not fit or the model does not match the graph.
    """
    feeds = graph.feeds(default_inputs(graph) if x is None else x)
    model = as_functional(model)  # a subclassed model, as freeze wrapped it
    try:
        outputs = keras.tree.flatten(model(_keras_inputs(model, graph, feeds), training=False))
    except Exception as exc:
        raise Keras2pbError(f"the Keras model refused the inputs: {exc}") from exc
    if len(outputs) != len(graph.outputs):
        raise Keras2pbError(f"the model has {len(outputs)} outputs, the graph "
                            f"{len(graph.outputs)}: is this the model the graph came from?",
                            graph.path)
    return feeds, {o.name: np.asarray(r) for o, r in zip(graph.outputs, outputs, strict=True)}


def _abs_diff(ref: np.ndarray, out: np.ndarray) -> float:
    """The largest absolute difference; ``inf`` when the two disagree on where NaN or inf are
    (a NaN must never make a comparison look clean: ``max(0.0, nan)`` is 0.0)."""
    if not ref.size:
        return 0.0
    a, b = ref.astype(np.float64), out.astype(np.float64)
    finite_a, finite_b = np.isfinite(a), np.isfinite(b)
    same_special = (np.isnan(a) & np.isnan(b)) | (~finite_a & ~np.isnan(a) & (a == b))
    if np.any(~(finite_a & finite_b) & ~same_special):
        return float("inf")
    both = finite_a & finite_b
    return float(np.max(np.abs(a[both] - b[both]))) if np.any(both) else 0.0


def compare_outputs(reference: dict[str, np.ndarray], got: dict[str, np.ndarray]
                    ) -> tuple[float, float, dict[str, float]]:
    """Compare outputs by name: ``(max abs difference, agreement, per-output diffs)``.

    Agreement is the fraction of predictions that agree: the argmax of outputs with more than
    one column, and every value of whole-number or boolean outputs (class ids, an argmax the
    model computes itself); 1.0 when there is nothing to agree on. A difference is ``inf``
    where the two disagree on NaN or inf. Raises Keras2pbError if an output is missing or its
    shape differs.
    """
    per, agree, total = {}, 0, 0
    for name, ref in reference.items():
        if name not in got:
            raise Keras2pbError(f"no output {name!r} to compare (got {', '.join(got)})")
        ref, out = np.asarray(ref), np.asarray(got[name])
        if ref.shape != out.shape:
            raise Keras2pbError(f"output {name!r}: Keras gives shape {ref.shape}, the graph "
                                f"{out.shape}: is this the model the graph came from?")
        per[name] = _abs_diff(ref, out)
        if ref.dtype.kind in "iub":
            agree += int(np.sum(ref == out))
            total += int(ref.size)
        elif ref.ndim >= 2 and ref.shape[-1] > 1:
            agree += int(np.sum(ref.argmax(-1) == out.argmax(-1)))
            total += int(np.prod(ref.shape[:-1]))
    return max(per.values(), default=0.0), (agree / total if total else 1.0), per


#: A runtime agrees with Keras (or TensorFlow) when every output's relative error is at most
#: this and every argmax agrees (``relative_error``): float32 through deep nets stays well
#: inside it; a rewrite that is wrong is far outside (issue 21: 5e-3 to 5e-2).
RELATIVE_TOLERANCE = 1e-4


#: The tolerance for graphs that compute in float16 or bfloat16 (``mixed_float16``): one
#: rounding is 4.9e-4 (float16) to 3.9e-3 (bfloat16) relative; runtimes round differently.
HALF_TOLERANCE = 1e-2
_HALF_TYPES = (19, 14)  # DT_HALF, DT_BFLOAT16


def relative_tolerance(graph_def: Any) -> float:
    """``RELATIVE_TOLERANCE``, or ``HALF_TOLERANCE`` when a node of ``graph_def`` computes in
    float16 or bfloat16 (its ``T`` attribute): the bar the export and OpenCV checks hold a
    converted graph to (the support matrix reports the strict one)."""
    for node in graph_def.node:
        if "T" in node.attr and node.attr["T"].type in _HALF_TYPES:
            return HALF_TOLERANCE
    return RELATIVE_TOLERANCE


def relative_error(reference: dict[str, np.ndarray], got: dict[str, np.ndarray]
                   ) -> tuple[float, bool]:
    """``(largest relative error over the outputs, every argmax agrees)``.

    The relative error of an output is its largest absolute difference over the largest
    magnitude in the reference output (the absolute difference when that is 0), so an absolute
    1e-4 on probabilities of ~1e-3 (a 1000-class softmax) is not "ok". Raises Keras2pbError as
    ``compare_outputs`` does.
    """
    _, agreement, per = compare_outputs(reference, got)
    worst = 0.0
    for name, diff in per.items():
        ref = np.abs(np.asarray(reference[name]).astype(np.float64))
        finite = ref[np.isfinite(ref)]
        scale = float(np.max(finite)) if finite.size else 0.0
        worst = max(worst, diff / scale if scale > 0 else diff)  # diff is never NaN
    return worst, agreement == 1.0


def verify(model_or_path: keras.Model | str | os.PathLike, pb_path: str | os.PathLike,
           x: Any = None, *, custom_objects: dict[str, Any] | None = None,
           safe_mode: bool = True) -> VerifyResult:
    """Run the Keras model and the frozen graph on the same inputs and compare.

    ``x``: an array or a dict input name -> array (default: ``default_inputs``, seeded
    data from the graph's signature). Raises Keras2pbError for unloadable files or inputs
    that do not fit.
    """
    model = (model_or_path if isinstance(model_or_path, keras.Model)
             else load_keras_model(model_or_path, custom_objects, safe_mode))
    with load(pb_path) as graph:
        feeds, reference = keras_reference(model, graph, x)
        got = graph.run(feeds)
        worst, agreement, per = compare_outputs(reference, got)
        relative = relative_error(reference, got)[0]
        return VerifyResult(len(next(iter(feeds.values()))), worst, agreement, per, relative)
