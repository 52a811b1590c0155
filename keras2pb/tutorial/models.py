"""Small example Keras models used by the notebooks and the tests."""

from __future__ import annotations

import keras
from keras import layers

from ..versions import require_supported

require_supported(keras_too=True)  # Keras 2 or an old TensorFlow fails here, with the fix


def mnist_cnn(name: str = "mnist_cnn") -> keras.Model:
    """The tutorial's CNN: conv-pool-conv-pool-flatten-dense-dropout-dense-softmax.

    Input ``image`` of shape (None, 28, 28, 1) float32; output layer ``probs``: 10 softmax
    probabilities. Compiled with Adam and sparse categorical cross-entropy (≈225k params).
    """
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1), name="image"),
            layers.Conv2D(32, 3, activation="relu", name="conv1"),
            layers.MaxPooling2D(name="pool1"),
            layers.Conv2D(64, 3, activation="relu", name="conv2"),
            layers.MaxPooling2D(name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dense(128, activation="relu", name="dense"),
            layers.Dropout(0.5, name="dropout"),
            layers.Dense(10, activation="softmax", name="probs"),
        ],
        name=name,
    )
    _compile(model)
    return model


def bn_cnn(name: str = "bn_cnn") -> keras.Model:
    """A functional CNN with BatchNormalization and Dropout (the "learning phase" example).

    Input ``image`` (None, 28, 28, 1); output ``probs`` (None, 10).
    """
    x_in = keras.Input((28, 28, 1), name="image")
    x = layers.Conv2D(16, 3, use_bias=False, name="conv1")(x_in)
    x = layers.BatchNormalization(name="bn1")(x)
    x = layers.Activation("relu", name="relu1")(x)
    x = layers.MaxPooling2D(name="pool1")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.3, name="dropout")(x)
    out = layers.Dense(10, activation="softmax", name="probs")(x)
    model = keras.Model(x_in, out, name=name)
    _compile(model)
    return model


def two_io_model(name: str = "two_io") -> keras.Model:
    """A functional model with two named inputs and two named outputs.

    Inputs ``image`` (None, 28, 28, 1) and ``meta`` (None, 4); outputs ``digit`` (None, 10,
    softmax) and ``score`` (None, 1).
    """
    image = keras.Input((28, 28, 1), name="image")
    meta = keras.Input((4,), name="meta")
    x = layers.Conv2D(8, 3, activation="relu", name="conv")(image)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Concatenate(name="concat")([x, meta])
    x = layers.Dense(16, activation="relu", name="hidden")(x)
    digit = layers.Dense(10, activation="softmax", name="digit")(x)
    score = layers.Dense(1, name="score")(x)
    model = keras.Model({"image": image, "meta": meta}, {"digit": digit, "score": score},
                        name=name)
    model.compile(
        optimizer="adam",
        loss={"digit": "sparse_categorical_crossentropy", "score": "mse"},
    )
    return model


def _compile(model: keras.Model) -> None:
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
