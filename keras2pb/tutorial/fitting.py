"""Training helper: Keras' fit with its progress bar, optionally under a tf.distribute strategy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ..versions import require_supported

require_supported(keras_too=True)  # Keras 2 or an old TensorFlow fails here, with the fix


def train(
    model: keras.Model | Callable[[], keras.Model],
    data: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    epochs: int = 3,
    *,
    batch_size: int = 64,
    strategy: tf.distribute.Strategy | None = None,
    verbose: int | str = "auto",
    **fit_kwargs: Any,
) -> keras.callbacks.History:
    """Train ``model`` on ``data = ((x_train, y_train), (x_test, y_test))`` and return the history.

    Shows Keras' progress bar (``verbose``), validates on the test split each epoch.
    With a ``strategy`` (e.g. ``tf.distribute.MirroredStrategy``), ``model`` must be a
    zero-argument function that builds and compiles the model: it is called inside
    ``strategy.scope()`` so that the variables are mirrored; the built model is
    ``history.model``. Extra keyword arguments go to ``model.fit``.
    """
    (x_train, y_train), (x_test, y_test) = data
    if strategy is not None:
        if isinstance(model, keras.Model):
            raise TypeError("with a strategy, pass a function that builds the model, "
                            "so it can be built inside strategy.scope()")
        with strategy.scope():
            model = model()
    elif not isinstance(model, keras.Model):
        model = model()
    return model.fit(
        x_train, y_train,
        validation_data=(x_test, y_test),
        epochs=epochs, batch_size=batch_size, verbose=verbose,
        **fit_kwargs,
    )
