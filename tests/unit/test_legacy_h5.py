""".h5 files saved by tf.keras 2.15 (Keras 2) freeze and predict what tf.keras predicted.

The files and their recorded predictions come from scripts/make_legacy_h5.py (a throwaway
TF 2.15 venv); tests/data/legacy_h5/versions.json names the versions that wrote them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from keras2pb import Keras2pbError, freeze, load, load_keras_model
from tests.helpers.custom_layers import CUSTOM_OBJECTS

DATA = Path(__file__).resolve().parents[1] / "data" / "legacy_h5"
CASES = {
    "sequential_input_shape": None,
    "functional_two_outputs": None,
    "batchnorm_dropout": None,
    "custom_layer": CUSTOM_OBJECTS,
}
#: Frozen graph vs tf.keras 2.15's own predictions. Measured here: 0.0 for all four models
#: (TF 2.19-2.21, Keras 3.15.1); a 1.5e-8 difference was seen for a larger CNN. The margin
#: leaves room for other CPUs' kernels, and is still far below any real mismatch.
ATOL = 1e-6


def _recorded(name: str) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    with np.load(DATA / f"{name}.npz") as rec:
        xs = {k[2:]: rec[k] for k in rec.files if k.startswith("x:")}
        ys = {k[2:]: rec[k] for k in rec.files if k.startswith("y:")}
    return xs, ys


def test_fixtures_are_small_and_from_keras_2():
    total = sum(p.stat().st_size for p in DATA.iterdir())
    assert total < 1_000_000
    made_by = json.loads((DATA / "versions.json").read_text())
    assert made_by["keras"].startswith("2.") and made_by["tensorflow"].startswith("2.15")
    assert sorted(p.stem for p in DATA.glob("*.h5")) == sorted(CASES)
    assert [p.name for p in DATA.glob("*.keras")] == ["sequential_input_shape.keras"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_legacy_h5_freezes_and_predicts_the_recorded_outputs(name, tmp_path):
    xs, ys = _recorded(name)
    sidecar = freeze(DATA / f"{name}.h5", tmp_path / f"{name}.pb",
                     custom_objects=CASES[name])
    assert sorted(i["name"] for i in sidecar["inputs"]) == sorted(xs)
    assert sorted(o["keras_output"] for o in sidecar["outputs"]) == sorted(ys)
    with load(tmp_path / f"{name}.pb") as graph:
        got = graph.run(xs)
    for out in sidecar["outputs"]:
        want = ys[out["keras_output"]]
        assert got[out["name"]].shape == want.shape
        np.testing.assert_allclose(got[out["name"]], want, rtol=0, atol=ATOL,
                                   err_msg=f"{name}: {out['keras_output']}")


def test_batchnorm_and_dropout_run_in_inference_mode(tmp_path):
    """The recorded outputs are training=False ones: a second call gives the same numbers."""
    xs, ys = _recorded("batchnorm_dropout")
    freeze(DATA / "batchnorm_dropout.h5", tmp_path / "bn.pb")
    with load(tmp_path / "bn.pb") as graph:
        first, second = graph(xs), graph(xs)
    np.testing.assert_array_equal(first, second)
    assert np.abs(first - ys["probs"]).max() <= ATOL


def test_custom_layer_without_custom_objects_names_the_fix():
    with pytest.raises(Keras2pbError, match=r"custom_layer\.h5: uses a custom class .*Scale"):
        load_keras_model(DATA / "custom_layer.h5")


def test_keras_3_model_from_legacy_h5_keeps_the_layer_names():
    model = load_keras_model(DATA / "functional_two_outputs.h5")
    assert [layer.name for layer in model.layers] == ["features", "hidden", "label", "score"]


def test_rebuilt_architecture_loads_the_legacy_weights():
    """The fallback when Keras 3 cannot read an old file's config: the same layers in code."""
    import keras

    feats = keras.Input((8,), name="features")
    hidden = keras.layers.Dense(16, activation="relu", name="hidden")(feats)
    model = keras.Model(feats, [keras.layers.Dense(3, activation="softmax", name="label")(hidden),
                                keras.layers.Dense(1, name="score")(hidden)])
    model.load_weights(DATA / "functional_two_outputs.h5")
    xs, ys = _recorded("functional_two_outputs")
    label, score = model(xs["features"], training=False)
    np.testing.assert_allclose(np.asarray(label), ys["label"], rtol=0, atol=ATOL)
    np.testing.assert_allclose(np.asarray(score), ys["score"], rtol=0, atol=ATOL)


def test_keras_2_dot_keras_file_is_refused_with_the_file_name():
    """tf.keras 2.15's own ``.keras`` zip names Keras 2 modules that Keras 3 does not have."""
    path = DATA / "sequential_input_shape.keras"
    with pytest.raises(Keras2pbError, match=r"sequential_input_shape\.keras: could not be "
                                            r"loaded as a Keras model: TypeError"):
        load_keras_model(path)
