"""Fixtures for the runtime tests: four small models, frozen raw and for OpenCV, once a session."""

from __future__ import annotations

import numpy as np
import pytest

#: The models the OpenCV/ONNX paths must handle. ``issue_h5``: issue 13's Sequential CNN
#: (Conv2D-BN-ReLU-AvgPool-Conv2D-Flatten-Dropout-Dense) saved to .h5 and reloaded.
CASES = ("mnist_cnn", "bn_cnn", "flatten_dynamic", "two_io", "issue_h5")


def _flatten_dynamic():
    import keras

    return keras.Sequential([keras.Input((28, 28, 1), name="image"),
                             keras.layers.Flatten(name="flatten"),
                             keras.layers.Dense(32, activation="relu", name="hidden"),
                             keras.layers.Dense(10, activation="softmax", name="probs")],
                            name="flatten_dynamic")


def _feeds(model, n: int) -> dict[str, np.ndarray]:
    from keras2pb.data import load_mnist

    (_, _), (x_test, _) = load_mnist(n_test=n)
    feeds = {"image": x_test}
    if len(model.inputs) > 1:
        feeds["meta"] = np.random.default_rng(1).random((n, 4), dtype=np.float32)
    return feeds


def _keras_outputs(model, feeds: dict[str, np.ndarray], names: list[str]):
    import keras

    x = feeds if len(feeds) > 1 else feeds["image"]
    ys = keras.tree.flatten(model(x, training=False))
    return {name: np.asarray(y) for name, y in zip(names, ys, strict=True)}


@pytest.fixture(scope="session")
def runtime_zoo(tmp_path_factory) -> dict[str, dict]:
    """``{case: {"model", "pb", "cv_pb", "side", "cv_side", "feeds", "expected"}}``.

    ``pb`` is the plain frozen graph, ``cv_pb`` the ``for_opencv=True`` variant (each with its
    sidecar), ``feeds`` 64 MNIST digits (plus noise for ``meta``), ``expected`` Keras' outputs
    by TF output name. ``mnist_cnn`` also has ``keras_file`` (a saved ``.keras``); the
    ``issue_h5`` model is the one reloaded from its ``.h5``.
    """
    import keras

    from keras2pb import freeze
    from keras2pb.kerasio import load_keras_model
    from keras2pb.models import bn_cnn, mnist_cnn, two_io_model
    from keras2pb.support_matrix import issue_cnn, nontrivial_weights

    out = tmp_path_factory.mktemp("runtime_zoo")
    keras.utils.set_random_seed(5)
    builders = {"mnist_cnn": mnist_cnn, "bn_cnn": bn_cnn,
                "flatten_dynamic": _flatten_dynamic, "two_io": two_io_model,
                "issue_h5": issue_cnn}
    zoo = {}
    for i, name in enumerate(CASES):
        model = builders[name]()
        nontrivial_weights(model, i)
        if name == "issue_h5":
            model.save(out / "issue.h5")
            model = load_keras_model(out / "issue.h5")
        side = freeze(model, out / f"{name}.pb")
        cv_side = freeze(model, out / f"{name}.opencv.pb", for_opencv=True)
        feeds = _feeds(model, 64)
        expected = _keras_outputs(model, feeds, [o["name"] for o in side["outputs"]])
        zoo[name] = {"model": model, "pb": out / f"{name}.pb", "side": side,
                     "cv_pb": out / f"{name}.opencv.pb", "cv_side": cv_side,
                     "feeds": feeds, "expected": expected}
    zoo["mnist_cnn"]["model"].save(out / "mnist_cnn.keras")
    zoo["mnist_cnn"]["keras_file"] = out / "mnist_cnn.keras"
    return zoo


@pytest.fixture(scope="session")
def c_client(tmp_path_factory):
    """The C client (examples/c/predict.c) compiled against this TensorFlow, once a session.

    Skips, saying so, only when there is no C compiler."""
    from keras2pb.c_client import build_c_client, c_compiler

    if c_compiler() is None:
        pytest.skip("no C compiler (cc / $CC): the C client cannot be built here")
    return build_c_client(tmp_path_factory.mktemp("c_client") / "predict")


def max_diff(expected: dict[str, np.ndarray], got: dict[str, np.ndarray]) -> float:
    """Largest absolute difference over all outputs (shapes must match)."""
    worst = 0.0
    for name, ref in expected.items():
        assert got[name].shape == ref.shape, (name, got[name].shape, ref.shape)
        worst = max(worst, float(np.max(np.abs(got[name] - ref))))
    return worst


def argmax_agrees(expected: dict[str, np.ndarray], got: dict[str, np.ndarray]) -> bool:
    """True when every multi-column output has the same argmax in every row."""
    return all(np.array_equal(ref.argmax(-1), got[name].argmax(-1))
               for name, ref in expected.items() if ref.shape[-1] > 1)
