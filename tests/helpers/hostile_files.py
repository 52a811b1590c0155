"""Builders of broken and hostile input files for the error-table tests."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import h5py
import keras
import numpy as np
import tensorflow as tf
from tensorflow.core.framework.graph_pb2 import GraphDef

from keras2pb.tutorial.models import mnist_cnn
from tests.helpers.custom_layers import custom_model


def unsafe_graph(path: Path) -> Path:
    """A frozen-looking graph whose extra node reads /etc/hostname with ReadFile."""

    @tf.function(input_signature=[tf.TensorSpec((None, 2), tf.float32, name="x")])
    def f(x):
        tf.io.read_file("/etc/hostname", name="sneaky_read")
        return tf.identity(x * 2.0, name="y")

    path.write_bytes(f.get_concrete_function().graph.as_graph_def().SerializeToString())
    return path


def reshape_graph(path: Path) -> Path:
    """A graph that reshapes its (None, None) input to rows of 3: TensorFlow refuses 4 values."""

    @tf.function(input_signature=[tf.TensorSpec((None, None), tf.float32, name="x")])
    def f(x):
        return tf.identity(tf.reshape(x, (-1, 3), name="rows_of_3"), name="y")

    path.write_bytes(f.get_concrete_function().graph.as_graph_def().SerializeToString())
    return path


def unknown_op_graph(src: Path, path: Path) -> Path:
    """A copy of a real frozen graph with one op renamed to an op nobody registered."""
    gd = GraphDef.FromString(src.read_bytes())
    for node in gd.node:
        if node.op == "Relu":
            node.op = "FancyRelu"
            break
    path.write_bytes(gd.SerializeToString())
    return path


def rewired_graph(src: Path, path: Path) -> Path:
    """A real frozen graph rewired so that shapes no longer fit (found by fuzz_graphs.py).

    The first conv bias ``Squeeze`` is fed the input image instead of the bias; the graph
    passes every structural check. Running it segfaults TensorFlow on some CPUs, and is
    refused with an InvalidArgumentError on others: tests may rely on neither.
    """
    gd = GraphDef.FromString(src.read_bytes())
    image = next(n.name for n in gd.node if n.op == "Placeholder")
    squeeze = next(n for n in gd.node if n.op == "Squeeze")
    squeeze.input[0] = image
    path.write_bytes(gd.SerializeToString())
    return path


def shapeless_graph(src: Path, path: Path) -> Path:
    """A real frozen graph whose input Placeholder has no shape attribute (and no sidecar)."""
    gd = GraphDef.FromString(src.read_bytes())
    for node in gd.node:
        if node.op == "Placeholder":
            del node.attr["shape"]
    path.write_bytes(gd.SerializeToString())
    return path


def make_all(d: Path, mnist_pb: Path) -> dict[str, Path]:
    """Write every hostile or broken file into ``d``; return name -> path."""
    rng = np.random.default_rng(7)
    files: dict[str, Path] = {}
    files["empty"] = d / "empty.pb"
    files["empty"].write_bytes(b"")
    files["random"] = d / "random.pb"
    files["random"].write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    data = mnist_pb.read_bytes()
    files["truncated"] = d / "truncated.pb"
    files["truncated"].write_bytes(data[: len(data) // 2])
    files["savedmodel"] = d / "saved"
    files["savedmodel"].mkdir()
    (files["savedmodel"] / "saved_model.pb").write_bytes(b"\x08\x01")
    model = mnist_cnn()
    files["weights_only"] = d / "weights.weights.h5"
    model.save_weights(files["weights_only"])
    files["not_a_model_h5"] = d / "data.h5"
    with h5py.File(files["not_a_model_h5"], "w") as f:
        f["x"] = np.arange(3)
    files["not_a_model_keras"] = d / "junk.keras"
    files["not_a_model_keras"].write_bytes(os.urandom(512))
    files["zip_no_config"] = d / "other.keras"
    with zipfile.ZipFile(files["zip_no_config"], "w") as z:
        z.writestr("hello.txt", "not a model")
    lam = keras.Sequential([keras.Input((3,), name="x"), keras.layers.Lambda(lambda t: t * 2)])
    files["lambda"] = d / "lambda.keras"
    lam.save(files["lambda"])
    files["custom"] = d / "custom.keras"
    custom_model().save(files["custom"])
    files["unknown_op"] = unknown_op_graph(mnist_pb, d / "unknown_op.pb")
    files["unsafe"] = unsafe_graph(d / "unsafe.pb")
    files["rewired"] = rewired_graph(mnist_pb, d / "rewired.pb")
    files["reshape"] = reshape_graph(d / "reshape.pb")
    files["four_npy"] = d / "four.npy"
    np.save(files["four_npy"], np.zeros((1, 4), np.float32))
    files["shapeless"] = shapeless_graph(mnist_pb, d / "shapeless.pb")
    files["rank1_npy"] = d / "rank1.npy"
    np.save(files["rank1_npy"], np.zeros((3,), np.float32))
    files["image_npy"] = d / "x.npy"
    np.save(files["image_npy"], np.zeros((2, 28, 28, 1), np.float32))
    files["bad_shape_npy"] = d / "flat.npy"
    np.save(files["bad_shape_npy"], np.zeros((2, 784), np.float32))
    files["bad_dtype_npy"] = d / "text.npy"
    np.save(files["bad_dtype_npy"], np.full((2, 28, 28, 1), "7"))
    files["wrong_name_npz"] = d / "wrong.npz"
    np.savez(files["wrong_name_npz"], imgae=np.zeros((1, 28, 28, 1), np.float32))
    files["image_only_npz"] = d / "image_only.npz"
    np.savez(files["image_only_npz"], image=np.zeros((1, 28, 28, 1), np.float32))
    files["garbage_npy"] = d / "garbage.npy"
    files["garbage_npy"].write_bytes(b"\x93NUMPY garbage")
    files["mnist"] = d / "mnist.pb"
    files["mnist"].write_bytes(data)
    (d / "mnist.pb.json").write_bytes(Path(f"{mnist_pb}.json").read_bytes())
    files["h5"] = d / "model.h5"
    model.save(files["h5"])
    files["bad_sidecar"] = d / "bad_sidecar.pb"
    files["bad_sidecar"].write_bytes(data)
    (d / "bad_sidecar.pb.json").write_text("{not json")
    return files
