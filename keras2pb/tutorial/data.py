"""MNIST for the tutorial: a small real sample shipped inside the package, offline by default."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import Keras2pbError

#: The committed sample, 4,000 train + 1,000 test digits, shipped as package data (in the
#: wheel too; see scripts/make_mnist_sample.py and keras2pb/tutorial/sample/README.md).
SAMPLE_PATH = Path(__file__).resolve().parent / "sample" / "mnist_sample.npz"

Split = tuple[np.ndarray, np.ndarray]


def _prepare(x: np.ndarray, y: np.ndarray, n: int | None) -> Split:
    if n is not None:
        x, y = x[:n], y[:n]
    x = (x.astype(np.float32) / 255.0).reshape(-1, 28, 28, 1)
    return x, y.astype(np.int64)


def load_mnist(
    source: str = "sample", n_train: int | None = None, n_test: int | None = None
) -> tuple[Split, Split]:
    """Return ``(x_train, y_train), (x_test, y_test)``.

    Images are float32 of shape ``(N, 28, 28, 1)`` in [0, 1]; labels are int64 digits 0–9.

    ``source="sample"`` (default) reads the 5,000-digit sample shipped in the package,
    ``keras2pb/tutorial/sample/`` (or the file named by the ``KERAS2PB_MNIST`` environment
    variable): nothing is downloaded.
    ``source="keras"`` downloads the full 70,000-digit MNIST through Keras and needs network.
    ``n_train`` / ``n_test`` keep only the first N examples of each split.

    Raises Keras2pbError when the sample file is missing or the download fails.
    """
    if source == "sample":
        path = Path(os.environ.get("KERAS2PB_MNIST", SAMPLE_PATH))
        if not path.is_file():
            raise Keras2pbError(
                f"{path}: MNIST sample not found; rebuild it with scripts/make_mnist_sample.py"
            )
        with np.load(path) as d:
            train = _prepare(d["x_train"], d["y_train"], n_train)
            test = _prepare(d["x_test"], d["y_test"], n_test)
        return train, test
    if source == "keras":
        import keras

        try:
            (xtr, ytr), (xte, yte) = keras.datasets.mnist.load_data()
        except Exception as exc:  # no network, proxy, broken cache...
            raise Keras2pbError(
                "could not download full MNIST through Keras (is the network reachable?): "
                f"{type(exc).__name__}: {exc}; use load_mnist(source='sample') offline"
            ) from exc
        return _prepare(xtr, ytr, n_train), _prepare(xte, yte, n_test)
    raise Keras2pbError(f"unknown MNIST source {source!r}: use 'sample' or 'keras'")
