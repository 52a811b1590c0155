"""Issue 21: models with lookup tables (TextVectorization, StringLookup, IntegerLookup) freeze
with their tables as constants and an initializer the sidecar names; loaders run it first."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from keras2pb import Keras2pbError, freeze, load
from keras2pb.freezing.tables import TABLE_INITIALIZER
from keras2pb.graph.reading import read_graph_def
from keras2pb.graph.signature import sidecar_path
from keras2pb.runtime.verify import relative_error
from tests.helpers.feature_zoo import (
    integer_lookup_model,
    string_lookup_model,
    text_vectorization_model,
)

TEXT = np.array([["the cat sat"], ["zebra and dogs"], [""]], dtype=object)
TOKENS = np.array([["red", "zz", "blue"], ["cyan", "cyan", "q"], ["green", "red", "red"]],
                  dtype=object)


@pytest.fixture(scope="module")
def text_pb(tmp_path_factory):
    import keras

    keras.utils.set_random_seed(0)
    model = text_vectorization_model()
    pb = tmp_path_factory.mktemp("text") / "text.pb"
    freeze(model, pb)
    return model, pb


def test_text_model_freezes_with_its_table_and_initializer(text_pb):
    _, pb = text_pb
    side = json.loads(sidecar_path(pb).read_text())
    assert side["table_initializer"] == TABLE_INITIALIZER
    assert len(side["tables"]) == 1
    ops = [n.op for n in read_graph_def(pb).node]
    assert ops.count("HashTableV2") == 1 and ops.count("InitializeTableV2") == 1
    assert "Placeholder" in ops and ops.count("Placeholder") == 1  # only the text input


def test_text_model_matches_keras_in_both_tf_routes(text_pb):
    model, pb = text_pb
    ref = {"probs": np.asarray(model(TEXT, training=False))}
    with load(pb) as graph:
        assert relative_error(ref, graph.run(TEXT)) == (0.0, True)
        got = np.asarray(graph.function(TEXT)[0])  # the TF2 route fills the table too
        assert np.array_equal(got, ref["probs"])


def test_text_model_loads_in_a_fresh_process(text_pb):
    model, pb = text_pb
    code = ("import sys, numpy as np, keras2pb; g = keras2pb.load(sys.argv[1]); "
            "np.save(sys.argv[2], g(np.array([['the cat sat']], dtype=object)))")
    out = pb.with_suffix(".npy")
    subprocess.run([sys.executable, "-c", code, str(pb), str(out)], check=True)
    ref = np.asarray(model(np.array([["the cat sat"]], dtype=object), training=False))
    assert np.array_equal(np.load(out), ref)


def test_two_graphs_with_tables_in_one_process(text_pb, tmp_path):
    # Tables are shared by name in TensorFlow's resource manager: the name holds a digest of
    # the contents, so two models' tables never clash.
    import keras

    model, pb = text_pb
    keras.utils.set_random_seed(1)
    other = string_lookup_model()
    freeze(other, tmp_path / "s.pb")
    with load(pb) as g1, load(tmp_path / "s.pb") as g2:
        assert np.array_equal(np.asarray(g2.function(TOKENS)[0]),
                              np.asarray(other(TOKENS, training=False)))
        assert np.array_equal(np.asarray(g1.function(TEXT)[0]),
                              np.asarray(model(TEXT, training=False)))


def test_string_lookup_matches_keras_with_unknown_tokens(tmp_path):
    import keras

    keras.utils.set_random_seed(0)
    model = string_lookup_model()
    freeze(model, tmp_path / "s.pb")
    with load(tmp_path / "s.pb") as graph:
        assert relative_error({"probs": np.asarray(model(TOKENS))}, graph.run(TOKENS))[0] == 0


def test_c_client_fills_the_tables_first(tmp_path, c_client):
    import keras

    from keras2pb.runtime.c_client import run_c_client

    keras.utils.set_random_seed(0)
    model = integer_lookup_model()
    freeze(model, tmp_path / "i.pb")
    x = np.array([[3, 4, 9], [7, 7, 1]], dtype=np.float32)
    got = run_c_client(c_client, tmp_path / "i.pb", x)
    rel, same = relative_error({"probs": np.asarray(model(x))}, got)
    assert rel <= 1e-6 and same


def test_a_table_the_model_changes_is_refused_with_the_way_out():
    import tensorflow as tf

    from keras2pb.freezing.tables import carry_tables

    table = tf.lookup.experimental.MutableHashTable(tf.string, tf.int64, -1)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def serve(x):
        table.insert(x, tf.zeros_like(x, tf.int64))
        return table.lookup(x)

    concrete = serve.get_concrete_function()
    gd = concrete.graph.as_graph_def()
    captures = {t.name.split(":")[0]: e for e, t in concrete.graph.captures}
    with pytest.raises(Keras2pbError, match=r"changed while the model runs "
                                            r"\(LookupTableInsertV2\).*model.export"):
        carry_tables(gd, captures)
