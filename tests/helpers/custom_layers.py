"""A custom Keras layer that is deliberately not registered: loading needs custom_objects."""

from __future__ import annotations

import keras


class Scale(keras.layers.Layer):
    """Multiplies its input by one trainable scalar per channel."""

    def build(self, input_shape):
        self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="gain")

    def call(self, x):
        return x * self.gain


CUSTOM_OBJECTS = {"Scale": Scale}


def custom_model() -> keras.Model:
    """Functional model with a Scale layer: input ``image`` (28, 28, 1), output ``probs``."""
    x_in = keras.Input((28, 28, 1), name="image")
    x = keras.layers.Flatten(name="flatten")(x_in)
    x = Scale(name="scale")(x)
    out = keras.layers.Dense(10, activation="softmax", name="probs")(x)
    return keras.Model(x_in, out, name="custom")
