"""Checking that a frozen graph computes what the Keras model computes."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

import keras
import numpy as np

from .errors import Keras2pbError
from .freezing import _structures
from .kerasio import load_keras_model
from .loading import load


@dataclass
class VerifyResult:
    """Largest absolute difference and argmax agreement over ``n`` examples, per output."""

    n: int
    max_abs_diff: float
    argmax_agreement: float  # fraction in [0, 1], over outputs with more than one column
    per_output: dict[str, float]

    @property
    def ok(self) -> bool:
        """True when predictions match to 1e-5 and every argmax agrees."""
        return self.max_abs_diff <= 1e-5 and self.argmax_agreement == 1.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dict(asdict(self), ok=self.ok)


def default_inputs(graph, n: int = 64, seed: int = 0) -> dict[str, np.ndarray]:
    """A batch for every input: MNIST test digits for (28, 28, 1) images, else seeded noise."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for info in graph.inputs:
        shape = tuple(n if d is None else d for d in (info.shape or (n,)))
        if shape[1:] == (28, 28, 1) and info.dtype == "float32":
            from .data import load_mnist

            (_, _), (x_test, _) = load_mnist(n_test=shape[0])
            feeds[info.name] = x_test
        elif np.dtype(info.dtype).kind in "iu":
            feeds[info.name] = rng.integers(0, 10, size=shape).astype(info.dtype)
        else:
            feeds[info.name] = rng.random(shape, dtype=np.float64).astype(info.dtype)
    return feeds


def _keras_inputs(model: keras.Model, graph, feeds: dict[str, Any]) -> Any:
    """Arrange the graph's feeds the way the Keras model takes them (dict, list or array)."""
    keys = ([e["keras_input"] for e in graph.sidecar["inputs"]] if graph.sidecar
            else graph.input_names)
    arrays = [np.asarray(feeds[i.name]) for i in graph.inputs]
    structure = _structures(model)[0]
    if isinstance(structure, dict):
        return dict(zip(keys, arrays, strict=True))
    return list(arrays) if isinstance(structure, (list, tuple)) else arrays[0]


def verify(model_or_path: keras.Model | str | os.PathLike, pb_path: str | os.PathLike,
           x: Any = None, *, custom_objects: dict[str, Any] | None = None,
           safe_mode: bool = True) -> VerifyResult:
    """Run the Keras model and the frozen graph on the same inputs and compare.

    ``x``: an array or a dict input name -> array (default: 64 MNIST test digits for image
    inputs, seeded noise otherwise). Raises Keras2pbError for unloadable files or inputs
    that do not fit.
    """
    model = (model_or_path if isinstance(model_or_path, keras.Model)
             else load_keras_model(model_or_path, custom_objects, safe_mode))
    with load(pb_path) as graph:
        feeds = default_inputs(graph) if x is None else x
        if not isinstance(feeds, dict):
            feeds = {graph.inputs[0].name: feeds}
        frozen = graph(feeds)
        feeds = {graph.tensor(k).name: v for k, v in feeds.items()}
        if not isinstance(frozen, dict):
            frozen = {graph.outputs[0].name: frozen}
        try:
            ref = keras.tree.flatten(model(_keras_inputs(model, graph, feeds), training=False))
        except Exception as exc:
            raise Keras2pbError(f"the Keras model refused the inputs: {exc}") from exc
        out_order = ([e["name"] for e in graph.sidecar["outputs"]] if graph.sidecar
                     else list(frozen))
        if len(ref) != len(out_order):
            raise Keras2pbError(f"the model has {len(ref)} outputs, the graph "
                                f"{len(out_order)}: is this the model the graph came from?",
                                pb_path)
        per, agree, total = {}, 0, 0
        for name, r in zip(out_order, ref, strict=True):
            r, f = np.asarray(r), np.asarray(frozen[name])
            if r.shape != f.shape:
                raise Keras2pbError(f"output {name!r}: Keras gives shape {r.shape}, the graph "
                                    f"{f.shape}: is this the model the graph came from?",
                                    pb_path)
            per[name] = float(np.max(np.abs(r - f))) if r.size else 0.0
            if r.ndim >= 2 and r.shape[-1] > 1:
                agree += int(np.sum(r.argmax(-1) == f.argmax(-1)))
                total += int(np.prod(r.shape[:-1]))
        n = len(next(iter(feeds.values())))
        return VerifyResult(n, max(per.values()), agree / total if total else 1.0, per)
