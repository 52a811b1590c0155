"""Session-wide fixtures: small real models, frozen once, with Keras' own predictions."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
sys.path.insert(0, str(TESTS))


def _feeds(names: list[str], n: int = 16) -> dict[str, np.ndarray]:
    from keras2pb.data import load_mnist

    (_, _), (x_test, _) = load_mnist(n_test=n)
    rng = np.random.default_rng(0)
    feeds = {"image": x_test}
    if "meta" in names:
        feeds["meta"] = rng.random((n, 4), dtype=np.float32)
    return feeds


@pytest.fixture(scope="session")
def zoo(tmp_path_factory):
    """Every kind of model the issue names, frozen to .pb, plus Keras predictions.

    Returns ``{case: {"pb": Path, "model": keras.Model, "feeds": dict, "expected": dict}}``.
    Cases: sequential, functional, batchnorm, dropout (the sequential CNN has Dropout too),
    two_io, custom (custom layer via custom_objects), h5 and keras (frozen from files).
    """
    import keras
    from custom_layers import CUSTOM_OBJECTS, custom_model

    from keras2pb import freeze
    from keras2pb.models import bn_cnn, mnist_cnn, two_io_model

    out = tmp_path_factory.mktemp("zoo")
    keras.utils.set_random_seed(1)
    seq = mnist_cnn()
    functional = keras.Model(seq.inputs, seq.outputs, name="functional_cnn")
    bn = bn_cnn()
    # Give BatchNorm non-trivial moving statistics, so training=False really matters.
    x_bn = _feeds(["image"], 64)["image"]
    bn.fit(x_bn, np.arange(64) % 10, epochs=1, verbose=0)
    dropout = keras.Sequential([keras.Input((28, 28, 1), name="image"),
                                keras.layers.Flatten(), keras.layers.Dropout(0.9),
                                keras.layers.Dense(10, activation="softmax", name="probs")],
                               name="dropout_only")
    custom = custom_model()
    cases: dict[str, dict] = {}
    for name, model in [("sequential", seq), ("functional", functional), ("batchnorm", bn),
                        ("dropout", dropout), ("two_io", two_io_model()),
                        ("custom", custom)]:
        cases[name] = {"model": model, "source": model}
    seq.save(out / "seq.keras")
    seq.save(out / "seq.h5")
    cases["keras"] = {"model": seq, "source": out / "seq.keras"}
    cases["h5"] = {"model": seq, "source": out / "seq.h5"}
    custom.save(out / "custom.keras")
    cases["custom_file"] = {"model": custom, "source": out / "custom.keras",
                            "custom_objects": CUSTOM_OBJECTS}
    for name, case in cases.items():
        pb = out / f"{name}.pb"
        freeze(case["source"], pb, custom_objects=case.get("custom_objects"))
        model = case["model"]
        names = [t.name for t in model.inputs]
        feeds = _feeds(names)
        structure = getattr(model, "_inputs_struct", None)
        x = (feeds if isinstance(structure, dict)
             else [feeds["image"]] if isinstance(structure, list) else feeds["image"])
        y = model(x, training=False)
        expected = ({k: np.asarray(v) for k, v in y.items()} if isinstance(y, dict)
                    else {"probs": np.asarray(y)})
        case.update(pb=pb, feeds=feeds, expected=expected)
    return cases


@pytest.fixture(scope="session")
def mnist_pb(zoo):
    """The frozen sequential MNIST CNN (.pb with sidecar)."""
    return zoo["sequential"]["pb"]
