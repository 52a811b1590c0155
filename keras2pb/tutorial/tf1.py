"""A TF1-style session graph, built in TensorFlow 2's graph mode, to freeze the TF1 way.

Notebook 02 freezes it with ``tf.compat.v1.graph_util.convert_variables_to_constants``, the
function every TF1 recipe called, to show what TF1's freezing pruned (the optimizer, the
gradients, the loss) and what it kept (the ``Switch``/``Merge`` of the learning-phase ``cond``
around dropout, with the random numbers inside).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any


def _dense(x: Any, units: int, name: str) -> Any:
    """``x @ kernel + bias``, with the variables made the TF1 way (``get_variable``)."""
    import tensorflow as tf

    v1 = tf.compat.v1
    with v1.variable_scope(name):
        kernel = v1.get_variable("kernel", [x.shape[-1], units])
        bias = v1.get_variable("bias", [units], initializer=v1.zeros_initializer())
    return tf.matmul(x, kernel) + bias


def tf1_session_graph(seed: int = 0) -> tuple[Any, Any]:
    """Build and run one training step of a small TF1-style model; return ``(session, graph)``.

    A ``Placeholder`` ``image`` (784 floats), a hidden Dense layer with a learning-phase
    ``tf.cond`` around dropout (``learning_phase``, a ``placeholder_with_default(False)``,
    as Keras 2 made it), a softmax output ``probs``, a cross-entropy loss and an Adam
    ``train_op``: everything one TF1 session graph held. Built with TF1's control flow
    (``Switch``/``Merge``; TF2 would make an ``If`` op). The session is open: close it.
    """
    import numpy as np
    import tensorflow as tf

    v1 = tf.compat.v1
    v1.disable_control_flow_v2()  # tf.cond as TF1 built it: Switch and Merge nodes
    try:
        graph = tf.Graph()
        with graph.as_default():
            v1.set_random_seed(seed)
            image = v1.placeholder(tf.float32, [None, 784], name="image")
            label = v1.placeholder(tf.int64, [None], name="label")
            training = v1.placeholder_with_default(False, [], name="learning_phase")
            hidden = tf.nn.relu(_dense(image, 64, "dense"))
            hidden = tf.cond(training, lambda: tf.nn.dropout(hidden, rate=0.5),
                             lambda: hidden, name="dropout")
            logits = _dense(hidden, 10, "logits")
            tf.nn.softmax(logits, name="probs")
            loss = v1.losses.sparse_softmax_cross_entropy(label, logits)
            train_op = v1.train.AdamOptimizer(1e-3).minimize(loss, name="train_op")
            session = v1.Session(graph=graph)
            session.run(v1.global_variables_initializer())
            rng = np.random.default_rng(seed)
            session.run(train_op, {image: rng.random((32, 784), dtype=np.float32),
                                   label: rng.integers(0, 10, 32), training: True})
    finally:
        v1.enable_control_flow_v2()
    return session, graph


def tf1_reasons(names: Iterable[str]) -> Counter:
    """Why each node of :func:`tf1_session_graph` is not needed for ``probs``, counted: the
    ``gradients``, the ``optimizer`` (Adam's slots, step powers and updates), the ``loss`` and
    its labels, the ``variable set-up`` (initializers, handles, assignments) or ``other``."""
    counts: Counter = Counter()
    for name in names:
        if name.startswith("gradients/"):
            counts["gradients"] += 1
        elif "Adam" in name or name.startswith(("train_op", "beta1_power", "beta2_power")):
            counts["optimizer"] += 1
        elif name.startswith(("sparse_softmax_cross_entropy_loss", "label")):
            counts["loss"] += 1
        elif name.startswith(("dense/", "logits/", "init")):
            counts["variable set-up"] += 1
        else:
            counts["other"] += 1
    return counts
