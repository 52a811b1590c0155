"""Freeze -> load in a fresh Python process -> the same predictions as Keras, for every case."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

CHILD = r"""
import json, sys
import numpy as np
import keras2pb
cases = json.loads(sys.argv[1])
for name, case in cases.items():
    feeds = dict(np.load(case["feeds"]))
    with keras2pb.load(case["pb"]) as graph:
        y = graph.run(feeds)
        classic = graph.session.run([f"import/{o.tensor}" for o in graph.outputs],
                                    {f"import/{i.tensor}": feeds[i.name] for i in graph.inputs})
        tf2 = [t.numpy() for t in graph.function(*[feeds[i.name] for i in graph.inputs])]
    np.savez(case["out"], **y, **{f"classic:{k}": v for k, v in zip(y, classic)},
             **{f"tf2:{k}": v for k, v in zip(y, tf2)})
print("child ok")
"""


def test_every_frozen_model_matches_keras_in_a_fresh_process(zoo, tmp_path):
    cases = {}
    for name, case in zoo.items():
        feeds = tmp_path / f"{name}_in.npz"
        np.savez(feeds, **case["feeds"])
        cases[name] = {"pb": str(case["pb"]), "feeds": str(feeds),
                       "out": str(tmp_path / f"{name}_out.npz")}
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(cases)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "child ok" in proc.stdout
    assert len(cases) == 9
    for name, case in zoo.items():
        got = dict(np.load(cases[name]["out"]))
        assert set(case["expected"]) <= set(got), name
        for out, want in case["expected"].items():
            for route in ("", "classic:", "tf2:"):
                y = got[route + out]
                assert y.shape == want.shape, (name, route, out)
                assert np.max(np.abs(y - want)) <= 1e-5, (name, route, out)
                if want.shape[-1] > 1:
                    assert np.array_equal(y.argmax(-1), want.argmax(-1)), (name, route, out)
