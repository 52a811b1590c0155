"""Mutations of frozen graphs for fuzzing (tests/unit/test_fuzz.py, scripts/fuzz_graphs.py)."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tensorflow.core.framework.graph_pb2 import GraphDef

from keras2pb.graph.reading import as_graph_def

_HOSTILE = ["</script><script>alert(1)</script>", "ReadFile", "PyFunc", "", "\x00", "a" * 300,
            "../../etc/passwd", "import/x:0", "^ctrl", "x:99", "WriteFile", "NotAnOp"]


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """Return ``data`` with random byte-level damage: flips, truncation, insertion, deletion."""
    data = bytearray(data)
    kind = rng.choice(["flip", "truncate", "insert", "delete", "splice"])
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif kind == "truncate":
        del data[rng.randrange(1, len(data)):]
    elif kind == "insert":
        at = rng.randrange(len(data))
        data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    elif kind == "delete":
        at = rng.randrange(len(data))
        del data[at:at + rng.randint(1, 16)]
    else:
        a, b = sorted(rng.randrange(len(data)) for _ in range(2))
        data[a:a] = data[b:b + rng.randint(1, 64)]
    return bytes(data)


def mutate_fields(gd: GraphDef, rng: random.Random) -> GraphDef:
    """Return a copy of ``gd`` with one or more protobuf fields damaged or made hostile."""
    gd = GraphDef.FromString(gd.SerializeToString())
    for _ in range(rng.randint(1, 3)):
        node = gd.node[rng.randrange(len(gd.node))]
        kind = rng.choice(["op", "name", "input", "drop", "dup", "attr_type", "attr_shape",
                           "attr_drop", "tensor", "device", "hostile_name", "self_loop"])
        if kind == "op":
            node.op = rng.choice(_HOSTILE + [n.op for n in gd.node])
        elif kind == "name":
            node.name = rng.choice(_HOSTILE + [n.name for n in gd.node])
        elif kind == "input":
            if node.input:
                node.input[rng.randrange(len(node.input))] = rng.choice(
                    _HOSTILE + [n.name for n in gd.node])
            else:
                node.input.append(rng.choice([n.name for n in gd.node]))
        elif kind == "drop":
            gd.node.remove(node)
        elif kind == "dup":
            gd.node.add().CopyFrom(node)
        elif kind == "attr_type" and node.attr:
            key = rng.choice(sorted(node.attr))
            node.attr[key].type = rng.choice([0, 1, 2, 3, 7, 9, 20, 21, 99])
        elif kind == "attr_shape" and node.attr:
            key = rng.choice(sorted(node.attr))
            shape = node.attr[key].shape
            shape.dim.add().size = rng.choice([-7, 0, 1, 2**40])
        elif kind == "attr_drop" and node.attr:
            del node.attr[rng.choice(sorted(node.attr))]
        elif kind == "tensor" and "value" in node.attr:
            t = node.attr["value"].tensor
            t.tensor_content = t.tensor_content[: rng.randrange(len(t.tensor_content) + 1)]
            if rng.random() < 0.5 and t.tensor_shape.dim:
                t.tensor_shape.dim[0].size = rng.choice([-1, 0, 3, 2**31])
        elif kind == "device":
            node.device = rng.choice(["/job:evil/task:0/device:CPU:0", "/device:GPU:7", "x"])
        elif kind == "hostile_name":
            node.name = _HOSTILE[0] + str(rng.randrange(1000))
        elif kind == "self_loop":
            node.input.append(node.name)
    return gd


def seed_graphs(workdir: Path) -> list[tuple[bytes, GraphDef]]:
    """Freeze two small real models into ``workdir``; return their bytes and GraphDefs."""
    from keras2pb.freezing.freeze import freeze
    from keras2pb.graph.reading import read_graph_def
    from keras2pb.tutorial.models import mnist_cnn, two_io_model

    seeds = []
    for model in (mnist_cnn(), two_io_model()):
        path = workdir / f"{model.name}.pb"
        freeze(model, path)
        seeds.append((path.read_bytes(), read_graph_def(path)))
    return seeds


def run_case(seeds: list[tuple[bytes, GraphDef]], case_seed: int, workdir: Path,
             viewer_builder: Callable[[Path], object] | None = None, run: bool = True) -> str:
    """Damage one seed graph (chosen by ``case_seed``) and push it through the package.

    The file goes through ``inspect``, the viewer's data builder (if given), ``load`` and
    (with ``run``) one call on zeros. Running a damaged graph can crash TensorFlow itself
    (see ``keras2pb.runtime.isolation``): run it only where a crash cannot take the caller down.
    Returns ``"ok"`` or ``"error"`` (a one-line Keras2pbError); any other
    exception propagates: that is a bug.
    """
    from keras2pb.errors import Keras2pbError
    from keras2pb.graph.summary import inspect
    from keras2pb.runtime.frozen_graph import load, zero_feeds

    rng = random.Random(case_seed)
    data, gd = seeds[rng.randrange(len(seeds))]
    blob = (mutate_bytes(data, rng) if rng.random() < 0.5
            else mutate_fields(gd, rng).SerializeToString())
    path = workdir / "case.pb"
    path.write_bytes(blob)
    try:
        inspect(path)
        if viewer_builder is not None:
            viewer_builder(path)
        with load(path, allow_unsafe_ops=rng.random() < 0.2) as graph:
            if run:
                feeds = zero_feeds(graph)
                np.savez(workdir / "case_inputs.npz", **feeds)  # to replay a crash via the CLI
                graph(feeds)
    except Keras2pbError as exc:
        if "\n" in str(exc):
            raise AssertionError(f"multi-line error message: {exc!r}") from exc
        return "error"
    return "ok"


def viewer_builder() -> Callable[[Path], object] | None:
    """The viewer's page builder (path -> HTML), or None if the viewer is absent."""
    try:
        from keras2pb.viewer import single_page
    except ImportError:
        return None
    return lambda path: single_page(as_graph_def(path))
