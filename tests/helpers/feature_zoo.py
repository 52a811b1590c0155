"""The feature zoo's models: one small model per kind of Keras feature users bring (issue 21).

Each builder returns a fresh, unbuilt-weights-free Keras model; the caller seeds Keras first
(``keras.utils.set_random_seed``). Statistics that layers learn from data (Normalization,
TextVectorization) are adapted on seeded data whose mean and spread are not 0 and 1, so a
rewrite that drops them cannot hide behind zeros.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _data(seed: int, shape: tuple[int, ...], mean: float, std: float) -> np.ndarray:
    return np.random.default_rng(seed).normal(mean, std, shape).astype("float32")


def lstm_model() -> Any:
    """LSTM over a variable-length sequence -> Dense softmax."""
    import keras
    from keras import layers

    return keras.Sequential([keras.Input((None, 5), name="seq"), layers.LSTM(8, name="lstm"),
                             layers.Dense(4, activation="softmax", name="probs")], name="lstm")


def gru_model() -> Any:
    """GRU over a variable-length sequence -> Dense softmax."""
    import keras
    from keras import layers

    return keras.Sequential([keras.Input((None, 5), name="seq"), layers.GRU(8, name="gru"),
                             layers.Dense(4, activation="softmax", name="probs")], name="gru")


def bilstm_model() -> Any:
    """Bidirectional LSTM (sequences) -> TimeDistributed Dense -> pooling -> Dense."""
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input((6, 5), name="seq"),
        layers.Bidirectional(layers.LSTM(6, return_sequences=True), name="bilstm"),
        layers.TimeDistributed(layers.Dense(4), name="td"),
        layers.GlobalAveragePooling1D(name="gap"),
        layers.Dense(4, activation="softmax", name="probs")], name="bilstm")


def conv1d_model() -> Any:
    """Conv1D -> global max pooling -> Dense."""
    import keras
    from keras import layers

    return keras.Sequential([keras.Input((16, 3), name="signal"),
                             layers.Conv1D(6, 3, activation="relu", name="conv"),
                             layers.GlobalMaxPooling1D(name="gmp"),
                             layers.Dense(4, activation="softmax", name="probs")], name="conv1d")


def attention_model() -> Any:
    """A Transformer encoder block: MultiHeadAttention, residuals, LayerNorm, feed-forward."""
    import keras
    from keras import layers

    x_in = keras.Input((6, 8), name="tokens")
    att = layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(x_in, x_in)
    x = layers.LayerNormalization(name="ln1")(layers.Add(name="res1")([x_in, att]))
    ff = layers.Dense(8, name="ff")(layers.Dense(16, activation="relu", name="ff_in")(x))
    x = layers.LayerNormalization(name="ln2")(layers.Add(name="res2")([x, ff]))
    out = layers.Dense(4, activation="softmax", name="probs")(
        layers.GlobalAveragePooling1D(name="gap")(x))
    return keras.Model(x_in, out, name="transformer_block")


def normalization_model() -> Any:
    """Normalization adapted on images of mean 3 and std 2 -> Conv2D -> pooling -> Dense (the
    model whose --for-opencv variant ran 5 % off at batch 3, issue 21)."""
    import keras
    from keras import layers

    norm = layers.Normalization(name="norm")
    norm.adapt(_data(1, (64, 12, 12, 3), 3.0, 2.0))
    return keras.Sequential([keras.Input((12, 12, 3), name="image"), norm,
                             layers.Conv2D(6, 3, activation="relu", name="conv"),
                             layers.GlobalAveragePooling2D(name="gap"),
                             layers.Dense(4, activation="softmax", name="probs")],
                            name="normalization")


def preprocessing_model() -> Any:
    """Rescaling and Resizing of an image, and an adapted Normalization of a feature vector,
    joined before a Dense."""
    import keras
    from keras import layers

    img = keras.Input((16, 16, 3), name="image")
    x = layers.Rescaling(1 / 127.5, offset=-1, name="rescale")(img)
    x = layers.Resizing(8, 8, name="resize")(x)
    x = layers.Flatten(name="flat")(layers.Conv2D(4, 3, name="conv")(x))
    meta = keras.Input((5,), name="meta")
    norm = layers.Normalization(name="meta_norm")
    norm.adapt(_data(2, (64, 5), -1.0, 3.0))
    y = layers.Concatenate(name="cat")([x, norm(meta)])
    return keras.Model([img, meta], layers.Dense(4, activation="softmax", name="probs")(y),
                       name="preprocessing")


def mixed_precision_model() -> Any:
    """A CNN under the ``mixed_float16`` policy (float16 compute, float32 softmax)."""
    import keras
    from keras import layers

    policy = keras.mixed_precision.DTypePolicy("mixed_float16")
    return keras.Sequential([
        keras.Input((12, 12, 3), name="image"),
        layers.Conv2D(6, 3, activation="relu", dtype=policy, name="conv"),
        layers.GlobalAveragePooling2D(dtype=policy, name="gap"),
        layers.Dense(4, dtype=policy, name="logits"),
        layers.Activation("softmax", dtype="float32", name="probs")], name="mixed_float16")


def text_vectorization_model() -> Any:
    """TextVectorization (adapted vocabulary: a lookup table) -> Embedding -> Dense."""
    import keras
    from keras import layers

    tv = layers.TextVectorization(max_tokens=32, output_sequence_length=6, name="vectorize")
    tv.adapt(["the cat sat on the mat", "a dog ate my homework", "the dog sat down",
              "cats and dogs"])
    text = keras.Input((1,), dtype="string", name="text")
    x = layers.GlobalAveragePooling1D(name="gap")(layers.Embedding(32, 8, name="embed")(tv(text)))
    return keras.Model(text, layers.Dense(4, activation="softmax", name="probs")(x),
                       name="text_vectorization")


def string_lookup_model() -> Any:
    """StringLookup of three tokens -> Embedding -> Dense."""
    import keras
    from keras import layers

    tokens = keras.Input((3,), dtype="string", name="tokens")
    ids = layers.StringLookup(vocabulary=["red", "green", "blue", "cyan"], name="lookup")(tokens)
    x = layers.Flatten(name="flat")(layers.Embedding(6, 4, name="embed")(ids))
    return keras.Model(tokens, layers.Dense(4, activation="softmax", name="probs")(x),
                       name="string_lookup")


def integer_lookup_model() -> Any:
    """Float codes cast to integers -> IntegerLookup (a table) -> Embedding -> Dense: a table
    behind a float input, which the C client (float inputs only) can feed."""
    import keras
    from keras import layers

    codes = keras.Input((3,), name="codes")
    ids = layers.IntegerLookup(vocabulary=[3, 5, 7, 9], name="lookup")(
        layers.Lambda(lambda t: keras.ops.cast(t, "int64"), name="to_int")(codes))
    x = layers.Flatten(name="flat")(layers.Embedding(6, 4, name="embed")(ids))
    return keras.Model(codes, layers.Dense(4, activation="softmax", name="probs")(x),
                       name="integer_lookup")


def dict_io_model() -> Any:
    """Dict inputs ``a``, ``b`` and dict outputs ``score``, ``probs``."""
    import keras
    from keras import layers

    a = keras.Input((6,), name="a")
    b = keras.Input((3,), name="b")
    h = layers.Dense(8, activation="relu", name="h")(layers.Concatenate(name="cat")([a, b]))
    return keras.Model({"a": a, "b": b},
                       {"score": layers.Dense(1, name="score")(h),
                        "probs": layers.Dense(4, activation="softmax", name="probs")(h)},
                       name="dict_io")


def grouped_conv_model() -> Any:
    """Conv2D(groups=2), which Keras' TensorFlow backend compiles with XLA (``_conv_xla``),
    as in ConvNeXt."""
    import keras
    from keras import layers

    return keras.Sequential([keras.Input((10, 10, 4), name="image"),
                             layers.Conv2D(8, 3, groups=2, name="grouped"),
                             layers.GlobalAveragePooling2D(name="gap"),
                             layers.Dense(4, activation="softmax", name="probs")],
                            name="grouped_conv_xla")


def ops_lambda_model() -> Any:
    """A Lambda of ``keras.ops`` (in memory: its code is the builder's)."""
    import keras
    from keras import layers

    return keras.Sequential([keras.Input((6,), name="x"),
                             layers.Lambda(lambda t: keras.ops.tanh(t) * 2.0, name="ops"),
                             layers.Dense(4, activation="softmax", name="probs")],
                            name="ops_lambda")


def _affine_class() -> Any:
    """A registered custom layer (``keras2pb_zoo>Affine``): ``x * scale + shift`` per channel,
    weights drawn from seeded normals (not ones and zeros)."""
    import keras

    @keras.saving.register_keras_serializable(package="keras2pb_zoo")
    class Affine(keras.layers.Layer):
        def build(self, input_shape: Any) -> None:
            init = keras.initializers.RandomNormal(1.0, 0.5, seed=3)
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer=init,
                                         name="scale")
            self.shift = self.add_weight(shape=(input_shape[-1],), name="shift",
                                         initializer=keras.initializers.RandomNormal(
                                             0.0, 0.5, seed=4))

        def call(self, x: Any) -> Any:
            return x * self.scale + self.shift

    return Affine


def custom_layer_model() -> Any:
    """A registered custom layer (``Affine``) between two Dense layers."""
    import keras
    from keras import layers

    x_in = keras.Input((6,), name="x")
    x = _affine_class()(name="affine")(layers.Dense(5, name="dense")(x_in))
    return keras.Model(x_in, layers.Dense(4, activation="softmax", name="probs")(x),
                       name="custom_layer")


def subclassed_model() -> Any:
    """A subclassed ``keras.Model`` (Conv2D, BatchNorm, Dropout, Dense), called once on a
    batch so its input shape is known."""
    import keras
    from keras import layers

    class TinyNet(keras.Model):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.conv = layers.Conv2D(4, 3, name="conv")
            self.bn = layers.BatchNormalization(name="bn")
            self.drop = layers.Dropout(0.5, name="drop")
            self.pool = layers.GlobalAveragePooling2D(name="gap")
            self.out = layers.Dense(4, activation="softmax", name="probs")

        def call(self, x: Any, training: bool = False) -> Any:
            y = self.bn(self.conv(x), training=training)
            return self.out(self.pool(self.drop(y, training=training)))

    model = TinyNet(name="tiny_net")
    model(np.zeros((2, 8, 8, 3), "float32"))
    return model
