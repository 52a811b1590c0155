"""train(): a Keras fit with history; under MirroredStrategy over 2 logical CPUs."""

from __future__ import annotations

import subprocess
import sys

from keras2pb import load_mnist, mnist_cnn, train


def test_train_returns_history_and_learns():
    data = load_mnist(n_train=512, n_test=128)
    history = train(mnist_cnn(), data, epochs=2, verbose=0)
    losses = history.history["loss"]
    assert len(losses) == 2 and losses[1] < losses[0]
    assert "val_accuracy" in history.history


CHILD = r"""
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
from keras2pb import load_mnist, mnist_cnn, train
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
data = load_mnist(n_train=128, n_test=32)
history = train(mnist_cnn, data, epochs=1, batch_size=32, strategy=strategy, verbose=0)
print("replicas", strategy.num_replicas_in_sync)
print("mirrored", type(history.model.weights[0].value).__name__,
      len(history.model.weights[0].values) if hasattr(history.model.weights[0], "values")
      else "")
print("loss", history.history["loss"][0])
"""


def test_mirrored_strategy_over_two_logical_cpus_trains_a_step():
    # Logical devices must be set before TensorFlow initialises: a fresh process.
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "replicas 2" in proc.stdout
    loss = float(proc.stdout.split("loss ")[1].split()[0])
    assert loss > 0
