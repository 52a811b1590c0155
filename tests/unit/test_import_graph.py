"""keras2pb's import graph: no cycles (function-level imports count too), light leaf modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import keras2pb

PACKAGE = Path(keras2pb.__file__).resolve().parent
#: Modules a leaf may not import at module level: each takes from 0.1 s to seconds to import.
HEAVY = {"tensorflow", "keras", "h5py", "tf2onnx", "onnx", "onnxruntime", "cv2", "google"}
#: Leaf modules and the only keras2pb modules each may import (at any level).
LEAVES = {
    "keras2pb.errors": set(),
    "keras2pb.runtime.optional": {"keras2pb.errors"},
    "keras2pb.runtime.timing": set(),
    "keras2pb.graph.signature": {"keras2pb.errors"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(module: str, path: Path, modules: dict[str, Path]
             ) -> list[tuple[str, bool]]:
    """``(imported name, at module level?)`` for every import that runs (not TYPE_CHECKING).

    ``from .x import y`` names ``pkg.x.y`` when that is a module, else ``pkg.x``.
    """
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    visit(sub, top)
                continue
            if isinstance(child, ast.Import):
                found.extend((alias.name, top) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parent = package.split(".")
                    parent = parent[:len(parent) - child.level + 1]
                    base = ".".join([*parent, *([base] if base else [])])
                for alias in child.names:
                    full = f"{base}.{alias.name}"
                    found.append((full if full in modules else base, top))
            inner = top and not isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), True)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for name, _ in _imports(module, path, modules):
            while name and name not in modules:  # keras2pb.x.y (an attribute) -> keras2pb.x
                name = name.rpartition(".")[0]
            if name and name != module:
                graph[module].add(name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), plus self-imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in graph[v]:
                groups.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph)))
    for v in sorted(graph):
        if v not in index:
            connect(v)
    return groups


def test_the_checker_sees_function_level_imports_and_cycles(tmp_path):
    (tmp_path / "a.py").write_text("import os\nfrom typing import TYPE_CHECKING\n\n"
                                   "if TYPE_CHECKING:\n    from .c import C\n\n\n"
                                   "def f():\n    from .b import g\n")
    modules = {"pkg.a": tmp_path / "a.py", "pkg.b": tmp_path / "b.py"}
    assert _imports("pkg.a", tmp_path / "a.py", modules) == [
        ("os", True), ("typing", True), ("pkg.b", False)]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles():
    graph = _graph()
    assert len(graph) > 30  # the walk found the package
    cycles = _cycles(graph)
    edges = [[(v, w) for v in group for w in sorted(graph[v]) if w in group]
             for group in cycles]
    assert cycles == [], edges


def test_function_level_imports_are_seen():
    graph = _graph()
    # the registry imports opencv only inside functions; a checker blind to that would miss it
    assert "keras2pb.runtime.opencv" in graph["keras2pb.runtime.registry"]


#: What each subpackage may import from keras2pb besides itself: layers point one way. The
#: graph code never imports the viewer, the runtimes or Keras-side code; the viewer draws
#: GraphDefs and never calls back into freezing; nothing in the library imports the tutorial.
LAYERS = {
    "keras2pb.graph": {"keras2pb.errors", "keras2pb.fileio", "keras2pb.versions"},
    "keras2pb.freezing": {"keras2pb.errors", "keras2pb.fileio", "keras2pb.versions",
                          "keras2pb.graph"},
    "keras2pb.runtime": {"keras2pb.errors", "keras2pb.fileio", "keras2pb.versions",
                         "keras2pb.graph", "keras2pb.freezing"},
    # runtime.isolation only: the viewer's shape inference imports a graph from anywhere, so
    # it runs in keras2pb's one guarded child process (issue 22)
    "keras2pb.viewer": {"keras2pb.errors", "keras2pb.fileio", "keras2pb.graph",
                        "keras2pb.runtime.isolation"},
}


def _layer(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_layers_point_one_way():
    graph = _graph()
    wrong = []
    for module, imported in sorted(graph.items()):
        allowed = LAYERS.get(_layer(module))
        if allowed is None:
            continue
        for name in sorted(imported):
            layer = _layer(name)
            if layer != _layer(module) and layer not in allowed and name not in allowed:
                wrong.append(f"{module} -> {name}")
    assert wrong == []


def test_the_checker_sees_a_wrong_way_import():
    graph = _graph()
    assert "keras2pb.graph.nodes" in graph["keras2pb.graph.diff"]
    assert _layer("keras2pb.viewer.page") == "keras2pb.viewer"
    assert "keras2pb.graph" not in LAYERS["keras2pb.graph"]  # the own layer is always allowed


def test_at_most_twelve_top_level_modules():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 12, top


def test_leaf_modules_import_nothing_heavy():
    modules = _modules()
    for leaf, allowed in LEAVES.items():
        found = _imports(leaf, modules[leaf], modules)
        heavy = [n for n, top in found if top and n.split(".")[0] in HEAVY]
        assert heavy == [], f"{leaf} imports {heavy} at module level"
        ours = {n for n, _ in found if n.startswith("keras2pb")}
        assert ours <= allowed, f"{leaf} imports {sorted(ours - allowed)}"


def test_the_opencv_child_starts_without_tensorflow_or_keras():
    """``python -m keras2pb.runtime.opencv`` (OpenCV's child) needs neither TensorFlow nor Keras."""
    code = ("import sys, keras2pb.runtime.opencv, keras2pb.graph.signature, "
            "keras2pb.runtime.optional; "
            "print(sorted(m for m in ('tensorflow', 'keras', 'h5py') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, cwd=PACKAGE.parent)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
