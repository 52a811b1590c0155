"""Issue 21: recurrent models reach ONNX Runtime (loops frozen as While, not lowered), and
export-onnx checks what it writes (onnx.checker, one run in ONNX Runtime)."""

from __future__ import annotations

import numpy as np
import pytest

from keras2pb import Keras2pbError, freeze, load
from keras2pb.graph.reading import read_graph_def
from keras2pb.runtime.onnx_export import OnnxModel, export_onnx
from keras2pb.runtime.verify import relative_error
from tests.helpers.feature_zoo import bilstm_model, grouped_conv_model, gru_model, lstm_model
from tests.helpers.matrix_cells import nontrivial_weights


def _frozen(build, folder):
    import keras

    keras.utils.set_random_seed(0)
    model = build()
    nontrivial_weights(model, 0)
    freeze(model, folder / "m.pb")
    return model, folder / "m.pb"


@pytest.mark.parametrize("build", [lstm_model, gru_model, bilstm_model],
                         ids=["lstm", "gru", "bilstm"])
def test_recurrent_model_exports_and_matches_keras(build, tmp_path):
    model, pb = _frozen(build, tmp_path)
    ops = {n.op for n in read_graph_def(pb).node}
    assert ops & {"While", "StatelessWhile"} and not ops & {"Enter", "Exit", "LoopCond"}
    onnx_model = OnnxModel(export_onnx(pb, tmp_path / "m.onnx"))
    for batch, steps in ((1, 6), (3, 6)):
        x = np.random.default_rng(batch).normal(size=(batch, steps, 5)).astype("float32")
        ref = {"probs": np.asarray(model(x, training=False))}
        rel, same = relative_error(ref, onnx_model(x))
        assert rel <= 1e-4 and same, (batch, rel)
        with load(pb) as graph:  # TensorFlow runs the While loop too
            assert relative_error(ref, graph.run(x))[0] <= 1e-6


def test_variable_time_axis_runs_at_other_lengths(tmp_path):
    model, pb = _frozen(gru_model, tmp_path)
    onnx_model = OnnxModel(export_onnx(pb, tmp_path / "m.onnx"))
    for steps in (1, 9):
        x = np.random.default_rng(steps).normal(size=(2, steps, 5)).astype("float32")
        assert relative_error({"probs": np.asarray(model(x))}, onnx_model(x))[0] <= 1e-4


def test_export_refuses_a_graph_with_lowered_loops(tmp_path):
    # The .pb an older keras2pb froze (loops lowered to Enter/Exit/TensorList ops): export
    # used to exit 0 and write a file ONNX Runtime refused ("Invalid tensor data type 0").
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    from keras2pb.freezing.freeze import serving_function

    model, pb = _frozen(lstm_model, tmp_path)
    lowered = convert_variables_to_constants_v2(serving_function(model).concrete)
    pb.write_bytes(lowered.graph.as_graph_def().SerializeToString())
    with pytest.raises(Keras2pbError, match=r"onnx.checker: .*TensorList.*freeze the model "
                                            r"again.*nothing was written"):
        export_onnx(pb, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_xla_compiled_grouped_conv_exports(tmp_path):
    # Conv2D(groups=2) is a StatefulPartitionedCall to an XLA-compiled function (ConvNeXt's
    # _conv_xla); tf2onnx could not convert the call. It is inlined for the export.
    model, pb = _frozen(grouped_conv_model, tmp_path)
    assert "StatefulPartitionedCall" in {n.op for n in read_graph_def(pb).node}
    onnx_model = OnnxModel(export_onnx(pb, tmp_path / "m.onnx"))
    x = np.random.default_rng(0).random((3, 10, 10, 4), dtype=np.float32)
    rel, same = relative_error({"probs": np.asarray(model(x))}, onnx_model(x))
    assert rel <= 1e-4 and same


def test_export_runs_the_file_in_onnx_runtime_before_writing(tmp_path, monkeypatch):
    # An export ONNX Runtime computes differently from TensorFlow is refused, not written.
    import keras2pb.runtime.onnx_export as onnx_export

    _, pb = _frozen(lstm_model, tmp_path)
    real_call = onnx_export.OnnxModel.__call__

    def off(self, feeds):
        return {k: v + 0.5 for k, v in real_call(self, feeds).items()}

    monkeypatch.setattr(onnx_export.OnnxModel, "__call__", off)
    with pytest.raises(Keras2pbError, match=r"runs .* off TensorFlow .* nothing was written"):
        export_onnx(pb, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()
