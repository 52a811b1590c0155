"""The ``--for-opencv`` rewrite: a frozen graph turned into the variant OpenCV DNN reads.

One grappler pass, then rewrites with the same arithmetic, each for something OpenCV's
TensorFlow importer gets wrong (each docstring says what). Imports TensorFlow only inside the
functions, so ``keras2pb.runtime.opencv``'s child process, which never rewrites, does not load it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import Keras2pbError
from .signature import Signature, node_name

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef

#: The grappler passes that make a Keras-frozen graph readable by OpenCV. Never "remapper":
#: it fuses ops into ``_Fused*`` kernels OpenCV does not know.
OPENCV_OPTIMIZERS = ("constfold", "dependency", "pruning")
#: Ops OpenCV's TensorFlow importer cannot run at all.
_REFUSED_OPS = {"Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond", "While",
                "StatelessWhile", "If", "StatelessIf", "PartitionedCall",
                "StatefulPartitionedCall"}
#: Loops (a recurrent layer's ``While``) among ``_REFUSED_OPS``.
_LOOP_OPS = {"While", "StatelessWhile", "Enter", "Exit", "NextIteration", "LoopCond"}
#: Lookup tables (``keras2pb.freezing.tables``): OpenCV has none.
_TABLE_OPS = {"HashTableV2", "InitializeTableV2", "LookupTableFindV2", "MutableHashTableV2"}
#: Ops whose following BiasAdd / Add of a constant OpenCV fuses into one layer named after them.
_BIAS_FUSERS = {"Conv2D", "MatMul", "DepthwiseConv2dNative", "Conv2DBackpropInput", "Conv3D"}
_ADDS = {"BiasAdd", "Add", "AddV2"}
#: Two-input ops that ``adds_to_bias_adds`` turns into a BiasAdd when one side is per-channel.
_CHANNEL_ADDS = ("Add", "AddV2", "Sub")
#: The most features a per-feature op on a 2-D tensor may have to be rewritten as a product by
#: a ``C x C`` matrix (2048: 16 MiB); wider ones are left to the OpenCV check at freezing.
MAX_MATRIX_FEATURES = 2048
#: What each rewrite pass leaves in a graph, so that a diff of the frozen graph with its
#: rewrite can name it node by node (``keras2pb.graph.diff``): pass -> (the op types it turns
#: a node from, the op types it may turn it into (empty when no op type changes), the name
#: suffixes of the nodes it adds (``_`` appended when taken; the longest match wins), what it
#: does, in words).
PASSES = {
    "adds_to_bias_adds": (("Add", "AddV2", "Sub"), ("BiasAdd",),
                          ("/bias", "/negate", "/negate/depthwise_filter", "/negate/diagonal"),
                          "per-channel add or subtract → BiasAdd"),
    "muls_to_depthwise": (("Mul",), ("DepthwiseConv2dNative", "MatMul"),
                          ("/depthwise_filter", "/diagonal"),
                          "per-channel Mul (BatchNorm, Normalization) → 1x1 depthwise "
                          "(a diagonal MatMul on 2-D)"),
    "lone_bias_adds_to_depthwise": ((), (), ("/times_one", "/times_one/depthwise_filter",
                                             "/times_one/diagonal"),
                                    "times one before a lone BiasAdd (1x1 depthwise or "
                                    "diagonal MatMul)"),
    "one_pixel_depthwise": ((), (), ("/filter_1px",),
                            "depthwise filter cut to the one pixel it meets"),
}
#: How OpenCV wants 4-D image tensors: NCHW blobs (``x.transpose(0, 3, 1, 2)``).
NCHW = (0, 3, 1, 2)
NHWC = (0, 2, 3, 1)


def optimize_graph(graph_def: GraphDef, keep: list[str],
                   optimizers: tuple[str, ...] = OPENCV_OPTIMIZERS) -> GraphDef:
    """One grappler pass of ``optimizers`` over ``graph_def``, keeping the nodes in ``keep``.

    In: a frozen GraphDef and the node names that must survive (inputs and outputs). Out: the
    optimized GraphDef (constants folded, Identity chains and dead nodes removed).
    """
    import tensorflow as tf
    from tensorflow.core.protobuf import config_pb2, rewriter_config_pb2
    from tensorflow.python.grappler import tf_optimizer

    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
        meta = tf.compat.v1.train.export_meta_graph(graph_def=graph.as_graph_def(),
                                                    graph=graph)
    meta.collection_def["train_op"].node_list.value.extend(keep)
    config = config_pb2.ConfigProto()
    rewrite = config.graph_options.rewrite_options
    rewrite.optimizers.extend(optimizers)
    rewrite.meta_optimizer_iterations = rewriter_config_pb2.RewriterConfig.ONE
    rewrite.min_graph_nodes = -1  # small graphs too
    return tf_optimizer.OptimizeGraph(config, meta)


def compiled_calls(graph_def: GraphDef) -> list[str]:
    """Names of the function calls in ``graph_def`` that TensorFlow must compile with XLA
    (``_XlaMustCompile``): Keras' TensorFlow backend runs a grouped ``Conv2D`` (ConvNeXt's)
    that way, and freezing keeps it as a ``StatefulPartitionedCall``."""
    calls = {"StatefulPartitionedCall", "PartitionedCall"}
    compiled = {f.signature.name for f in graph_def.library.function
                if "_XlaMustCompile" in f.attr and f.attr["_XlaMustCompile"].b}
    return [n.name for n in graph_def.node if n.op in calls and (
        ("_XlaMustCompile" in n.attr and n.attr["_XlaMustCompile"].b)
        or n.attr["f"].func.name in compiled)]


def inline_compiled_calls(graph_def: GraphDef, keep: list[str]) -> tuple[GraphDef, int]:
    """Inline the XLA-compiled function calls (``compiled_calls``) into the graph, so ONNX and
    OpenCV see the ops inside (a grouped ``Conv2D``) instead of a call they cannot convert.

    The call and its function lose ``_XlaMustCompile`` and ``_noinline``, then grappler's
    ``function`` optimizer inlines them. The result is for converters: TensorFlow on the CPU
    runs a grouped ``Conv2D`` only through XLA. ``keep``: node names that must survive.
    Returns the new GraphDef and how many calls were inlined (0: ``graph_def`` unchanged).
    """
    from tensorflow.core.framework.graph_pb2 import GraphDef

    names = set(compiled_calls(graph_def))
    if not names:
        return graph_def, 0
    out = GraphDef()
    out.CopyFrom(graph_def)
    targets = set()
    for node in out.node:
        if node.name in names:
            targets.add(node.attr["f"].func.name)
            for key in ("_XlaMustCompile", "_noinline"):
                if key in node.attr:
                    del node.attr[key]
    for fn in out.library.function:
        if fn.signature.name in targets:
            for key in ("_XlaMustCompile", "_noinline"):
                if key in fn.attr:
                    del fn.attr[key]
    return optimize_graph(out, keep, ("function", "constfold", "dependency", "pruning")), \
        len(names)


def _rewrite_start(graph_def: GraphDef) -> tuple[Any, dict[str, Any], set[str], GraphDef]:
    """What each rewrite starts from: ``graph_def`` imported into a ``tf.Graph`` (for the
    tensors' shapes), its Const nodes by name, the node names taken, and a copy to edit."""
    import tensorflow as tf
    from tensorflow.core.framework.graph_pb2 import GraphDef

    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
    out = GraphDef()
    out.CopyFrom(graph_def)
    return (graph, {n.name: n for n in graph_def.node if n.op == "Const"},
            {n.name for n in graph_def.node}, out)


def _shape(graph: Any, name: str) -> Any:
    """The static shape of the tensor a node input names (``x`` is ``x:0``)."""
    return graph.get_tensor_by_name(name if ":" in name else f"{name}:0").shape


def _channel_operand(node: Any, consts: dict[str, Any], graph: Any
                     ) -> tuple[str, str, np.ndarray] | None:
    """For a two-input node (no control inputs) with a per-channel Const on one side (see
    ``_channel_values``): ``(other input, Const input, the values)``; else None."""
    if len(node.input) != 2 or any(i.startswith("^") for i in node.input):
        return None
    for c_idx, x_idx in ((1, 0), (0, 1)):
        values = _channel_values(consts.get(node_name(node.input[c_idx])),
                                 _shape(graph, node.input[x_idx]))
        if values is not None:
            return node.input[x_idx], node.input[c_idx], values
    return None


def _channel_values(const: Any, x_shape: Any) -> np.ndarray | None:
    """The 1-D float32 values of Const ``const`` when it holds one value per channel of a 4-D
    NHWC tensor (or per feature of a 2-D ``[N, C]`` one) of shape ``x_shape``: shape ``[C]``
    or ``[1, ..., 1, C]`` (Keras applications' BatchNorm broadcasts over ``[1, 1, 1, C]``).
    None otherwise, and for a 2-D tensor of more than ``MAX_MATRIX_FEATURES`` features (the
    rewrites turn those into ``C x C`` matrices)."""
    import tensorflow as tf

    if const is None or const.attr["dtype"].type != tf.float32.as_datatype_enum:
        return None
    dims = [d.size for d in const.attr["value"].tensor.tensor_shape.dim]
    if x_shape.rank not in (2, 4) or not dims or len(dims) > x_shape.rank or \
            any(d != 1 for d in dims[:-1]) or \
            x_shape[-1] is None or x_shape[-1] != dims[-1] or \
            (x_shape.rank == 2 and dims[-1] > MAX_MATRIX_FEATURES):
        return None
    return tf.make_ndarray(const.attr["value"].tensor).reshape(-1).astype(np.float32)


def adds_to_bias_adds(graph_def: GraphDef) -> tuple[GraphDef, int]:
    """Turn ``AddV2(x, c)`` and ``Sub(x, c)`` with a constant ``c`` over the channels of a 4-D
    ``x`` (shape ``[C]`` or ``[1, 1, 1, C]``), or over the features of a 2-D ``x``, into
    ``BiasAdd(x, c)`` (``BiasAdd(x, -c)`` for ``Sub``; ``c - x`` becomes ``BiasAdd(-x, c)``
    with ``-x`` a product by -1): the same arithmetic, bit for bit (a ``[1, 1, 1, C]``
    constant becomes a new 1-D one).

    OpenCV 5's new engine cannot broadcast such an add over its NCHW blob (BatchNorm folded
    after a bias-free Conv2D leaves one; a BiasAdd it fuses into the convolution). With the
    ``[1, 1, 1, C]`` constants of ``keras.applications``' ``BatchNormalization(axis=3)``,
    OpenCV 5.0 ran Conv2D -> BatchNorm -> ReLU 0.15 off at batch 4 with no error, and
    DenseNet121 failed at batch 4 (``total(...)``). An adapted ``keras.layers.Normalization``
    leaves ``Sub(x, mean)``: left as it was, OpenCV 5.0 ran Normalization -> Conv2D ->
    pooling -> Dense exactly at batch 1, 0.1 % to 5 % off with no error at batch 3, and failed
    at batch 2, 4, 8 and 64 (issue 21). Returns the new GraphDef and how many were rewritten.
    """
    import tensorflow as tf

    graph, consts, taken, out = _rewrite_start(graph_def)
    count = 0
    for node in list(out.node):
        found = _channel_operand(node, consts, graph) if node.op in _CHANNEL_ADDS else None
        if found is None:
            continue
        x_input, c_input, values = found
        if node.op == "Sub" and node_name(node.input[0]) == node_name(c_input):  # c - x
            rank = _shape(graph, x_input).rank
            x_input = _scaled(tf, f"{node.name}/negate", x_input, -np.ones_like(values), rank,
                              taken, out)
        elif node.op == "Sub":  # x - c is x + (-c), bit for bit
            values = -values
        if node.op == "Sub" or \
                len(consts[node_name(c_input)].attr["value"].tensor.tensor_shape.dim) != 1:
            bias = _const_node(tf, _unique(f"{node.name}/bias", taken), values)
            out.node.add().CopyFrom(bias)
            c_input = bias.name
        del node.input[:]
        node.input.extend([x_input, c_input])
        node.op = "BiasAdd"
        node.attr["data_format"].s = b"NHWC"
        count += 1
    return out, count


def _scaled(tf: Any, name: str, x_input: str, values: np.ndarray, rank: int, taken: set[str],
            out: GraphDef) -> str:
    """Add ``x * values`` (one value per channel) to ``out`` as an op OpenCV runs right at any
    batch: a 1x1 depthwise convolution for a 4-D ``x``, a product by a diagonal matrix for a
    2-D one (both exact: the other terms are zeros). Returns the new node's name."""
    if rank == 2:
        weights = _const_node(tf, _unique(f"{name}/diagonal", taken), np.diag(values))
        node = _matmul_node(tf, _unique(name, taken), x_input, weights.name)
    else:
        weights = _const_node(tf, _unique(f"{name}/depthwise_filter", taken),
                              values.reshape(1, 1, -1, 1))
        node = _depthwise_node(tf, _unique(name, taken), x_input, weights.name)
    out.node.add().CopyFrom(weights)
    out.node.add().CopyFrom(node)
    return node.name


def _unique(name: str, taken: set[str]) -> str:
    """``name``, with ``_`` appended until it is not in ``taken``; added to ``taken``."""
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def muls_to_depthwise(graph_def: GraphDef) -> tuple[GraphDef, int]:
    """Turn ``Mul(x, c)`` with a constant ``c`` over the channels of a 4-D ``x`` (shape ``[C]``
    or ``[1, 1, 1, C]``) into a 1x1 ``DepthwiseConv2dNative`` whose filter is ``c``, and over
    the features of a 2-D ``x`` into ``MatMul(x, diag(c))`` (the same products, bit for bit:
    the other terms of the matrix product are zeros).

    BatchNorm after a Conv2D *with* a bias folds into such a Mul. OpenCV 5.0's new engine
    mishandles it at batch 4: an error (``total(...) 'end' is 5, 'dims' is 4``) for a Sequential
    CNN, wrong numbers and no error (0.26 off) for Conv2D -> BatchNorm -> Flatten -> Dense.
    A depthwise convolution it runs right. A ``Normalization`` of a feature vector leaves a
    2-D one, which OpenCV 5.0 failed at every batch >= 2. Returns the new GraphDef and how
    many were rewritten.
    """
    import tensorflow as tf

    graph, consts, taken, out = _rewrite_start(graph_def)
    count = 0
    for node in list(out.node):
        found = _channel_operand(node, consts, graph) if node.op == "Mul" else None
        if found is None:
            continue
        x_input, _, values = found
        # the node keeps its name (consumers and OpenCV's layer names stay); "T" stays float32
        if _shape(graph, x_input).rank == 2:
            weights = _const_node(tf, _unique(f"{node.name}/diagonal", taken), np.diag(values))
            node.CopyFrom(_matmul_node(tf, node.name, x_input, weights.name))
        else:
            weights = _const_node(tf, _unique(f"{node.name}/depthwise_filter", taken),
                                  values.reshape(1, 1, -1, 1))
            node.CopyFrom(_depthwise_node(tf, node.name, x_input, weights.name))
        out.node.add().CopyFrom(weights)
        count += 1
    return out, count


def _nhwc_float32(tf: Any, node: Any) -> bool:
    """Whether ``node`` computes float32 in NHWC (no ``data_format`` means NHWC). Reads the
    attributes without inserting them (reading a missing map key of a NodeDef adds it)."""
    return (node.attr["T"].type == tf.float32.as_datatype_enum if "T" in node.attr else False) \
        and ("data_format" not in node.attr or node.attr["data_format"].s in (b"", b"NHWC"))


def _depthwise_node(tf: Any, name: str, x_input: str, filter_name: str) -> Any:
    """A stride-1, VALID, NHWC float32 ``DepthwiseConv2dNative`` NodeDef."""
    from tensorflow.core.framework.node_def_pb2 import NodeDef

    node = NodeDef(name=name, op="DepthwiseConv2dNative", input=[x_input, filter_name])
    node.attr["T"].type = tf.float32.as_datatype_enum
    node.attr["strides"].list.i.extend([1, 1, 1, 1])
    node.attr["dilations"].list.i.extend([1, 1, 1, 1])
    node.attr["padding"].s = b"VALID"
    node.attr["data_format"].s = b"NHWC"
    return node


def _matmul_node(tf: Any, name: str, x_input: str, matrix_name: str) -> Any:
    """A float32 ``MatMul(x, matrix)`` NodeDef."""
    from tensorflow.core.framework.node_def_pb2 import NodeDef

    node = NodeDef(name=name, op="MatMul", input=[x_input, matrix_name])
    node.attr["T"].type = tf.float32.as_datatype_enum
    node.attr["transpose_a"].b = False
    node.attr["transpose_b"].b = False
    return node


def _const_node(tf: Any, name: str, values: np.ndarray) -> Any:
    """A float32 Const NodeDef holding ``values``."""
    from tensorflow.core.framework.node_def_pb2 import NodeDef

    node = NodeDef(name=name, op="Const")
    node.attr["dtype"].type = tf.float32.as_datatype_enum
    node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(values.astype(np.float32)))
    return node


def lone_bias_adds_to_depthwise(graph_def: GraphDef) -> tuple[GraphDef, int]:
    """Put a 1x1 ``DepthwiseConv2dNative`` with an all-ones filter in front of every 4-D
    ``BiasAdd`` whose input is not a convolution or MatMul (``x * 1.0`` is ``x``, bit for bit),
    and a ``MatMul`` by the identity matrix in front of such a 2-D one.

    OpenCV fuses a BiasAdd into the convolution before it; a BiasAdd on anything else (a
    ``Mul`` by a scalar, a ``Relu``, the input) it runs as a separate per-channel add, which
    OpenCV 5.0 fails at batch >= 2 in both engines (``total(...) 'end' is 5, 'dims' is 4``);
    a plain ``AddV2`` of a ``[C]`` or ``[1, 1, 1, C]`` constant fails the same way. After the
    ones-depthwise the bias is fused like any other. EfficientNetB0's ``Rescaling`` and
    ``Normalization`` layers leave one, and so does ``Normalization`` of a feature vector
    (2-D; OpenCV 5.0 failed it at batch >= 2). Run after ``adds_to_bias_adds`` and
    ``muls_to_depthwise``. Returns the new GraphDef and how many were inserted.
    """
    import tensorflow as tf

    graph, _, taken, out = _rewrite_start(graph_def)
    nodes = {n.name: n for n in graph_def.node}
    count = 0
    for node in list(out.node):
        if node.op != "BiasAdd" or not _nhwc_float32(tf, node):
            continue
        src = _past_identities(nodes, node.input[0])
        shape = _shape(graph, node.input[0])
        if src.op in _BIAS_FUSERS or shape.rank not in (2, 4) or shape[-1] is None or \
                (shape.rank == 2 and shape[-1] > MAX_MATRIX_FEATURES):
            continue
        node.input[0] = _scaled(tf, f"{node.name}/times_one", node.input[0],
                                np.ones(shape[-1], np.float32), shape.rank, taken, out)
        count += 1
    return out, count


def one_pixel_depthwise(graph_def: GraphDef) -> tuple[GraphDef, int]:
    """Cut the filter of a ``SAME``-padded ``DepthwiseConv2dNative`` whose input is one pixel
    high (or wide) down to the one row (column) that meets that pixel, and make its stride
    there 1.

    The output is one pixel in that direction whatever the stride, and the other filter taps
    only ever multiply the zero padding, so the arithmetic is the same. OpenCV's 3x3
    depthwise kernel (``depthWiseBlockConv2D``) zeroes the padding row above *or* below an
    output row, not both, and reads the first column's right neighbour unchecked: on a 1-pixel
    input it reads memory outside the image (EfficientNetB0 at 32x32 reaches a 1x1 map at
    block 7a: 0.77 off at batch 1, up to 4e30 in a one-layer model; a 5x5 kernel is right).
    Needs the input's height and width in the graph. Returns the new GraphDef and how many
    were rewritten.
    """
    import tensorflow as tf

    graph, consts, taken, out = _rewrite_start(graph_def)
    count = 0
    for node in list(out.node):
        if node.op != "DepthwiseConv2dNative" or not _nhwc_float32(tf, node) or \
                node.attr["padding"].s != b"SAME" or \
                ("dilations" in node.attr and any(d != 1 for d in node.attr["dilations"].list.i)):
            continue
        filt = consts.get(node_name(node.input[1]))
        shape = _shape(graph, node.input[0])
        if filt is None or shape.rank != 4:
            continue
        values = tf.make_ndarray(filt.attr["value"].tensor)
        strides = list(node.attr["strides"].list.i) or [1, 1, 1, 1]
        cut = values
        for axis in (0, 1):  # filter rows, columns <-> input height, width
            if shape[axis + 1] == 1 and cut.shape[axis] > 1:
                mid = (cut.shape[axis] - 1) // 2  # TF's SAME puts the pixel under this tap
                cut = np.take(cut, [mid], axis=axis)
                strides[axis + 1] = 1
        if cut.shape == values.shape:
            continue
        new = _const_node(tf, _unique(f"{node.name}/filter_1px", taken), cut)
        out.node.add().CopyFrom(new)
        node.input[1] = new.name
        del node.attr["strides"].list.i[:]
        node.attr["strides"].list.i.extend(strides)
        count += 1
    return out, count


def explicit_consts(graph_def: GraphDef) -> tuple[GraphDef, int]:
    """Write out every float/double/int32/half Const whose value TensorFlow stores implicitly:
    no values at all (all zeros) or fewer values than elements (the last one repeated).

    OpenCV's TensorFlow importer reads a constant from ``tensor_content`` or, when that is
    empty, from ``float_val``/``int_val``/…, and asserts that list is not empty
    (``!field.empty()`` in ``getTensorContentRef_``); it also takes a shorter list as the whole
    tensor. Grappler's constant folding leaves both kinds (EfficientNetB0's zero offsets and
    ``strided_slice/stack`` of ``[0]``, NASNetMobile's). Constants are written again from
    their full array: most get all their values in ``tensor_content``; scalars get their one
    value in the typed list, where OpenCV's Keras ``Reshape`` pattern reads it. The values are
    the same. Returns the new GraphDef and how many constants were written out.
    """
    import tensorflow as tf
    from tensorflow.core.framework.graph_pb2 import GraphDef

    fields = {tf.float32.as_datatype_enum: "float_val", tf.float64.as_datatype_enum: "double_val",
              tf.int32.as_datatype_enum: "int_val", tf.float16.as_datatype_enum: "half_val"}
    out = GraphDef()
    out.CopyFrom(graph_def)
    count = 0
    for node in out.node:
        tensor = node.attr["value"].tensor if node.op == "Const" else None
        if tensor is None or tensor.dtype not in fields or tensor.tensor_content:
            continue
        dims = [d.size for d in tensor.tensor_shape.dim]
        values = getattr(tensor, fields[tensor.dtype])
        if len(values) == int(np.prod(dims)):
            continue
        array = tf.make_ndarray(tensor)
        if dims:
            tensor.CopyFrom(tf.make_tensor_proto(array))
        else:
            values.append(array.view(np.uint16).item() if array.dtype == np.float16
                          else array.item())
        count += 1
    return out, count


def _past_identities(nodes: dict[str, Any], ref: str) -> Any:
    """The node ``ref`` names, or the first non-``Identity`` node up its chain of Identities
    (OpenCV drops Identity nodes)."""
    node = nodes[node_name(ref)]
    while node.op == "Identity" and node.input:
        node = nodes[node_name(node.input[0])]
    return node


def opencv_layer_name(graph_def: GraphDef, name: str) -> str:
    """The OpenCV DNN layer that computes TF node ``name``: OpenCV drops Identity nodes
    and fuses a bias add into the Conv2D/MatMul before it (the layer keeps that op's name)."""
    nodes = {n.name: n for n in graph_def.node}
    node = _past_identities(nodes, name)
    if node.op in _ADDS:
        srcs = [nodes[node_name(i)] for i in node.input if not i.startswith("^")]
        others = [s for s in srcs if s.op != "Const"]
        if len(srcs) == 2 and len(others) == 1 and others[0].op in _BIAS_FUSERS:
            node = others[0]
    return node.name


def make_opencv_ready(graph_def: GraphDef, signature: Signature,
                      path: str | os.PathLike | None = None) -> tuple[GraphDef, Signature]:
    """Rewrite a frozen graph into the variant OpenCV DNN reads (``freeze(for_opencv=True)``).

    In: the GraphDef and signature from ``freeze_model``. Out: the grappler-optimized GraphDef
    (constant-folded, no ``_Fused*`` ops, same input and output names, so ``keras2pb.load``
    still runs it) and a copy of the signature with an ``"opencv"`` entry: the input layout
    OpenCV expects (NCHW blobs for images), the layer names to pass to ``net.forward`` and an
    example, and how many times each rewrite fired. Raises Keras2pbError naming ``path`` (the
    file the graph comes from or goes to) if the graph holds ops OpenCV cannot run or lost an
    input/output.
    """
    inputs = [i.name for i in signature.inputs]
    outputs = [o.name for o in signature.outputs]
    optimized, inlined = inline_compiled_calls(graph_def, inputs + outputs)
    optimized = optimize_graph(optimized, inputs + outputs)
    optimized, rewritten = adds_to_bias_adds(optimized)
    optimized, muls = muls_to_depthwise(optimized)
    optimized, lone = lone_bias_adds_to_depthwise(optimized)
    optimized, one_px = one_pixel_depthwise(optimized)
    optimized, explicit = explicit_consts(optimized)
    names = {n.name for n in optimized.node}
    lost = [n for n in inputs if n not in names]
    if lost:
        raise Keras2pbError(f"optimizing for OpenCV removed input {', '.join(lost)}: the model "
                            "does not use it, so OpenCV could not feed it; drop it from the model",
                            path)
    lost = [n for n in outputs if n not in names]
    if lost:
        raise Keras2pbError(f"optimizing for OpenCV lost output {', '.join(lost)}; "
                            "please report this with the model", path)
    strings = [i.name for i in signature.inputs if i.dtype == "string"]
    tables = [n.name for n in optimized.node if n.op in _TABLE_OPS]
    if strings or tables:
        what = f"string input {', '.join(strings)}" if strings else \
            f"lookup table {tables[0]}"
        raise Keras2pbError(f"OpenCV DNN cannot run this graph: it has no string tensors or "
                            f"lookup tables, and this one has a {what} (TextVectorization, "
                            "StringLookup, IntegerLookup); run the .pb in TensorFlow "
                            "(keras2pb.load) or the C client, or keep the lookup outside "
                            "the model and freeze the model that takes token ids", path)
    bad = [(n.name, n.op) for n in optimized.node
           if n.op.startswith("_") or n.op in _REFUSED_OPS]
    if bad:
        shown = ", ".join(f"{n} ({op})" for n, op in bad[:5])
        loops = any(op in _LOOP_OPS for _, op in bad)
        raise Keras2pbError(f"OpenCV DNN cannot run this graph: it keeps {shown} after "
                            "constant folding (control flow or fused kernels); "
                            + ("recurrent layers (LSTM, GRU) run in ONNX Runtime: keras2pb "
                               "export-onnx; OpenCV's ONNX importer runs some of them and not "
                               "others (a bidirectional LSTM): check yours with keras2pb "
                               "verify --runtimes opencv-onnx"
                               if loops else "try keras2pb export-onnx, then "
                               "cv2.dnn.readNetFromONNX"), path)
    cv_inputs = []
    for info in signature.inputs:
        shape = None if info.shape is None else list(info.shape)
        rank = 0 if shape is None else len(shape)
        layout = {4: "NCHW", 2: "NC"}.get(rank, "as-is")
        if rank == 4:
            shape = [shape[i] for i in NCHW]
        cv_inputs.append({"name": info.name, "layout": layout, "shape": shape,
                          "transpose": list(NCHW) if rank == 4 else None})
    cv_outputs = []
    for info in signature.outputs:
        rank = 0 if info.shape is None else len(info.shape)
        cv_outputs.append({"name": info.name, "layer": opencv_layer_name(optimized, info.name),
                           "layout": "NCHW" if rank == 4 else "as-is",
                           "transpose_back": list(NHWC) if rank == 4 else None})
    layers = [o["layer"] for o in cv_outputs]
    sets = "; ".join(f"net.setInput(x_{i['name']}"
                     f"{'.transpose(0, 3, 1, 2)' if i['transpose'] else ''}, {i['name']!r})"
                     for i in cv_inputs)
    batch = {i.shape[0] if i.shape else None for i in signature.inputs}
    extra = dict(signature.extra)
    extra["node_count"] = len(optimized.node)
    extra["variant"] = "opencv"
    extra["opencv"] = {
        "optimizers": list(OPENCV_OPTIMIZERS),
        "inlined_compiled_calls": inlined,
        "input_layout": "NCHW" if any(i["layout"] == "NCHW" for i in cv_inputs) else "NC",
        "inputs": cv_inputs,
        "outputs": cv_outputs,
        "output_layers": layers,
        "adds_to_bias_adds": rewritten,
        "muls_to_depthwise": muls,
        "lone_bias_adds_to_depthwise": lone,
        "one_pixel_depthwise": one_px,
        "explicit_consts": explicit,
        "fixed_batch": None if batch == {None} else sorted(b for b in batch if b is not None),
        "usage": f"net = cv2.dnn.readNetFromTensorflow(PB); {sets}; net.forward({layers!r})",
    }
    return optimized, Signature(signature.inputs, signature.outputs, extra)
