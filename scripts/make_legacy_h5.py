"""Make the legacy .h5 fixtures of tests/data/legacy_h5/ with tf.keras 2.15 (Keras 2).

    python scripts/make_legacy_h5.py            # makes a throwaway venv with TF 2.15, runs there
    python scripts/make_legacy_h5.py --here     # run in this Python (it must have TF 2.15)

Writes, for each model, ``NAME.h5`` (saved by tf.keras ``model.save``, HDF5) and ``NAME.npz``
with the inputs (``x:<input name>``) and the predictions tf.keras made at save time
(``y:<output layer name>``), plus ``versions.json`` naming the TensorFlow/Keras that wrote
them, and the Sequential model once more as tf.keras 2.15's ``.keras`` (which Keras 3 cannot
read: the tests check that the error says so). The models: a Sequential with ``input_shape=``
compiled with Adadelta and trained one epoch (so the file holds optimizer state), a functional
model with two outputs, BatchNorm + Dropout, and the custom ``Scale`` layer of
tests/helpers/custom_layers.py (needs ``custom_objects``). Weights are random but seeded; the files
take about 160 kB in all.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "data" / "legacy_h5"
TF_SPEC = "tensorflow-cpu==2.15.1"  # the last TensorFlow whose tf.keras is Keras 2 by default
SEED = 15


def _in_throwaway_venv(args: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="keras2pb-tf215-") as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        py = str(venv / "bin" / "python")
        print(f"== installing {TF_SPEC} into a throwaway venv (pip's cache makes a re-run fast)")
        subprocess.run([py, "-m", "pip", "install", "--quiet", TF_SPEC, "h5py"], check=True)
        return subprocess.run([py, __file__, "--here", *args]).returncode


def _randomize(model, rng) -> None:
    """Seeded random weights; BatchNorm variances stay positive."""
    weights = []
    for w in model.weights:
        shape = tuple(w.shape)
        if "moving_variance" in w.name:
            weights.append(rng.uniform(0.5, 1.5, shape))
        else:
            weights.append(rng.normal(0.0, 0.4, shape))
    model.set_weights([w.astype("float32") for w in weights])


def _models(keras, rng):
    from custom_layers import Scale

    layers = keras.layers
    seq = keras.Sequential([
        layers.Conv2D(4, 3, activation="relu", input_shape=(12, 12, 1), name="conv"),
        layers.MaxPooling2D(2, name="pool"),
        layers.Flatten(name="flatten"),
        layers.Dense(10, activation="softmax", name="probs"),
    ], name="sequential_input_shape")
    seq.compile(optimizer=keras.optimizers.Adadelta(1.0), loss="sparse_categorical_crossentropy")
    x = rng.random((32, 12, 12, 1)).astype("float32")
    seq.fit(x, rng.integers(0, 10, 32), epochs=1, verbose=0)

    feats = keras.Input((8,), name="features")
    h = layers.Dense(16, activation="relu", name="hidden")(feats)
    two = keras.Model(feats, [layers.Dense(3, activation="softmax", name="label")(h),
                              layers.Dense(1, name="score")(h)], name="functional_two_outputs")

    bn = keras.Sequential([
        keras.Input((6,), name="values"),
        layers.Dense(12, name="dense"),
        layers.BatchNormalization(name="bn"),
        layers.Activation("relu", name="relu"),
        layers.Dropout(0.5, name="dropout"),
        layers.Dense(4, activation="softmax", name="probs"),
    ], name="batchnorm_dropout")

    inp = keras.Input((5,), name="signal")
    scaled = Scale(name="scale")(inp)
    custom = keras.Model(inp, layers.Dense(2, name="out")(scaled), name="custom_layer")
    return {"sequential_input_shape": seq, "functional_two_outputs": two,
            "batchnorm_dropout": bn, "custom_layer": custom}


def make_here(out: Path) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(REPO / "tests" / "helpers"))
    import keras  # under TF 2.15 this is Keras 2.15, the same as tf.keras
    import numpy as np
    import tensorflow as tf

    if not keras.__version__.startswith("2."):
        sys.exit(f"error: needs tf.keras 2.x (Keras 2), found {keras.__version__}: run without "
                 "--here to use a throwaway TF 2.15 venv")
    tf.keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    out.mkdir(parents=True, exist_ok=True)
    for name, model in _models(keras, rng).items():
        if name != "sequential_input_shape":  # that one was trained; keep its weights
            _randomize(model, rng)
        xs = [rng.random((4, *t.shape[1:])).astype("float32") for t in model.inputs]
        ys = model(xs if len(xs) > 1 else xs[0], training=False)
        ys = ys if isinstance(ys, (list, tuple)) else [ys]
        arrays = {f"x:{t.name.split(':')[0]}": x for t, x in zip(model.inputs, xs, strict=True)}
        names = model.output_names
        arrays.update({f"y:{n}": np.asarray(y) for n, y in zip(names, ys, strict=True)})
        model.save(out / f"{name}.h5")  # .h5 suffix: HDF5, the legacy format
        if name == "sequential_input_shape":  # Keras 2's own .keras zip: Keras 3 refuses it
            model.save(out / f"{name}.keras")
        np.savez(out / f"{name}.npz", **arrays)
        print(f"{name}: {(out / f'{name}.h5').stat().st_size:,} bytes; "
              f"outputs {', '.join(model.output_names)}")
    info = {"tensorflow": tf.__version__, "keras": keras.__version__,
            "python": sys.version.split()[0], "seed": SEED}
    (out / "versions.json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"wrote {out} with TensorFlow {tf.__version__} (tf.keras {keras.__version__})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--here", action="store_true",
                        help="run in this Python (needs TF 2.15) instead of a throwaway venv")
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT})")
    args = parser.parse_args()
    if not args.here:
        return _in_throwaway_venv(["--out", str(args.out)])
    make_here(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
