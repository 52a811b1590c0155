"""keras2pb.graph.signature: the sidecar JSON's one home, node names, and feeds that fit a graph."""

from __future__ import annotations

import json

import numpy as np
import pytest

from keras2pb import Keras2pbError
from keras2pb.graph.signature import (
    Signature,
    TensorInfo,
    as_feeds,
    node_name,
    read_signature,
    require_signature,
    sidecar_path,
)

#: A sidecar as keras2pb wrote it before signature.py existed (freeze of models.two_io_model).
TODAY = (
    '{\n'
    '  "format": "keras2pb-sidecar/1",\n'
    '  "model": "two_io",\n'
    '  "inputs": [\n'
    '    {\n'
    '      "name": "image",\n'
    '      "tensor": "image:0",\n'
    '      "shape": [\n'
    '        null,\n'
    '        28,\n'
    '        28,\n'
    '        1\n'
    '      ],\n'
    '      "dtype": "float32",\n'
    '      "keras_input": "image"\n'
    '    },\n'
    '    {\n'
    '      "name": "meta",\n'
    '      "tensor": "meta:0",\n'
    '      "shape": [\n'
    '        null,\n'
    '        4\n'
    '      ],\n'
    '      "dtype": "float32",\n'
    '      "keras_input": "meta"\n'
    '    }\n'
    '  ],\n'
    '  "outputs": [\n'
    '    {\n'
    '      "name": "digit",\n'
    '      "tensor": "digit:0",\n'
    '      "shape": [\n'
    '        null,\n'
    '        10\n'
    '      ],\n'
    '      "dtype": "float32",\n'
    '      "keras_output": "digit",\n'
    '      "function_output": "Identity:0"\n'
    '    },\n'
    '    {\n'
    '      "name": "score",\n'
    '      "tensor": "score:0",\n'
    '      "shape": [\n'
    '        null,\n'
    '        1\n'
    '      ],\n'
    '      "dtype": "float32",\n'
    '      "keras_output": "score",\n'
    '      "function_output": "Identity_1:0"\n'
    '    }\n'
    '  ],\n'
    '  "node_count": 41,\n'
    '  "tensorflow": "2.21.0",\n'
    '  "keras": "3.15.1",\n'
    '  "graph": "sb_two.pb",\n'
    '  "source": null,\n'
    '  "size_bytes": 6822\n'
    '}\n'
)


def test_a_sidecar_from_before_reads_and_writes_back_byte_for_byte():
    sig = Signature.from_json(TODAY)
    assert sig.to_json() == TODAY
    assert [i.name for i in sig.inputs] == ["image", "meta"]
    assert sig.inputs[0] == TensorInfo("image", "image:0", (None, 28, 28, 1), "float32")
    assert sig.inputs[1].extra == {"keras_input": "meta"}
    assert sig.outputs[1].extra == {"keras_output": "score", "function_output": "Identity_1:0"}
    assert sig.extra["format"] == "keras2pb-sidecar/1" and sig.extra["size_bytes"] == 6822


def test_extra_keys_such_as_opencv_keep_their_place():
    data = json.loads(TODAY)
    data = {**{k: v for k, v in data.items() if k not in ("graph", "source", "size_bytes")},
            "variant": "opencv", "opencv": {"output_layers": ["x/Softmax"]}, "graph": "m.pb"}
    sig = Signature.from_dict(data)
    assert list(sig.to_dict()) == list(data)
    assert sig.to_json() == json.dumps(data, indent=2) + "\n"


def test_freeze_writes_what_signature_reads(tmp_path):
    from keras2pb import freeze
    from keras2pb.tutorial.models import two_io_model

    returned = freeze(two_io_model(), tmp_path / "m.pb")
    text = sidecar_path(tmp_path / "m.pb").read_text()
    assert json.loads(text) == returned
    assert read_signature(tmp_path / "m.pb").to_json() == text
    assert read_signature(tmp_path / "m.pb").source == sidecar_path(tmp_path / "m.pb")
    assert list(returned) == list(json.loads(TODAY))


def test_missing_and_broken_sidecars(tmp_path):
    pb = tmp_path / "g.pb"
    assert read_signature(pb) is None
    with pytest.raises(Keras2pbError, match=r"g\.pb: no sidecar g\.pb\.json naming the inputs"):
        require_signature(pb)
    sidecar_path(pb).write_text('{"inputs": [{"name": 1}], "outputs": []}')
    with pytest.raises(Keras2pbError, match="sidecar is not valid keras2pb JSON"):
        read_signature(pb)


@pytest.mark.parametrize(("given", "node"), [("image", "image"), ("image:0", "image"),
                                             ("^dense/Relu", "dense/Relu"),
                                             ("split:1", "split")])
def test_node_name(given, node):
    assert node_name(given) == node


def test_as_feeds_takes_one_array_a_list_or_names():
    x, m = np.zeros((1, 2)), np.ones((1, 4))
    assert as_feeds(x, ["image"]) == {"image": x}
    assert as_feeds([x, m], ["image", "meta"]) == {"image": x, "meta": m}
    by_name = as_feeds({"import/meta:0": m, "image": x}, ["image", "meta"])
    assert list(by_name) == ["image", "meta"]
    assert as_feeds({"image": x}, ["image:0"]) == {"image:0": x}  # ONNX's tensor names


@pytest.mark.parametrize(("x", "message"), [
    ({"image": 0}, r"g\.pb: missing input\(s\) meta; the graph needs image, meta"),
    ({"imgae": 0, "meta": 0},
     "no input or output named 'imgae'; this graph has: image, meta, probs"),
    ({"image": 0, "image:0": 1, "meta": 0}, r"g\.pb: input 'image' given twice \(as 'image:0'"),
    ({"probs": 0}, "no input named 'probs'; this graph has: meta, image"),
    ([0, 0, 0], "got 3 arrays, the graph has 2 inputs: image, meta"),
    (0, r"the graph has 2 inputs: pass a dict \{'image', 'meta'\}"),
])
def test_as_feeds_says_what_does_not_fit(x, message):
    with pytest.raises(Keras2pbError, match=message):
        as_feeds(x, ["image", "meta"], "g.pb", known=["image", "meta", "probs"])


@pytest.mark.parametrize("shape", ["abc", [28.0], ["28"], [True], 28])
def test_a_sidecar_shape_that_is_not_a_list_of_sizes_is_refused(shape):
    entry = {"name": "image", "tensor": "image:0", "shape": shape, "dtype": "float32"}
    with pytest.raises(TypeError, match="shape must be a list of whole numbers or nulls"):
        TensorInfo.from_dict(entry)
    assert TensorInfo.from_dict(dict(entry, shape=[None, 28])).shape == (None, 28)


def test_a_string_input_takes_numpy_strings():
    info = TensorInfo("text", "text:0", (None,), "string")
    fed = info.check(np.array(["a", "bc"]))
    assert fed.dtype == object and list(fed) == ["a", "bc"]


def test_tensor_info_checks_dtype_and_shape():
    info = TensorInfo("image", "image:0", (None, 2), "float32")
    assert info.check(np.zeros((3, 2), np.int64)).dtype == np.float32
    with pytest.raises(Keras2pbError, match=r"expects shape \(None, 2\), got \(3,\)"):
        info.check(np.zeros(3, np.float32))
