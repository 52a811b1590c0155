"""Issue 21: subclassed models are wrapped when their input shape is known, and load errors
keep the actionable part of Keras' message (the NameError, the unknown class's name)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from keras2pb import Keras2pbError, freeze, verify
from keras2pb.freezing.keras_files import load_keras_model
from tests.helpers.feature_zoo import subclassed_model
from tests.helpers.matrix_cells import nontrivial_weights


def test_called_subclassed_model_freezes_and_matches(tmp_path):
    import keras

    keras.utils.set_random_seed(0)
    model = subclassed_model()  # called once on a batch of 2
    nontrivial_weights(model, 0)
    side = freeze(model, tmp_path / "s.pb")
    assert [i["shape"] for i in side["inputs"]] == [[None, 8, 8, 3]]
    x = np.random.default_rng(0).random((3, 8, 8, 3), dtype=np.float32)
    result = verify(model, tmp_path / "s.pb", x)
    assert result.max_abs_diff <= 1e-5 and result.argmax_agreement == 1.0


def test_unbuilt_subclassed_model_says_how_and_freezes_with_input_shape(tmp_path):
    import keras
    from keras import layers

    class Net(keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.dense = layers.Dense(3, name="dense")

        def call(self, features):
            return self.dense(features)

    keras.utils.set_random_seed(0)
    model = Net()
    with pytest.raises(Keras2pbError, match=r"'net' is a subclassed keras.Model that was never "
                                            r"built or called.*input_shape="):
        freeze(model, tmp_path / "n.pb")
    assert list(tmp_path.iterdir()) == []
    side = freeze(model, tmp_path / "n.pb", input_shape=(4,))
    assert side["inputs"][0]["name"] == "features"  # call's argument
    x = np.random.default_rng(0).random((2, 4), dtype=np.float32)
    assert verify(model, tmp_path / "n.pb", x).max_abs_diff <= 1e-6


#: Saves, in one fresh process, ``.keras`` files whose Lambda's code uses ``keras`` (imported
#: as such by the saving script; loading them elsewhere raises NameError inside Keras) and a
#: model with a custom class registered only in that script.
_SAVE = """
import sys, keras
from keras import layers
folder = sys.argv[1]
keras.Sequential([keras.Input((4,), name='x'),
                  layers.Lambda(lambda t: keras.ops.square(t), name='sq'),
                  layers.Dense(2, name='out')]).save(folder + '/sequential.keras')
i = keras.Input((4,), name='x')
keras.Model(i, layers.Dense(2, name='out')(
    layers.Lambda(lambda t: keras.ops.square(t), name='sq')(i))).save(folder + '/functional.keras')

@keras.saving.register_keras_serializable(package='demo')
class Doubler(keras.layers.Layer):
    def call(self, x):
        return x * 2.0

m = keras.Sequential([keras.Input((4,), name='x'), Doubler(name='d'),
                      keras.layers.Dense(2, name='out')])
m.save(folder + '/custom.keras')
m.save(folder + '/custom.h5')
"""


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("saved")
    subprocess.run([sys.executable, "-c", _SAVE, str(folder)], check=True, capture_output=True)
    return folder


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_lambda_name_error_reaches_the_message(saved, kind):
    with pytest.raises(Keras2pbError) as info:
        load_keras_model(saved / f"{kind}.keras", safe_mode=False)
    text = str(info.value)
    assert "NameError: name 'keras' is not defined" in text
    assert "\n" not in text and "registered custom layer" in text


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_unknown_custom_class_is_named(saved, suffix):
    with pytest.raises(Keras2pbError, match=r"custom class 'Doubler' \(registered as "
                                            r"'demo>Doubler'\).*custom_objects="):
        load_keras_model(saved / f"custom{suffix}")
