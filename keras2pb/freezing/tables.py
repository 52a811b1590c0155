"""Lookup tables (TextVectorization, StringLookup, IntegerLookup) carried inside a frozen graph.

A traced Keras model reads its tables through captured resource handles, which freezing
cannot turn into constants. Here each one becomes a ``HashTableV2`` node, its keys and values
``Const`` nodes and an ``InitializeTableV2`` node; one ``NoOp`` (``TABLE_INITIALIZER``) runs them
all. The sidecar names it; loaders run it once before the first call (TF1's
``tables_initializer``, tfjs' model initializer).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from ..errors import Keras2pbError
from ..graph.signature import node_name

#: The node that fills every table of a frozen graph; run it once per session.
TABLE_INITIALIZER = "keras2pb_init_tables"
#: Ops that only read a table: a table used only by these can be carried as constants.
_TABLE_READS = {"LookupTableFindV2", "LookupTableSizeV2"}
_RESOURCE = 20  # DT_RESOURCE


def carry_tables(graph_def: Any, captures: dict[str, Any]) -> list[str]:
    """Turn every table handle left in ``graph_def`` (edited in place) into a table the graph
    builds and fills itself; return the names of the tables (empty when there are none).

    ``captures``: internal placeholder name -> the captured eager tensor (the table's handle)
    from the traced concrete function. A resource placeholder that is not a table, or a table
    the graph writes (``LookupTableInsertV2``...), is left alone for ``check_frozen`` to refuse,
    or refused here with what it is and the way out.
    """
    import tensorflow as tf

    consumers: dict[str, list[Any]] = {}
    for node in graph_def.node:
        for ref in node.input:
            consumers.setdefault(node_name(ref.lstrip("^")), []).append(node)
    carried, inits = [], []
    for node in list(graph_def.node):
        if node.op != "Placeholder" or node.attr["dtype"].type != _RESOURCE:
            continue
        users = consumers.get(node.name, [])
        lookups = [u for u in users if u.op.startswith("LookupTable")]
        if not lookups:
            continue  # a variable or other resource: check_frozen says what it is
        writes = sorted({u.op for u in lookups if u.op not in _TABLE_READS})
        if writes or len(lookups) != len(users):
            raise Keras2pbError(
                f"lookup table {node.name!r} is changed while the model runs "
                f"({', '.join(writes or sorted({u.op for u in users}))}): a frozen graph can "
                "carry only fixed tables; export a SavedModel instead (model.export(path))")
        handle = captures.get(node.name)
        find = next((u for u in lookups if u.op == "LookupTableFindV2"), None)
        if handle is None or find is None:
            raise Keras2pbError(
                f"lookup table {node.name!r} cannot be carried (its contents are not "
                "reachable from the traced model); export a SavedModel instead "
                "(model.export(path))")
        key_dtype, value_dtype = find.attr["Tin"].type, find.attr["Tout"].type
        try:
            keys, values = tf.raw_ops.LookupTableExportV2(
                table_handle=handle, Tkeys=tf.as_dtype(key_dtype),
                Tvalues=tf.as_dtype(value_dtype))
        except (tf.errors.OpError, TypeError, ValueError) as exc:
            raise Keras2pbError(
                f"lookup table {node.name!r} cannot be exported ({type(exc).__name__}); "
                "export a SavedModel instead (model.export(path))") from exc
        keys, values = keys.numpy(), values.numpy()
        order = np.argsort(keys, kind="stable")  # the same file for the same table
        keys_proto = tf.make_tensor_proto(keys[order])
        values_proto = tf.make_tensor_proto(values[order])
        digest = hashlib.sha256(keys_proto.SerializeToString()
                                + values_proto.SerializeToString()).hexdigest()[:16]
        name = node.name
        node.Clear()
        node.name, node.op = name, "HashTableV2"
        node.attr["key_dtype"].type = key_dtype
        node.attr["value_dtype"].type = value_dtype
        # same contents -> same shared table: two graphs in one process never clash
        node.attr["shared_name"].s = f"keras2pb_table_{digest}".encode()
        node.attr["container"].s = b""
        node.attr["use_node_name_sharing"].b = False
        for suffix, dtype, proto in (("keys", key_dtype, keys_proto),
                                     ("values", value_dtype, values_proto)):
            const = graph_def.node.add(name=f"{name}/{suffix}", op="Const")
            const.attr["dtype"].type = dtype
            const.attr["value"].tensor.CopyFrom(proto)
        init = graph_def.node.add(name=f"{name}/initialize", op="InitializeTableV2",
                                  input=[name, f"{name}/keys", f"{name}/values"])
        init.attr["Tkey"].type = key_dtype
        init.attr["Tval"].type = value_dtype
        inits.append(init.name)
        carried.append(name)
    if inits:
        graph_def.node.add(name=TABLE_INITIALIZER, op="NoOp", input=[f"^{i}" for i in inits])
    return carried
